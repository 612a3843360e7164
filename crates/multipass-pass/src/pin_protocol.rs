//! PIN/UV auth protocols one and two (CTAP 2.1 sections 6.5.6 and 6.5.7): ECDH on P-256,
//! AES-256-CBC and HMAC-SHA-256. The same code serves hosts and the software pass.

use aes::cipher::{
    BlockDecryptMut as _, BlockEncryptMut as _, KeyIvInit as _, block_padding::NoPadding,
};
use hmac::{Hmac, Mac as _};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroize as _;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinProtocol {
    One,
    Two,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PinProtocolError {
    #[error("PIN/UV auth protocol {0} is not supported")]
    Unsupported(u64),
    #[error("encrypted PIN data has the wrong length ({len} bytes)")]
    BadCiphertextLength { len: usize },
}

impl PinProtocol {
    pub fn from_number(n: u64) -> Result<Self, PinProtocolError> {
        match n {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            other => Err(PinProtocolError::Unsupported(other)),
        }
    }

    pub fn number(self) -> u64 {
        match self {
            Self::One => 1,
            Self::Two => 2,
        }
    }

    /// Derives the shared secret from the ECDH result between our key and the peer's.
    pub fn shared_secret(self, ours: &p256::SecretKey, theirs: &p256::PublicKey) -> SharedSecret {
        let shared = p256::ecdh::diffie_hellman(ours.to_nonzero_scalar(), theirs.as_affine());
        let z = shared.raw_secret_bytes();
        match self {
            Self::One => {
                let key: [u8; 32] = Sha256::digest(z.as_slice()).into();
                SharedSecret {
                    protocol: self,
                    hmac_key: key,
                    aes_key: key,
                }
            }
            Self::Two => SharedSecret {
                protocol: self,
                hmac_key: hkdf_sha256(z.as_slice(), b"CTAP2 HMAC key"),
                aes_key: hkdf_sha256(z.as_slice(), b"CTAP2 AES key"),
            },
        }
    }

    /// `authenticate(key, message)`: 16 bytes of HMAC for protocol one, all 32 for two.
    pub fn authenticate(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = hmac_sha256(key, message).to_vec();
        if self == Self::One {
            mac.truncate(16);
        }
        mac
    }

    /// Constant-time check of an `authenticate` result.
    pub fn verify(self, key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
            return false;
        };
        mac.update(message);
        match self {
            Self::One if signature.len() == 16 => mac.verify_truncated_left(signature).is_ok(),
            Self::Two if signature.len() == 32 => mac.verify_slice(signature).is_ok(),
            _ => false,
        }
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn hkdf_sha256(ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut okm = [0u8; 32];
    // 32 bytes are far below HKDF's limit of 255 blocks, so expand cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(Some(&[0u8; 32]), ikm).expand(info, &mut okm);
    okm
}

/// The secret both sides share after key agreement.
#[derive(Clone)]
pub struct SharedSecret {
    protocol: PinProtocol,
    hmac_key: [u8; 32],
    aes_key: [u8; 32],
}

impl Drop for SharedSecret {
    fn drop(&mut self) {
        self.hmac_key.zeroize();
        self.aes_key.zeroize();
    }
}

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSecret")
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl SharedSecret {
    pub fn protocol(&self) -> PinProtocol {
        self.protocol
    }

    /// Encrypts whole AES blocks; protocol two prepends the IV, one uses an all-zero IV.
    pub fn encrypt(&self, plaintext: &[u8], iv: [u8; 16]) -> Result<Vec<u8>, PinProtocolError> {
        if plaintext.is_empty() || !plaintext.len().is_multiple_of(16) {
            return Err(PinProtocolError::BadCiphertextLength {
                len: plaintext.len(),
            });
        }
        let iv = if self.protocol == PinProtocol::One {
            [0u8; 16]
        } else {
            iv
        };
        let ciphertext = Aes256CbcEnc::new(&self.aes_key.into(), &iv.into())
            .encrypt_padded_vec_mut::<NoPadding>(plaintext);
        Ok(match self.protocol {
            PinProtocol::One => ciphertext,
            PinProtocol::Two => [iv.as_slice(), &ciphertext].concat(),
        })
    }

    pub fn decrypt(&self, data: &[u8]) -> Result<Vec<u8>, PinProtocolError> {
        let bad = PinProtocolError::BadCiphertextLength { len: data.len() };
        let (iv, ciphertext) = match self.protocol {
            PinProtocol::One => ([0u8; 16], data),
            PinProtocol::Two => {
                if data.len() < 16 {
                    return Err(bad);
                }
                let (iv, rest) = data.split_at(16);
                (iv.try_into().map_err(|_| bad.clone())?, rest)
            }
        };
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(bad);
        }
        Aes256CbcDec::new(&self.aes_key.into(), &iv.into())
            .decrypt_padded_vec_mut::<NoPadding>(ciphertext)
            .map_err(|_| bad)
    }

    pub fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        self.protocol.authenticate(&self.hmac_key, message)
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.protocol.verify(&self.hmac_key, message, signature)
    }
}

/// `LEFT(SHA-256(pin), 16)`, what passes store and compare.
pub fn pin_hash(pin: &str) -> [u8; 16] {
    let digest = Sha256::digest(pin.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    fn keys() -> (p256::SecretKey, p256::SecretKey) {
        (
            p256::SecretKey::from_slice(&[1u8; 32]).unwrap(),
            p256::SecretKey::from_slice(&[2u8; 32]).unwrap(),
        )
    }

    #[rstest]
    #[case(PinProtocol::One, 16, 16)]
    #[case(PinProtocol::Two, 32, 32)]
    fn both_sides_agree(
        #[case] protocol: PinProtocol,
        #[case] ct_len: usize,
        #[case] mac_len: usize,
    ) {
        let (a, b) = keys();
        let host = protocol.shared_secret(&a, &b.public_key());
        let pass = protocol.shared_secret(&b, &a.public_key());
        let ct = host.encrypt(&pin_hash("1234"), [5; 16]).unwrap();
        assert_eq!(ct.len(), ct_len);
        assert_eq!(pass.decrypt(&ct).unwrap(), pin_hash("1234"));
        let mac = host.authenticate(b"client data hash");
        assert_eq!(mac.len(), mac_len);
        assert!(pass.verify(b"client data hash", &mac));
        assert!(!pass.verify(b"other", &mac));
    }

    #[test]
    fn hkdf_matches_rfc5869_shape() {
        // RFC 5869 test case 1 uses a 13-byte salt; with the zero salt CTAP uses, the two
        // derived keys must differ from each other and from protocol one's key.
        let (a, b) = keys();
        let one = PinProtocol::One.shared_secret(&a, &b.public_key());
        let two = PinProtocol::Two.shared_secret(&a, &b.public_key());
        assert_ne!(two.hmac_key, two.aes_key);
        assert_ne!(one.aes_key, two.aes_key);
    }

    #[rstest]
    #[case(PinProtocol::One, 15)]
    #[case(PinProtocol::Two, 20)]
    #[case(PinProtocol::Two, 8)]
    fn bad_ciphertext_lengths(#[case] protocol: PinProtocol, #[case] len: usize) {
        let (a, b) = keys();
        let secret = protocol.shared_secret(&a, &b.public_key());
        assert_eq!(
            secret.decrypt(&vec![0; len]),
            Err(PinProtocolError::BadCiphertextLength { len })
        );
    }

    #[test]
    fn known_pin_hash() {
        // SHA-256("1234") = 03ac6742...
        assert_eq!(
            hex::encode(pin_hash("1234")),
            "03ac674216f3e15c761ee1a5e255f067"
        );
    }
}
