//! Wallet keys and transfer signatures: ML-DSA-65 (FIPS 204). The 32-byte seed is the
//! secret (it regenerates the whole key pair); the encoded public key is public, and the
//! wallet's address is the hex SHA3-256 of it.
//!
//! What is signed is the canonical text of a transfer, built only from values stored on its
//! rows, so anyone holding the public key can check a stored transfer later.

use crate::ids::WalletId;
use ml_dsa::{B32, EncodedVerifyingKey, MlDsa65, Signature, SigningKey, VerifyingKey};
use sha3::{Digest, Sha3_256};
use std::fmt;
use uuid::Uuid;
use zeroize::Zeroizing;

/// The `wallet_accounts.key_algorithm` of every wallet key made here.
pub const KEY_ALGORITHM: &str = "ML-DSA-65";

/// FIPS 204 domain separation: a signature made for a transfer is useless anywhere else.
const SIGNING_CONTEXT: &[u8] = b"multipass-transfer-v1";

/// What the sender signs. Every field is stored on the transfer's debit leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferMessage {
    pub transfer_id: Uuid,
    pub from: WalletId,
    pub to: WalletId,
    pub asset: String,
    pub amount: i64,
    pub fee: i64,
    pub idempotency_key: String,
}

impl TransferMessage {
    /// One field per line, in a fixed order, integers in decimal: unambiguous because no
    /// field may contain a newline (idempotency keys refuse control characters, the rest
    /// are UUIDs, digits and `A-Z0-9`).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        format!(
            "multipass-transfer-v1\ntransfer_id={}\nfrom={}\nto={}\nasset={}\namount={}\nfee={}\nidempotency_key={}\n",
            self.transfer_id.hyphenated(),
            self.from,
            self.to,
            self.asset,
            self.amount,
            self.fee,
            self.idempotency_key,
        )
        .into_bytes()
    }
}

/// SHA3-256, hex, of what the client asked for (not of the fee or transfer id the service
/// adds), so that a retried request with the same key is recognised as the same request.
pub fn request_hash(from: WalletId, to: WalletId, asset: &str, amount: i64, key: &str) -> String {
    let canonical = format!(
        "multipass-transfer-request-v1\nfrom={from}\nto={to}\nasset={asset}\namount={amount}\nidempotency_key={key}\n"
    );
    hex::encode(Sha3_256::digest(canonical.as_bytes()))
}

/// A wallet's address: hex SHA3-256 of its encoded public key.
pub fn address_of(public_key: &[u8]) -> String {
    hex::encode(Sha3_256::digest(public_key))
}

/// A key pair regenerated from its seed.
pub struct WalletKeyPair {
    seed: Zeroizing<[u8; 32]>,
    key: SigningKey<MlDsa65>,
}

impl fmt::Debug for WalletKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WalletKeyPair([redacted])")
    }
}

impl WalletKeyPair {
    /// `seed` must come from a cryptographically secure generator.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let seed = Zeroizing::new(seed);
        let key = SigningKey::<MlDsa65>::from_seed(&B32::from(*seed));
        Self { seed, key }
    }

    /// The seed as stored in the keyring, or `None` when it does not have 32 bytes.
    pub fn from_stored_seed(bytes: &[u8]) -> Option<Self> {
        let seed: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::from_seed(seed))
    }

    /// The secret to keep in the keyring.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    pub fn public_key(&self) -> Vec<u8> {
        self.key.expanded_key().verifying_key().encode().to_vec()
    }

    /// Hex of the encoded public key, as stored in `wallet_accounts.public_key`.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.public_key())
    }

    pub fn address(&self) -> String {
        address_of(&self.public_key())
    }

    /// The hex signature of `message` (deterministic ML-DSA, with the transfer context).
    pub fn sign(&self, message: &TransferMessage) -> Result<String, SignatureError> {
        self.key
            .expanded_key()
            .sign_deterministic(&message.canonical_bytes(), SIGNING_CONTEXT)
            .map(|signature| hex::encode(signature.encode()))
            .map_err(|_| SignatureError::SigningFailed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the public key is not an ML-DSA-65 key")]
    MalformedPublicKey,
    #[error("the signature is not an ML-DSA-65 signature")]
    MalformedSignature,
    #[error("the signature does not match the transfer")]
    Mismatch,
    #[error("signing failed")]
    SigningFailed,
}

/// Checks a stored transfer against its sender's public key (both hex, as stored).
pub fn verify_transfer(
    public_key_hex: &str,
    message: &TransferMessage,
    signature_hex: &str,
) -> Result<(), SignatureError> {
    let public_key = hex::decode(public_key_hex).map_err(|_| SignatureError::MalformedPublicKey)?;
    let encoded = EncodedVerifyingKey::<MlDsa65>::try_from(public_key.as_slice())
        .map_err(|_| SignatureError::MalformedPublicKey)?;
    let key = VerifyingKey::<MlDsa65>::decode(&encoded);
    let signature = hex::decode(signature_hex).map_err(|_| SignatureError::MalformedSignature)?;
    let signature = Signature::<MlDsa65>::try_from(signature.as_slice())
        .map_err(|_| SignatureError::MalformedSignature)?;
    if key.verify_with_context(&message.canonical_bytes(), SIGNING_CONTEXT, &signature) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    fn message() -> TransferMessage {
        TransferMessage {
            transfer_id: Uuid::from_u128(7),
            from: WalletId::from_uuid(Uuid::from_u128(1)),
            to: WalletId::from_uuid(Uuid::from_u128(2)),
            asset: "MPC".into(),
            amount: 1_000,
            fee: 1,
            idempotency_key: "k-1".into(),
        }
    }

    #[test]
    fn a_signature_verifies_with_the_public_key_and_the_seed_regenerates_the_pair() {
        let pair = WalletKeyPair::from_seed([9; 32]);
        let signature = pair.sign(&message()).unwrap();
        verify_transfer(&pair.public_key_hex(), &message(), &signature).unwrap();
        let again = WalletKeyPair::from_stored_seed(pair.seed()).unwrap();
        assert_eq!(again.public_key_hex(), pair.public_key_hex());
        assert_eq!(again.address(), address_of(&pair.public_key()));
        assert_eq!(pair.address().len(), 64);
        assert!(WalletKeyPair::from_stored_seed(&[1; 31]).is_none());
        assert_eq!(format!("{pair:?}"), "WalletKeyPair([redacted])");
    }

    type Tamper = fn(&mut TransferMessage);

    #[rstest]
    #[case::amount(|m: &mut TransferMessage| m.amount += 1)]
    #[case::fee(|m: &mut TransferMessage| m.fee = 0)]
    #[case::receiver(|m: &mut TransferMessage| m.to = WalletId::from_uuid(Uuid::from_u128(3)))]
    #[case::sender(|m: &mut TransferMessage| m.from = WalletId::from_uuid(Uuid::from_u128(3)))]
    #[case::asset(|m: &mut TransferMessage| m.asset = "USD".into())]
    #[case::transfer_id(|m: &mut TransferMessage| m.transfer_id = Uuid::from_u128(8))]
    #[case::key(|m: &mut TransferMessage| m.idempotency_key = "k-2".into())]
    fn tampering_with_any_field_breaks_the_signature(#[case] tamper: Tamper) {
        let pair = WalletKeyPair::from_seed([3; 32]);
        let signature = pair.sign(&message()).unwrap();
        let mut tampered = message();
        tamper(&mut tampered);
        assert_eq!(
            verify_transfer(&pair.public_key_hex(), &tampered, &signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn another_key_or_garbage_is_refused() {
        let pair = WalletKeyPair::from_seed([3; 32]);
        let other = WalletKeyPair::from_seed([4; 32]);
        let signature = pair.sign(&message()).unwrap();
        assert_eq!(
            verify_transfer(&other.public_key_hex(), &message(), &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_transfer("zz", &message(), &signature),
            Err(SignatureError::MalformedPublicKey)
        );
        assert_eq!(
            verify_transfer(&pair.public_key_hex(), &message(), "00ff"),
            Err(SignatureError::MalformedSignature)
        );
    }

    #[test]
    fn the_request_hash_depends_on_every_field() {
        let a = WalletId::from_uuid(Uuid::from_u128(1));
        let b = WalletId::from_uuid(Uuid::from_u128(2));
        let base = request_hash(a, b, "MPC", 5, "k");
        assert_eq!(base.len(), 64);
        assert_eq!(base, request_hash(a, b, "MPC", 5, "k"));
        for other in [
            request_hash(b, a, "MPC", 5, "k"),
            request_hash(a, b, "USD", 5, "k"),
            request_hash(a, b, "MPC", 6, "k"),
            request_hash(a, b, "MPC", 5, "j"),
        ] {
            assert_ne!(base, other);
        }
    }
}
