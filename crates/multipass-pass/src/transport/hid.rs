//! CTAPHID over USB HID through hidapi.

use std::ffi::CString;
use std::time::Duration;

use hidapi::{HidApi, HidDevice};

use super::{Transport, TransportError};
use crate::ctaphid::frame::{REPORT_LEN, Report};

/// The FIDO alliance HID usage page and the CTAPHID usage within it.
pub const FIDO_USAGE_PAGE: u16 = 0xF1D0;
pub const FIDO_USAGE: u16 = 0x01;

/// A FIDO pass found on the USB bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassDescriptor {
    /// The OS path to open it with ([`HidTransport::open`]).
    pub path: String,
    pub vendor_id: u16,
    pub product_id: u16,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial_number: Option<String>,
}

fn hid_error(e: hidapi::HidError) -> TransportError {
    TransportError::Hid {
        message: e.to_string(),
    }
}

/// Lists the connected FIDO passes (HID usage page 0xF1D0, usage 0x01). Other HID devices
/// are left alone.
pub fn enumerate() -> Result<Vec<PassDescriptor>, TransportError> {
    let api = HidApi::new().map_err(hid_error)?;
    Ok(passes(&api))
}

fn passes(api: &HidApi) -> Vec<PassDescriptor> {
    let mut found: Vec<PassDescriptor> = api
        .device_list()
        .filter(|d| d.usage_page() == FIDO_USAGE_PAGE && d.usage() == FIDO_USAGE)
        .map(|d| PassDescriptor {
            path: d.path().to_string_lossy().into_owned(),
            vendor_id: d.vendor_id(),
            product_id: d.product_id(),
            manufacturer: d.manufacturer_string().map(str::to_owned),
            product: d.product_string().map(str::to_owned),
            serial_number: d.serial_number().map(str::to_owned),
        })
        .collect();
    // Some backends list one interface once per collection; one entry per path is enough.
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    found
}

/// hidapi wants the report ID first; FIDO passes use a single unnumbered report, ID 0.
pub fn with_report_id(report: &Report) -> [u8; REPORT_LEN + 1] {
    let mut buf = [0u8; REPORT_LEN + 1];
    buf[1..].copy_from_slice(report);
    buf
}

pub struct HidTransport {
    device: HidDevice,
    path: String,
}

impl std::fmt::Debug for HidTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HidTransport")
            .field("path", &self.path)
            .finish()
    }
}

impl HidTransport {
    /// Opens the pass at `path`, refusing HID devices that are not FIDO passes.
    pub fn open(path: &str) -> Result<Self, TransportError> {
        let api = HidApi::new().map_err(hid_error)?;
        if !passes(&api).iter().any(|p| p.path == path) {
            return Err(TransportError::NotAPass {
                path: path.to_owned(),
            });
        }
        let c_path = CString::new(path).map_err(|_| TransportError::NotFound {
            path: path.to_owned(),
        })?;
        let device = api.open_path(&c_path).map_err(hid_error)?;
        Ok(Self {
            device,
            path: path.to_owned(),
        })
    }
}

impl Transport for HidTransport {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        let written = self
            .device
            .write(&with_report_id(report))
            .map_err(hid_error)?;
        if written < REPORT_LEN {
            return Err(TransportError::ShortWrite {
                written,
                expected: REPORT_LEN + 1,
            });
        }
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let millis = i32::try_from(timeout.as_millis())
            .unwrap_or(i32::MAX)
            .max(1);
        let mut buf = [0u8; REPORT_LEN + 1];
        match self
            .device
            .read_timeout(&mut buf, millis)
            .map_err(hid_error)?
        {
            0 => Ok(None),
            REPORT_LEN => {
                let mut report = [0u8; REPORT_LEN];
                report.copy_from_slice(&buf[..REPORT_LEN]);
                Ok(Some(report))
            }
            len => Err(TransportError::BadReportLength { len }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_lead_with_report_id_zero() {
        let mut report = [0xAB; REPORT_LEN];
        report[0] = 0x01;
        let buf = with_report_id(&report);
        assert_eq!(buf.len(), 65);
        assert_eq!(buf[0], 0x00);
        assert_eq!(&buf[1..], &report[..]);
    }
}
