//! authenticatorGetInfo.

use std::collections::BTreeMap;

use crate::PassError;
use crate::cbor::{self, Map};
use crate::pin_protocol::PinProtocol;

/// A getInfo key no CTAP version defines, where the software pass names itself.
pub const VENDOR_NAME_KEY: i64 = 0x7F;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub versions: Vec<String>,
    pub extensions: Vec<String>,
    pub aaguid: [u8; 16],
    pub options: BTreeMap<String, bool>,
    pub max_msg_size: Option<u64>,
    /// How many credential IDs one allow- or exclude-list may carry.
    pub max_credential_count_in_list: Option<u64>,
    pub max_credential_id_length: Option<u64>,
    pub pin_protocols: Vec<u64>,
    pub algorithms: Vec<i64>,
    pub firmware_version: Option<u64>,
    pub vendor_name: Option<String>,
}

fn texts(map: &Map, key: i64, field: &'static str) -> Result<Vec<String>, PassError> {
    Ok(map
        .opt_array(key, field)?
        .unwrap_or_default()
        .iter()
        .map(|v| cbor::as_text(v, field).map(str::to_owned))
        .collect::<Result<_, _>>()?)
}

impl Info {
    pub fn parse(body: &[u8]) -> Result<Self, PassError> {
        let map = Map::parse(body, "getInfo")?;
        let versions = texts(&map, 0x01, "versions")?;
        if versions.is_empty() {
            return Err(cbor::CborError::Missing { field: "versions" }.into());
        }
        let aaguid: [u8; 16] = map
            .bytes(0x03, "aaguid")?
            .try_into()
            .map_err(|_| cbor::CborError::OutOfRange { field: "aaguid" })?;
        let mut options = BTreeMap::new();
        if let Some(opts) = map.opt_map(0x04, "options")? {
            for (k, v) in opts.entries() {
                let name = cbor::as_text(k, "option name")?;
                let value = v.as_bool().ok_or(cbor::CborError::WrongType {
                    field: "option value",
                    expected: "a boolean",
                })?;
                options.insert(name.to_owned(), value);
            }
        }
        let pin_protocols = map
            .opt_array(0x06, "pinUvAuthProtocols")?
            .unwrap_or_default()
            .iter()
            .map(|v| cbor::as_uint(v, "pinUvAuthProtocols"))
            .collect::<Result<_, _>>()?;
        let mut algorithms = Vec::new();
        for alg in map.opt_array(0x0A, "algorithms")?.unwrap_or_default() {
            let entry = Map::from_value(alg.clone(), "algorithms")?;
            if let Some(id) = entry.int_by_text("alg", "algorithms")? {
                algorithms.push(id);
            }
        }
        let vendor_name = match map.get(VENDOR_NAME_KEY) {
            Some(v) => Some(cbor::as_text(v, "vendor name")?.to_owned()),
            None => None,
        };
        Ok(Self {
            versions,
            extensions: texts(&map, 0x02, "extensions")?,
            aaguid,
            options,
            max_msg_size: map.opt_uint(0x05, "maxMsgSize")?,
            max_credential_count_in_list: map.opt_uint(0x07, "maxCredentialCountInList")?,
            max_credential_id_length: map.opt_uint(0x08, "maxCredentialIdLength")?,
            pin_protocols,
            algorithms,
            firmware_version: map.opt_uint(0x0E, "firmwareVersion")?,
            vendor_name,
        })
    }

    /// `None`: the pass has no PIN support; `Some(false)`: supported but no PIN set.
    pub fn client_pin(&self) -> Option<bool> {
        self.options.get("clientPin").copied()
    }

    /// Protocol two when offered, else one (CTAP 2.0 passes list none and speak one).
    pub fn preferred_pin_protocol(&self) -> Option<PinProtocol> {
        if self.pin_protocols.contains(&2) {
            Some(PinProtocol::Two)
        } else if self.pin_protocols.contains(&1) || self.pin_protocols.is_empty() {
            Some(PinProtocol::One)
        } else {
            None
        }
    }

    /// Whether the pass accepts `alg`; passes that do not list algorithms are assumed to
    /// take ES256 only (the CTAP 2.0 baseline).
    pub fn supports_algorithm(&self, alg: i64) -> bool {
        if self.algorithms.is_empty() {
            alg == crate::cose::ALG_ES256
        } else {
            self.algorithms.contains(&alg)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cbor::{int_map, text_map, to_canonical_vec};
    use ciborium::Value;

    fn info_bytes(pin_protocols: Option<Vec<u64>>) -> Vec<u8> {
        to_canonical_vec(&int_map([
            (1, Some(Value::Array(vec![Value::Text("FIDO_2_0".into())]))),
            (3, Some(Value::Bytes(vec![7; 16]))),
            (
                4,
                Some(text_map([
                    ("clientPin", Value::Bool(true)),
                    ("up", Value::Bool(true)),
                ])),
            ),
            (
                6,
                pin_protocols.map(|p| Value::Array(p.into_iter().map(Value::from).collect())),
            ),
        ]))
        .unwrap()
    }

    #[test]
    fn parses_a_ctap20_pass() {
        let info = Info::parse(&info_bytes(None)).unwrap();
        assert_eq!(info.client_pin(), Some(true));
        assert_eq!(info.preferred_pin_protocol(), Some(PinProtocol::One));
        assert!(info.supports_algorithm(-7) && !info.supports_algorithm(-8));
    }

    #[test]
    fn prefers_protocol_two() {
        let info = Info::parse(&info_bytes(Some(vec![1, 2]))).unwrap();
        assert_eq!(info.preferred_pin_protocol(), Some(PinProtocol::Two));
        let info = Info::parse(&info_bytes(Some(vec![3]))).unwrap();
        assert_eq!(info.preferred_pin_protocol(), None);
    }

    #[test]
    fn short_aaguid_is_refused() {
        let bytes = to_canonical_vec(&int_map([
            (1, Some(Value::Array(vec![Value::Text("FIDO_2_0".into())]))),
            (3, Some(Value::Bytes(vec![7; 15]))),
        ]))
        .unwrap();
        assert!(matches!(
            Info::parse(&bytes),
            Err(PassError::Cbor(cbor::CborError::OutOfRange {
                field: "aaguid"
            }))
        ));
    }
}
