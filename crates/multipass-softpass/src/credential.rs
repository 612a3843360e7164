//! Non-resident credentials: the credential ID carries a random nonce and a MAC binding it to
//! the relying party; the private key is derived again from the master secret on each use,
//! so the pass stores nothing per credential.

use hmac::{Hmac, Mac as _};
use multipass_pass::cose::{ALG_EDDSA, ALG_ES256, PublicKey};
use p256::ecdsa::signature::Signer as _;
use sha2::Sha256;

const VERSION: u8 = 1;
pub const ID_LEN: usize = 2 + 16 + 16;

pub enum CredentialKey {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

fn alg_byte(alg: i64) -> Option<u8> {
    match alg {
        ALG_ES256 => Some(0),
        ALG_EDDSA => Some(1),
        _ => None,
    }
}

fn mac(master: &[u8; 32], label: &[u8], alg: u8, nonce: &[u8], rp_id_hash: &[u8; 32]) -> [u8; 32] {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(master) else {
        return [0; 32];
    };
    for part in [label, &[alg], nonce, rp_id_hash] {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn derive_key(
    master: &[u8; 32],
    alg: u8,
    nonce: &[u8],
    rp_id_hash: &[u8; 32],
) -> Option<CredentialKey> {
    let seed = mac(master, b"key", alg, nonce, rp_id_hash);
    match alg {
        0 => p256::ecdsa::SigningKey::from_slice(&seed)
            .ok()
            .map(CredentialKey::Es256),
        1 => Some(CredentialKey::EdDsa(ed25519_dalek::SigningKey::from_bytes(
            &seed,
        ))),
        _ => None,
    }
}

/// A new credential ID for `alg` (ES256 or EdDSA) and its key; `None` for other algorithms.
pub fn create(
    master: &[u8; 32],
    alg: i64,
    nonce: [u8; 16],
    rp_id_hash: &[u8; 32],
) -> Option<(Vec<u8>, CredentialKey)> {
    let alg = alg_byte(alg)?;
    let key = derive_key(master, alg, &nonce, rp_id_hash)?;
    let tag = mac(master, b"id", alg, &nonce, rp_id_hash);
    let mut id = vec![VERSION, alg];
    id.extend_from_slice(&nonce);
    id.extend_from_slice(&tag[..16]);
    Some((id, key))
}

/// The key of `id` when this pass made it for this relying party.
pub fn open(master: &[u8; 32], id: &[u8], rp_id_hash: &[u8; 32]) -> Option<CredentialKey> {
    if id.len() != ID_LEN || id[0] != VERSION {
        return None;
    }
    let (alg, nonce, tag) = (id[1], &id[2..18], &id[18..]);
    let Ok(mut check) = Hmac::<Sha256>::new_from_slice(master) else {
        return None;
    };
    for part in [b"id".as_slice(), &[alg], nonce, rp_id_hash] {
        check.update(part);
    }
    check.verify_truncated_left(tag).ok()?;
    derive_key(master, alg, nonce, rp_id_hash)
}

impl CredentialKey {
    pub fn public(&self) -> PublicKey {
        match self {
            Self::Es256(k) => PublicKey::Es256(*k.verifying_key()),
            Self::EdDsa(k) => PublicKey::EdDsa(k.verifying_key()),
        }
    }

    pub fn algorithm(&self) -> i64 {
        self.public().algorithm()
    }

    /// DER ECDSA or raw Ed25519, as CTAP2 carries them.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Es256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Self::EdDsa(k) => ed25519_dalek::Signer::sign(k, message).to_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    const MASTER: [u8; 32] = [1; 32];

    #[rstest]
    #[case(ALG_ES256)]
    #[case(ALG_EDDSA)]
    fn an_id_opens_to_the_same_key_for_its_relying_party_only(#[case] alg: i64) {
        let rp = multipass_pass::auth_data::rp_id_hash("a.example");
        let (id, key) = create(&MASTER, alg, [4; 16], &rp).unwrap();
        assert_eq!(id.len(), ID_LEN);
        assert_eq!(open(&MASTER, &id, &rp).unwrap().public(), key.public());
        let other = multipass_pass::auth_data::rp_id_hash("b.example");
        assert!(open(&MASTER, &id, &other).is_none());
        assert!(open(&[2; 32], &id, &rp).is_none());
    }

    #[rstest]
    #[case::short(|id: &mut Vec<u8>| { id.pop(); })]
    #[case::version(|id: &mut Vec<u8>| id[0] = 9)]
    #[case::algorithm(|id: &mut Vec<u8>| id[1] = 1)]
    #[case::nonce(|id: &mut Vec<u8>| id[5] ^= 1)]
    #[case::tag(|id: &mut Vec<u8>| id[ID_LEN - 1] ^= 1)]
    fn tampered_ids_are_not_ours(#[case] damage: fn(&mut Vec<u8>)) {
        let rp = multipass_pass::auth_data::rp_id_hash("a.example");
        let (mut id, _) = create(&MASTER, ALG_ES256, [4; 16], &rp).unwrap();
        damage(&mut id);
        assert!(open(&MASTER, &id, &rp).is_none());
    }

    #[test]
    fn other_algorithms_are_refused() {
        assert!(create(&MASTER, -257, [0; 16], &[0; 32]).is_none());
    }
}
