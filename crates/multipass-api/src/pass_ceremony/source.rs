//! Where passes come from. The app talks CTAPHID itself (USB HID through hidapi, or the
//! software pass over UDP); a platform authenticator API (Windows WebAuthn, which raw FIDO
//! HID access needs on Windows 1903 and later without administrator rights) would be another
//! [`PassSource`].

use std::net::SocketAddr;

use multipass_pass::{
    Assertion, GetAssertionRequest, Info, Interaction, MakeCredentialRequest, Pass, PassError,
    Registration,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Which pass a ceremony uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum DeviceRef {
    /// A USB pass, by the OS path the device list gave.
    Hid { path: String },
    /// The software pass configured with `MULTIPASS_PASS_UDP` (a test or demo device).
    Software,
}

impl DeviceRef {
    /// The `hardware_passes.device_type` a credential made on this device gets.
    pub fn device_type(&self) -> &'static str {
        match self {
            Self::Hid { .. } => "fido2_usb",
            Self::Software => "software_pass",
        }
    }
}

/// A pass that is plugged in (or configured), before it is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    pub device: DeviceRef,
    pub vendor_id: Option<u16>,
    pub product_id: Option<u16>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
}

/// A source of passes. Every call opens the device and closes it before returning, so that
/// browsers and other apps can use the pass between ceremonies (macOS needs that; it is
/// done everywhere).
pub trait PassSource: Send + Sync + std::fmt::Debug {
    fn connected(&self) -> Result<Vec<Connected>, PassError>;
    fn info(&self, device: &DeviceRef) -> Result<Info, PassError>;
    fn wink(&self, device: &DeviceRef) -> Result<(), PassError>;
    fn make_credential(
        &self,
        device: &DeviceRef,
        request: &MakeCredentialRequest,
        pin: Option<&str>,
        interaction: &mut Interaction<'_>,
    ) -> Result<Registration, PassError>;
    fn get_assertion(
        &self,
        device: &DeviceRef,
        request: &GetAssertionRequest,
        pin: Option<&str>,
        interaction: &mut Interaction<'_>,
    ) -> Result<Assertion, PassError>;
    /// The first of `candidates` the pass already answers for, asked without a touch.
    fn recognised_credential(
        &self,
        device: &DeviceRef,
        rp_id: &str,
        candidates: &[Vec<u8>],
        interaction: &mut Interaction<'_>,
    ) -> Result<Option<Vec<u8>>, PassError>;
}

/// USB passes through hidapi, plus the software pass when one is configured.
#[derive(Debug, Clone, Default)]
pub struct LocalPasses {
    software: Option<SocketAddr>,
}

impl LocalPasses {
    pub fn new(software: Option<SocketAddr>) -> Self {
        Self { software }
    }

    fn open(&self, device: &DeviceRef) -> Result<Pass, PassError> {
        match device {
            DeviceRef::Hid { path } => Pass::open_hid(path),
            DeviceRef::Software => match self.software {
                Some(addr) => Pass::open_udp(addr),
                None => Err(PassError::InvalidRequest {
                    reason: "no software pass is configured (MULTIPASS_PASS_UDP)",
                }),
            },
        }
    }
}

impl PassSource for LocalPasses {
    fn connected(&self) -> Result<Vec<Connected>, PassError> {
        let mut found: Vec<Connected> = multipass_pass::enumerate()?
            .into_iter()
            .map(|d| Connected {
                device: DeviceRef::Hid { path: d.path },
                vendor_id: Some(d.vendor_id),
                product_id: Some(d.product_id),
                manufacturer: d.manufacturer,
                product: d.product,
            })
            .collect();
        if self.software.is_some() {
            found.push(Connected {
                device: DeviceRef::Software,
                vendor_id: None,
                product_id: None,
                manufacturer: Some("Multipass".to_owned()),
                product: Some("Software pass".to_owned()),
            });
        }
        Ok(found)
    }

    fn info(&self, device: &DeviceRef) -> Result<Info, PassError> {
        Ok(self.open(device)?.info().clone())
    }

    fn wink(&self, device: &DeviceRef) -> Result<(), PassError> {
        self.open(device)?.wink()
    }

    fn make_credential(
        &self,
        device: &DeviceRef,
        request: &MakeCredentialRequest,
        pin: Option<&str>,
        interaction: &mut Interaction<'_>,
    ) -> Result<Registration, PassError> {
        self.open(device)?
            .make_credential(request, pin, interaction)
    }

    fn get_assertion(
        &self,
        device: &DeviceRef,
        request: &GetAssertionRequest,
        pin: Option<&str>,
        interaction: &mut Interaction<'_>,
    ) -> Result<Assertion, PassError> {
        self.open(device)?.get_assertion(request, pin, interaction)
    }

    fn recognised_credential(
        &self,
        device: &DeviceRef,
        rp_id: &str,
        candidates: &[Vec<u8>],
        interaction: &mut Interaction<'_>,
    ) -> Result<Option<Vec<u8>>, PassError> {
        if candidates.is_empty() {
            return Ok(None);
        }
        self.open(device)?
            .recognised_credential(rp_id, candidates, interaction)
    }
}
