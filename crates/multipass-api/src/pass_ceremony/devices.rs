//! The passes in front of the app, and why a USB pass cannot be used when it cannot.

use crate::MultipassApi;
use crate::error::ApiError;
use multipass_pass::Info;
use multipass_pass::transport::hid::{FIDO_USAGE, FIDO_USAGE_PAGE};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::errors::pass_error;
use super::source::{Connected, DeviceRef};
use super::{CeremonyControl, PassReader};

/// What getInfo said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PassInfoView {
    pub aaguid: String,
    pub versions: Vec<String>,
    pub vendor_name: Option<String>,
    #[ts(type = "number | null")]
    pub firmware_version: Option<u64>,
    /// None: no PIN support; false: supported but not set.
    pub pin_set: Option<bool>,
    pub algorithms: Vec<i32>,
}

impl From<&Info> for PassInfoView {
    fn from(info: &Info) -> Self {
        Self {
            aaguid: uuid::Uuid::from_bytes(info.aaguid).to_string(),
            versions: info.versions.clone(),
            vendor_name: info.vendor_name.clone(),
            firmware_version: info.firmware_version,
            pin_set: info.client_pin(),
            algorithms: info
                .algorithms
                .iter()
                .filter_map(|a| i32::try_from(*a).ok())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedPass {
    pub device: DeviceRef,
    /// fido2_usb or software_pass.
    pub device_type: String,
    /// The software pass is for tests and demos only.
    pub test_device: bool,
    /// Four hex digits.
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub info: Option<PassInfoView>,
    /// Why getInfo failed, when it did.
    pub problem: Option<String>,
}

/// One HID device of the machine, FIDO pass or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HidDeviceView {
    pub path: String,
    pub vendor_id: String,
    pub product_id: String,
    pub usage_page: String,
    pub usage: String,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    /// Usage page 0xF1D0, usage 0x01.
    pub is_fido_pass: bool,
    pub can_open: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PassDiagnostics {
    pub os: String,
    pub devices: Vec<HidDeviceView>,
    pub software_pass: Option<String>,
    pub rp_id: String,
}

fn hex4(n: u16) -> String {
    format!("{n:04x}")
}

impl PassReader {
    /// The connected passes with what each says about itself. Local to this computer, so
    /// no session is needed (the sign-in screen lists them too).
    #[tracing::instrument(skip_all)]
    pub async fn connected_passes(&self) -> Result<Vec<ConnectedPass>, ApiError> {
        self.run(&CeremonyControl::new(), |source, _| {
            let connected = source.connected()?;
            Ok(connected.into_iter().map(|c| describe(source, c)).collect())
        })
        .await
    }

    /// Makes the pass blink, so the person at the desk knows which one is meant.
    #[tracing::instrument(skip_all)]
    pub async fn wink_pass(&self, device: DeviceRef) -> Result<(), ApiError> {
        self.run(&CeremonyControl::new(), move |source, _| {
            source.wink(&device)
        })
        .await
    }

    /// Every HID device, whether it is a FIDO pass and whether it can be opened.
    #[tracing::instrument(skip_all)]
    pub async fn pass_diagnostics(&self) -> Result<PassDiagnostics, ApiError> {
        let devices = tokio::task::spawn_blocking(hid_devices)
            .await
            .map_err(|e| ApiError::internal("Listing the USB devices failed", &e))??;
        Ok(PassDiagnostics {
            os: std::env::consts::OS.to_owned(),
            devices,
            software_pass: self.policy().software_pass.map(|a| a.to_string()),
            rp_id: self.policy().rp_id.clone(),
        })
    }
}

impl MultipassApi {
    /// [`PassReader::connected_passes`] of this process's passes.
    pub async fn connected_passes(&self) -> Result<Vec<ConnectedPass>, ApiError> {
        self.pass_reader().connected_passes().await
    }

    /// [`PassReader::wink_pass`] of this process's passes.
    pub async fn wink_pass(&self, device: DeviceRef) -> Result<(), ApiError> {
        self.pass_reader().wink_pass(device).await
    }

    /// [`PassReader::pass_diagnostics`] of this process's passes.
    pub async fn pass_diagnostics(&self) -> Result<PassDiagnostics, ApiError> {
        self.pass_reader().pass_diagnostics().await
    }
}

fn describe(source: &dyn super::PassSource, c: Connected) -> ConnectedPass {
    let (info, problem) = match source.info(&c.device) {
        Ok(info) => (Some(PassInfoView::from(&info)), None),
        Err(e) => (None, Some(pass_error(e).message)),
    };
    ConnectedPass {
        device_type: c.device.device_type().to_owned(),
        test_device: c.device == DeviceRef::Software,
        device: c.device,
        vendor_id: c.vendor_id.map(hex4),
        product_id: c.product_id.map(hex4),
        manufacturer: c.manufacturer,
        product: c.product,
        info,
        problem,
    }
}

fn hid_devices() -> Result<Vec<HidDeviceView>, ApiError> {
    let api = hidapi::HidApi::new().map_err(|e| {
        tracing::warn!(error = %e, "hidapi could not start");
        ApiError::new(
            crate::ErrorCode::Unavailable,
            "The USB HID layer of this system could not be started.",
        )
    })?;
    let mut devices: Vec<HidDeviceView> = api
        .device_list()
        .map(|d| {
            let path = d.path().to_string_lossy().into_owned();
            let (can_open, problem) = match open_problem(&api, d) {
                None => (true, None),
                Some(problem) => (false, Some(problem)),
            };
            HidDeviceView {
                vendor_id: hex4(d.vendor_id()),
                product_id: hex4(d.product_id()),
                usage_page: hex4(d.usage_page()),
                usage: hex4(d.usage()),
                manufacturer: d.manufacturer_string().map(str::to_owned),
                product: d.product_string().map(str::to_owned),
                is_fido_pass: d.usage_page() == FIDO_USAGE_PAGE && d.usage() == FIDO_USAGE,
                can_open,
                problem,
                path,
            }
        })
        .collect();
    devices.sort_by(|a, b| a.path.cmp(&b.path).then(a.usage_page.cmp(&b.usage_page)));
    devices.dedup_by(|a, b| a.path == b.path && a.usage_page == b.usage_page);
    Ok(devices)
}

/// Why the device cannot be opened, if it cannot.
fn open_problem(api: &hidapi::HidApi, device: &hidapi::DeviceInfo) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        // hidapi's hidraw backend loses the errno; opening the node ourselves keeps it.
        let path = device.path().to_string_lossy();
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path.as_ref())
        {
            return Some(if e.kind() == std::io::ErrorKind::PermissionDenied {
                format!(
                    "Permission denied on {path}. Install packaging/linux/70-multipass-passes.rules \
                     into /etc/udev/rules.d/, run `sudo udevadm control --reload && sudo udevadm trigger`, \
                     and add desk accounts to the multipass-desk group (then sign in again)."
                )
            } else {
                format!("{path} cannot be opened: {e}")
            });
        }
    }
    match device.open_device(api) {
        Ok(_closed_on_drop) => None,
        Err(e) => {
            tracing::info!(error = %e, "a HID device cannot be opened");
            Some("The system refused to open this device.".to_owned())
        }
    }
}
