//! Fresh randomness for nonces, IVs and ephemeral keys, from the OS-seeded thread RNG.

use rand::Rng as _;

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rng().fill(&mut out[..]);
    out
}

/// A random P-256 secret key (for PIN key agreement).
pub fn p256_secret() -> p256::SecretKey {
    // A random 32-byte string is a valid scalar except with probability about 2^-128.
    loop {
        if let Ok(key) = p256::SecretKey::from_slice(&bytes::<32>()) {
            return key;
        }
    }
}
