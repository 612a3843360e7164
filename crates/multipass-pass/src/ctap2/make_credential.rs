//! authenticatorMakeCredential, non-resident with user presence.

use ciborium::Value;

use crate::PassError;
use crate::cbor::{self, Map, int_map, text_map};
use crate::cose::{ALG_EDDSA, ALG_ES256};
use crate::pin_protocol::PinProtocol;

/// What to enrol: the relying party, the account and the hash of the client data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakeCredentialRequest {
    pub client_data_hash: [u8; 32],
    pub rp_id: String,
    pub rp_name: Option<String>,
    pub user_id: Vec<u8>,
    pub user_name: String,
    pub user_display_name: Option<String>,
    /// COSE algorithms in order of preference.
    pub algorithms: Vec<i64>,
    /// Credential IDs already registered for this account, so a pass is not enrolled twice.
    pub exclude: Vec<Vec<u8>>,
}

impl MakeCredentialRequest {
    /// A request offering ES256 then EdDSA, excluding nothing.
    pub fn new(client_data_hash: [u8; 32], rp_id: &str, user_id: &[u8], user_name: &str) -> Self {
        Self {
            client_data_hash,
            rp_id: rp_id.to_owned(),
            rp_name: None,
            user_id: user_id.to_vec(),
            user_name: user_name.to_owned(),
            user_display_name: None,
            algorithms: vec![ALG_ES256, ALG_EDDSA],
            exclude: Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<(), PassError> {
        if self.rp_id.is_empty() {
            return Err(PassError::InvalidRequest {
                reason: "the relying party ID is empty",
            });
        }
        if self.user_id.is_empty() || self.user_id.len() > 64 {
            return Err(PassError::InvalidRequest {
                reason: "the user handle must be 1 to 64 bytes",
            });
        }
        if self.algorithms.is_empty() {
            return Err(PassError::InvalidRequest {
                reason: "no algorithm is offered",
            });
        }
        Ok(())
    }

    pub fn to_cbor(&self, pin_auth: Option<(&[u8], PinProtocol)>) -> Value {
        let mut rp = vec![("id", Value::Text(self.rp_id.clone()))];
        if let Some(name) = &self.rp_name {
            rp.push(("name", Value::Text(name.clone())));
        }
        let mut user = vec![
            ("id", Value::Bytes(self.user_id.clone())),
            ("name", Value::Text(self.user_name.clone())),
        ];
        if let Some(display) = &self.user_display_name {
            user.push(("displayName", Value::Text(display.clone())));
        }
        let params = self
            .algorithms
            .iter()
            .map(|alg| credential_param(*alg))
            .collect();
        let exclude = (!self.exclude.is_empty())
            .then(|| Value::Array(self.exclude.iter().map(|id| descriptor(id)).collect()));
        int_map([
            (0x01, Some(Value::Bytes(self.client_data_hash.to_vec()))),
            (0x02, Some(text_map(rp))),
            (0x03, Some(text_map(user))),
            (0x04, Some(Value::Array(params))),
            (0x05, exclude),
            (0x07, Some(text_map([("rk", Value::Bool(false))]))),
            (
                0x08,
                pin_auth.map(|(param, _)| Value::Bytes(param.to_vec())),
            ),
            (
                0x09,
                pin_auth.map(|(_, protocol)| Value::from(protocol.number())),
            ),
        ])
    }
}

/// A PublicKeyCredentialParameters entry.
pub fn credential_param(alg: i64) -> Value {
    text_map([
        ("alg", Value::from(alg)),
        ("type", Value::Text("public-key".into())),
    ])
}

/// A PublicKeyCredentialDescriptor.
pub fn descriptor(id: &[u8]) -> Value {
    text_map([
        ("id", Value::Bytes(id.to_vec())),
        ("type", Value::Text("public-key".into())),
    ])
}

/// The pass's answer, before verification.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeCredentialResponse {
    pub format: String,
    pub auth_data: Vec<u8>,
    pub attestation_statement: Map,
}

impl MakeCredentialResponse {
    pub fn parse(body: &[u8]) -> Result<Self, PassError> {
        let map = Map::parse(body, "makeCredential")?;
        Ok(Self {
            format: map.text(0x01, "fmt")?.to_owned(),
            auth_data: map.bytes(0x02, "authData")?.to_vec(),
            attestation_statement: map
                .opt_map(0x03, "attStmt")?
                .ok_or(cbor::CborError::Missing { field: "attStmt" })?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn request_encodes_canonically_with_pin() {
        let req = MakeCredentialRequest::new([1; 32], "example.com", b"u1", "ann");
        let bytes =
            cbor::to_canonical_vec(&req.to_cbor(Some((&[9; 32], PinProtocol::Two)))).unwrap();
        let map = Map::parse(&bytes, "req").unwrap();
        let keys: Vec<i64> = map
            .entries()
            .iter()
            .map(|(k, _)| cbor::as_int(k, "k").unwrap())
            .collect();
        assert_eq!(keys, vec![1, 2, 3, 4, 7, 8, 9]);
        assert_eq!(map.opt_uint(9, "protocol").unwrap(), Some(2));
        // rp map {"id": "example.com"} right after the 32-byte hash.
        assert_eq!(&bytes[36..39], &[0x02, 0xA1, 0x62]);
    }

    #[test]
    fn invalid_requests() {
        let mut req = MakeCredentialRequest::new([1; 32], "", b"u1", "ann");
        assert!(matches!(
            req.validate(),
            Err(PassError::InvalidRequest { .. })
        ));
        req.rp_id = "a".into();
        req.user_id = vec![0; 65];
        assert!(matches!(
            req.validate(),
            Err(PassError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn response_without_att_stmt_is_refused() {
        let bytes = cbor::to_canonical_vec(&int_map([
            (1, Some(Value::Text("none".into()))),
            (2, Some(Value::Bytes(vec![0; 37]))),
        ]))
        .unwrap();
        assert!(matches!(
            MakeCredentialResponse::parse(&bytes),
            Err(PassError::Cbor(cbor::CborError::Missing {
                field: "attStmt"
            }))
        ));
    }
}
