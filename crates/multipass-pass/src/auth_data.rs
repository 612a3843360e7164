//! Authenticator data (WebAuthn section 6.1): rpIdHash, flags, signCount and, after
//! makeCredential, the attested credential.

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::cbor;
use crate::cose::{CoseKeyError, PublicKey};

pub const FLAG_UP: u8 = 0x01;
pub const FLAG_UV: u8 = 0x04;
pub const FLAG_AT: u8 = 0x40;
pub const FLAG_ED: u8 = 0x80;

/// Credential IDs longer than this are refused (CTAP2 allows up to 1023 bytes).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthDataError {
    #[error("the authenticator data is {len} bytes; it needs at least {needed}")]
    TooShort { len: usize, needed: usize },
    #[error("the credential ID is {len} bytes; at most {MAX_CREDENTIAL_ID_LEN} are allowed")]
    CredentialIdTooLong { len: usize },
    #[error("the authenticator data has {extra} unexpected bytes at the end")]
    TrailingBytes { extra: usize },
    #[error("the attested credential's key: {0}")]
    Key(#[from] CoseKeyError),
    #[error("the authenticator data's extensions are not valid CBOR: {0}")]
    Extensions(cbor::CborError),
}

/// The credential a pass created, as found in makeCredential's authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: [u8; 16],
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential>,
    pub has_extensions: bool,
}

pub fn rp_id_hash(rp_id: &str) -> [u8; 32] {
    Sha256::digest(rp_id.as_bytes()).into()
}

fn take<'a>(bytes: &mut &'a [u8], n: usize, total: usize) -> Result<&'a [u8], AuthDataError> {
    if bytes.len() < n {
        return Err(AuthDataError::TooShort {
            len: total,
            needed: total - bytes.len() + n,
        });
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

impl AuthenticatorData {
    pub fn user_present(&self) -> bool {
        self.flags & FLAG_UP != 0
    }

    pub fn user_verified(&self) -> bool {
        self.flags & FLAG_UV != 0
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, AuthDataError> {
        let total = bytes.len();
        let mut rest = bytes;
        let rp_id_hash: [u8; 32] = take(&mut rest, 32, total)?.try_into().unwrap_or([0; 32]);
        let flags = take(&mut rest, 1, total)?[0];
        let count = take(&mut rest, 4, total)?;
        let sign_count = u32::from_be_bytes([count[0], count[1], count[2], count[3]]);
        let attested = if flags & FLAG_AT != 0 {
            let aaguid: [u8; 16] = take(&mut rest, 16, total)?.try_into().unwrap_or([0; 16]);
            let len_bytes = take(&mut rest, 2, total)?;
            let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
            if len > MAX_CREDENTIAL_ID_LEN {
                return Err(AuthDataError::CredentialIdTooLong { len });
            }
            let credential_id = take(&mut rest, len, total)?.to_vec();
            let (key_value, after) =
                cbor::read_prefix(rest).map_err(|e| CoseKeyError::Malformed {
                    reason: e.to_string(),
                })?;
            rest = after;
            let public_key = PublicKey::from_cose_value(key_value)?;
            Some(AttestedCredential {
                aaguid,
                credential_id,
                public_key,
            })
        } else {
            None
        };
        let has_extensions = flags & FLAG_ED != 0;
        if has_extensions {
            let (_, after) = cbor::read_prefix(rest).map_err(AuthDataError::Extensions)?;
            rest = after;
        }
        if !rest.is_empty() {
            return Err(AuthDataError::TrailingBytes { extra: rest.len() });
        }
        Ok(Self {
            rp_id_hash,
            flags,
            sign_count,
            attested,
            has_extensions,
        })
    }
}

/// Builds authenticator data bytes (for passes and tests; hosts only parse).
pub fn encode(
    rp_id_hash: &[u8; 32],
    flags: u8,
    sign_count: u32,
    attested: Option<(&[u8; 16], &[u8], &[u8])>,
) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(37 + attested.map_or(0, |(_, id, key)| 18 + id.len() + key.len()));
    out.extend_from_slice(rp_id_hash);
    out.push(flags);
    out.extend_from_slice(&sign_count.to_be_bytes());
    if let Some((aaguid, credential_id, cose_key)) = attested {
        out.extend_from_slice(aaguid);
        let len = u16::try_from(credential_id.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(credential_id);
        out.extend_from_slice(cose_key);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    fn sample_key() -> Vec<u8> {
        let key = p256::ecdsa::SigningKey::from_slice(&[3u8; 32]).unwrap();
        PublicKey::Es256(*key.verifying_key())
            .to_cose_bytes()
            .unwrap()
    }

    #[test]
    fn sha256_of_rp_id_matches_known_value() {
        assert_eq!(
            hex::encode(rp_id_hash("example.com")),
            "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947"
        );
    }

    #[test]
    fn known_assertion_layout() {
        let bytes = hex::decode(
            "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce19470500000017",
        )
        .unwrap();
        let data = AuthenticatorData::parse(&bytes).unwrap();
        assert_eq!(data.rp_id_hash, rp_id_hash("example.com"));
        assert!(data.user_present() && data.user_verified());
        assert_eq!(data.sign_count, 0x17);
        assert_eq!(data.attested, None);
    }

    #[test]
    fn attested_credential_round_trips() {
        let key = sample_key();
        let bytes = encode(
            &rp_id_hash("a"),
            FLAG_UP | FLAG_AT,
            1,
            Some((&[1; 16], &[9; 40], &key)),
        );
        let data = AuthenticatorData::parse(&bytes).unwrap();
        let attested = data.attested.unwrap();
        assert_eq!(attested.credential_id, vec![9; 40]);
        assert_eq!(attested.public_key.to_cose_bytes().unwrap(), key);
    }

    #[rstest]
    #[case::empty(vec![], "short")]
    #[case::cut_count(vec![0; 35], "short")]
    #[case::trailing({ let mut b = vec![0; 37]; b.push(1); b }, "trailing")]
    #[case::cut_key({ let mut b = encode(&[0; 32], FLAG_AT, 0, Some((&[0; 16], &[1; 4], &sample_key()))); b.truncate(b.len() - 3); b }, "key")]
    #[case::long_id({ let mut b = vec![0; 32]; b.push(FLAG_AT); b.extend([0; 20]); b.extend([0xFF, 0xFF]); b }, "long")]
    #[case::bad_extensions({ let mut b = vec![0; 32]; b.push(FLAG_ED); b.extend([0; 4]); b.push(0xA1); b }, "ext")]
    fn malformed_auth_data(#[case] bytes: Vec<u8>, #[case] kind: &str) {
        let err = AuthenticatorData::parse(&bytes).unwrap_err();
        let ok = match kind {
            "short" => matches!(err, AuthDataError::TooShort { .. }),
            "trailing" => matches!(err, AuthDataError::TrailingBytes { extra: 1 }),
            "key" => matches!(err, AuthDataError::Key(_)),
            "long" => matches!(err, AuthDataError::CredentialIdTooLong { len: 0xFFFF }),
            _ => matches!(err, AuthDataError::Extensions(_)),
        };
        assert!(ok, "{err:?}");
    }
}
