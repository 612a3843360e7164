//! Wallet keys and what they sign: ML-DSA-65 (FIPS 204). The 32-byte seed is the secret
//! (it regenerates the whole key pair) and stays on the computer that made it; the encoded
//! public key is public, and the wallet's address is the hex SHA3-256 of it.
//!
//! The wallet's owner signs each transfer and each order where the key is, and whoever
//! holds the authority (the server, or the API in process) verifies the signature before
//! writing anything. What is signed is a canonical text built only from values stored on
//! the rows, so anyone holding the public key can check a stored transfer later.
//!
//! The implementation is `libcrux-ml-dsa` (formally verified, AVX2 or NEON chosen at run
//! time): it signs a transfer in about a tenth of the time of the portable `ml-dsa` crate
//! used before, and its deterministic signatures are byte for byte the same, so every stored
//! signature still verifies.

use crate::ids::WalletId;
use crate::market::Side;
use libcrux_ml_dsa::ml_dsa_65::{
    self, MLDSA65Signature, MLDSA65SigningKey, MLDSA65VerificationKey,
};
use sha3::{Digest, Sha3_256};
use std::fmt;
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

/// The `wallet_accounts.key_algorithm` of every wallet key made here.
pub const KEY_ALGORITHM: &str = "ML-DSA-65";

/// A message a wallet key signs. Each kind has its own FIPS 204 context string, so a
/// signature made for one kind is useless for any other.
pub trait Signable {
    const CONTEXT: &'static [u8];
    fn canonical_bytes(&self) -> Vec<u8>;
}

/// FIPS 204's deterministic variant signs with an all-zero `rnd`: the same transfer always
/// gets the same signature, and signing needs no random source.
const DETERMINISTIC: [u8; 32] = [0; 32];

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

impl Signable for TransferMessage {
    const CONTEXT: &'static [u8] = b"multipass-transfer-v1";

    /// One field per line, in a fixed order, integers in decimal: unambiguous because no
    /// field may contain a newline (idempotency keys refuse control characters, the rest
    /// are UUIDs, digits and `A-Z0-9`).
    fn canonical_bytes(&self) -> Vec<u8> {
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

/// What a wallet's owner signs to place an order. The order id is chosen by the signer, so
/// a signed order is placed at most once: sent again, it collides with itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderMessage {
    pub order_id: Uuid,
    pub wallet: WalletId,
    /// The asset's symbol (`A-Z0-9`), as the person chose it.
    pub symbol: String,
    pub side: Side,
    pub price: i64,
    pub quantity: i64,
}

impl Signable for OrderMessage {
    const CONTEXT: &'static [u8] = b"multipass-order-v1";

    /// As for transfers: one field per line, none of which can hold a newline.
    fn canonical_bytes(&self) -> Vec<u8> {
        format!(
            "multipass-order-v1\norder_id={}\nwallet={}\nsymbol={}\nside={}\nprice={}\nquantity={}\n",
            self.order_id.hyphenated(),
            self.wallet,
            self.symbol,
            self.side.as_str(),
            self.price,
            self.quantity,
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

/// The expanded secret key, wiped when dropped (the library's type does not wipe itself).
struct SecretKey(MLDSA65SigningKey);

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

/// A key pair regenerated from its seed.
pub struct WalletKeyPair {
    seed: Zeroizing<[u8; 32]>,
    secret: SecretKey,
    public: MLDSA65VerificationKey,
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
        let pair = ml_dsa_65::generate_key_pair(*seed);
        Self {
            seed,
            secret: SecretKey(pair.signing_key),
            public: pair.verification_key,
        }
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
        self.public.as_slice().to_vec()
    }

    /// Hex of the encoded public key, as stored in `wallet_accounts.public_key`.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.public_key())
    }

    pub fn address(&self) -> String {
        address_of(&self.public_key())
    }

    /// The hex signature of `message` (deterministic ML-DSA, with the message kind's context).
    pub fn sign<M: Signable>(&self, message: &M) -> Result<String, SignatureError> {
        ml_dsa_65::sign(
            &self.secret.0,
            &message.canonical_bytes(),
            M::CONTEXT,
            DETERMINISTIC,
        )
        .map(|signature| hex::encode(signature.as_slice()))
        .map_err(|_| SignatureError::SigningFailed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the public key is not an ML-DSA-65 key")]
    MalformedPublicKey,
    #[error("the signature is not an ML-DSA-65 signature")]
    MalformedSignature,
    #[error("the signature does not match the message")]
    Mismatch,
    #[error("signing failed")]
    SigningFailed,
}

fn verification_key(public_key_hex: &str) -> Result<MLDSA65VerificationKey, SignatureError> {
    hex::decode(public_key_hex)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .map(MLDSA65VerificationKey::new)
        .ok_or(SignatureError::MalformedPublicKey)
}

/// Whether `public_key_hex` is an encoded ML-DSA-65 public key (its length; ML-DSA public
/// keys have no further structure to check).
pub fn check_public_key(public_key_hex: &str) -> Result<(), SignatureError> {
    verification_key(public_key_hex).map(|_| ())
}

/// Checks a signed message against the signer's public key (both hex, as stored).
pub fn verify_signature<M: Signable>(
    public_key_hex: &str,
    message: &M,
    signature_hex: &str,
) -> Result<(), SignatureError> {
    let key = verification_key(public_key_hex)?;
    let signature = hex::decode(signature_hex)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .map(MLDSA65Signature::new)
        .ok_or(SignatureError::MalformedSignature)?;
    ml_dsa_65::verify(&key, &message.canonical_bytes(), M::CONTEXT, &signature)
        .map_err(|_| SignatureError::Mismatch)
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
        verify_signature(&pair.public_key_hex(), &message(), &signature).unwrap();
        let again = WalletKeyPair::from_stored_seed(pair.seed()).unwrap();
        assert_eq!(again.public_key_hex(), pair.public_key_hex());
        assert_eq!(again.address(), address_of(&pair.public_key()));
        assert_eq!(pair.address().len(), 64);
        assert!(WalletKeyPair::from_stored_seed(&[1; 31]).is_none());
        assert_eq!(format!("{pair:?}"), "WalletKeyPair([redacted])");
    }

    /// Digests of the public key and signature the `ml-dsa` crate (0.1.2, this module's
    /// implementation until December 2026) made for `message()` from seed 9: a change of
    /// implementation must keep keys and deterministic signatures identical, or wallets
    /// would change address and stored transfers would stop verifying.
    #[test]
    fn keys_and_signatures_match_those_made_before_the_implementation_changed() {
        let sha3 = |text: &str| hex::encode(Sha3_256::digest(text.as_bytes()));
        let pair = WalletKeyPair::from_seed([9; 32]);
        let signature = pair.sign(&message()).unwrap();
        assert_eq!(
            sha3(&pair.public_key_hex()),
            "bf5fff218bf2aa306661516037314328d96622e46bf6941b565dd1ea876008dc"
        );
        assert!(signature.starts_with("60809df71cbf35fdaa0ebd661ab62298"));
        assert_eq!(
            sha3(&signature),
            "b166669d7cd38238ec9dec12cfd4f14dc9589690773e7377b86e7c1a0d20bcfd"
        );
        assert_eq!(signature.len(), 2 * 3309);
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
            verify_signature(&pair.public_key_hex(), &tampered, &signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn another_key_or_garbage_is_refused() {
        let pair = WalletKeyPair::from_seed([3; 32]);
        let other = WalletKeyPair::from_seed([4; 32]);
        let signature = pair.sign(&message()).unwrap();
        assert_eq!(
            verify_signature(&other.public_key_hex(), &message(), &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("zz", &message(), &signature),
            Err(SignatureError::MalformedPublicKey)
        );
        assert_eq!(
            verify_signature(&pair.public_key_hex(), &message(), "00ff"),
            Err(SignatureError::MalformedSignature)
        );
    }

    #[test]
    fn an_order_signature_is_bound_to_the_order_and_useless_as_a_transfer_signature() {
        let pair = WalletKeyPair::from_seed([5; 32]);
        let order = OrderMessage {
            order_id: Uuid::from_u128(11),
            wallet: WalletId::from_uuid(Uuid::from_u128(1)),
            symbol: "ACME".into(),
            side: Side::Buy,
            price: 250,
            quantity: 4,
        };
        let signature = pair.sign(&order).unwrap();
        verify_signature(&pair.public_key_hex(), &order, &signature).unwrap();
        let tampered = [
            OrderMessage {
                side: Side::Sell,
                ..order.clone()
            },
            OrderMessage {
                price: 251,
                ..order.clone()
            },
            OrderMessage {
                quantity: 40,
                ..order.clone()
            },
            OrderMessage {
                symbol: "ACMF".into(),
                ..order.clone()
            },
            OrderMessage {
                order_id: Uuid::from_u128(12),
                ..order.clone()
            },
            OrderMessage {
                wallet: WalletId::from_uuid(Uuid::from_u128(2)),
                ..order.clone()
            },
        ];
        for other in tampered {
            assert_eq!(
                verify_signature(&pair.public_key_hex(), &other, &signature),
                Err(SignatureError::Mismatch),
                "{other:?}"
            );
        }
        // The same key's transfer signature does not pass for an order, whatever the bytes.
        let transfer = pair.sign(&message()).unwrap();
        assert_eq!(
            verify_signature(&pair.public_key_hex(), &order, &transfer),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(check_public_key(&pair.public_key_hex()), Ok(()));
        assert_eq!(
            check_public_key("abcd"),
            Err(SignatureError::MalformedPublicKey)
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
