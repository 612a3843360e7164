//! authenticatorGetAssertion with an allow-list of credential IDs.

use ciborium::Value;

use crate::PassError;
use crate::cbor::{self, Map, int_map};
use crate::pin_protocol::PinProtocol;

use super::make_credential::descriptor;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAssertionRequest {
    pub rp_id: String,
    pub client_data_hash: [u8; 32],
    /// The credential IDs registered for the account; non-resident passes need them.
    pub allow_list: Vec<Vec<u8>>,
}

impl GetAssertionRequest {
    pub fn validate(&self) -> Result<(), PassError> {
        if self.rp_id.is_empty() {
            return Err(PassError::InvalidRequest {
                reason: "the relying party ID is empty",
            });
        }
        if self.allow_list.is_empty() {
            return Err(PassError::InvalidRequest {
                reason: "no credential ID to ask the pass for",
            });
        }
        Ok(())
    }

    pub fn to_cbor(&self, pin_auth: Option<(&[u8], PinProtocol)>) -> Value {
        int_map([
            (0x01, Some(Value::Text(self.rp_id.clone()))),
            (0x02, Some(Value::Bytes(self.client_data_hash.to_vec()))),
            (
                0x03,
                Some(Value::Array(
                    self.allow_list.iter().map(|id| descriptor(id)).collect(),
                )),
            ),
            (
                0x06,
                pin_auth.map(|(param, _)| Value::Bytes(param.to_vec())),
            ),
            (
                0x07,
                pin_auth.map(|(_, protocol)| Value::from(protocol.number())),
            ),
        ])
    }
}

/// A getAssertion with `up: false`: asks whether the pass holds any of `candidates` without
/// a touch, a PIN or a usable signature. Non-resident credentials cannot be listed, so this
/// is how a desk learns that a pass already answers for an enrolled credential (the same
/// pre-flight browsers do for long exclude lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentProbe<'a> {
    pub rp_id: &'a str,
    pub candidates: &'a [Vec<u8>],
}

impl SilentProbe<'_> {
    pub fn to_cbor(&self) -> Value {
        int_map([
            (0x01, Some(Value::Text(self.rp_id.to_owned()))),
            // Nothing is signed for anyone: the hash only has to be well-formed.
            (0x02, Some(Value::Bytes(vec![0; 32]))),
            (
                0x03,
                Some(Value::Array(
                    self.candidates.iter().map(|id| descriptor(id)).collect(),
                )),
            ),
            (
                0x05,
                Some(Value::Map(vec![(
                    Value::Text("up".to_owned()),
                    Value::Bool(false),
                )])),
            ),
        ])
    }
}

/// The pass's answer, before verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAssertionResponse {
    /// The credential used; passes may leave it out when the allow-list had one entry.
    pub credential_id: Option<Vec<u8>>,
    pub auth_data: Vec<u8>,
    pub signature: Vec<u8>,
    pub user_id: Option<Vec<u8>>,
}

impl GetAssertionResponse {
    pub fn parse(body: &[u8]) -> Result<Self, PassError> {
        let map = Map::parse(body, "getAssertion")?;
        let credential_id = match map.opt_map(0x01, "credential")? {
            Some(credential) => Some(
                credential
                    .bytes_by_text("id", "credential id")?
                    .ok_or(cbor::CborError::Missing {
                        field: "credential id",
                    })?
                    .to_vec(),
            ),
            None => None,
        };
        let user_id = match map.opt_map(0x04, "user")? {
            Some(user) => user.bytes_by_text("id", "user id")?.map(<[u8]>::to_vec),
            None => None,
        };
        Ok(Self {
            credential_id,
            auth_data: map.bytes(0x02, "authData")?.to_vec(),
            signature: map.bytes(0x03, "signature")?.to_vec(),
            user_id,
        })
    }

    /// The credential that signed: the one named, or the only one allowed.
    pub fn used_credential<'a>(&'a self, allow_list: &'a [Vec<u8>]) -> Result<&'a [u8], PassError> {
        let id = match (&self.credential_id, allow_list) {
            (Some(id), _) => id.as_slice(),
            (None, [only]) => only.as_slice(),
            (None, _) => {
                return Err(cbor::CborError::Missing {
                    field: "credential",
                }
                .into());
            }
        };
        if !allow_list.iter().any(|allowed| allowed == id) {
            return Err(crate::verify::VerifyError::CredentialNotAllowed.into());
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cbor::text_map;

    fn response(credential: Option<Value>) -> Vec<u8> {
        cbor::to_canonical_vec(&int_map([
            (1, credential),
            (2, Some(Value::Bytes(vec![0; 37]))),
            (3, Some(Value::Bytes(vec![1; 70]))),
        ]))
        .unwrap()
    }

    #[test]
    fn credential_is_taken_from_the_answer_or_the_single_allowed() {
        let named =
            GetAssertionResponse::parse(&response(Some(super::descriptor(&[5; 16])))).unwrap();
        assert_eq!(
            named.used_credential(&[vec![4; 16], vec![5; 16]]).unwrap(),
            &[5; 16]
        );
        assert!(matches!(
            named.used_credential(&[vec![4; 16]]),
            Err(PassError::Verify(
                crate::verify::VerifyError::CredentialNotAllowed
            ))
        ));
        let unnamed = GetAssertionResponse::parse(&response(None)).unwrap();
        assert_eq!(unnamed.used_credential(&[vec![4; 16]]).unwrap(), &[4; 16]);
        assert!(
            unnamed
                .used_credential(&[vec![4; 16], vec![5; 16]])
                .is_err()
        );
    }

    #[test]
    fn credential_without_id_is_refused() {
        let bytes = response(Some(text_map([("type", Value::Text("public-key".into()))])));
        assert!(matches!(
            GetAssertionResponse::parse(&bytes),
            Err(PassError::Cbor(cbor::CborError::Missing {
                field: "credential id"
            }))
        ));
    }
}
