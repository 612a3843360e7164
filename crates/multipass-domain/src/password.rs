//! Password rules and Argon2id hashing.
//!
//! Passwords are taken exactly as typed: no trimming, no Unicode normalisation, no case
//! folding. Hashing is Argon2id at OWASP's minimum parameters or stronger.

use crate::identity::ValidationError;
use crate::secret::Secret;
use argon2::password_hash::{
    PasswordHash as PhcString, PasswordHasher as _, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::CryptoRng;
use std::fmt;

/// A password as typed by the user.
#[derive(Debug, Clone)]
pub struct Password(Secret);

/// Length rules for new passwords. Counted in Unicode scalar values, so a passphrase in any
/// script gets the same allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub max_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        // NIST SP 800-63B: at least 8, and allow at least 64. We ask for 12 and allow 1024,
        // which still bounds the work an attacker can make Argon2 do per attempt.
        Self {
            min_chars: 12,
            max_chars: 1024,
        }
    }
}

impl Password {
    /// A password offered at sign-in. Only bounded in size, never judged: a password that
    /// was valid under an older policy must still be checkable.
    pub fn for_sign_in(raw: String) -> Result<Self, ValidationError> {
        if raw.is_empty() {
            return Err(ValidationError::new("password", "Enter your password."));
        }
        if raw.chars().count() > PasswordPolicy::default().max_chars {
            return Err(ValidationError::new(
                "password",
                "That password is too long.",
            ));
        }
        Ok(Self(Secret::new(raw)))
    }

    /// A new password, checked against the policy.
    pub fn new_checked(raw: String, policy: PasswordPolicy) -> Result<Self, ValidationError> {
        let chars = raw.chars().count();
        if chars < policy.min_chars {
            return Err(ValidationError::new(
                "password",
                format!("Use at least {} characters.", policy.min_chars),
            ));
        }
        if chars > policy.max_chars {
            return Err(ValidationError::new(
                "password",
                format!("Use at most {} characters.", policy.max_chars),
            ));
        }
        Ok(Self(Secret::new(raw)))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.expose().as_bytes()
    }
}

/// An Argon2id hash in PHC string format, as stored in `multipass_credentials.password_hash`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Argon2 cost parameters recorded in the hash, if it parses.
    pub fn params(&self) -> Option<Argon2Cost> {
        let phc = PhcString::new(&self.0).ok()?;
        let params = Params::try_from(&phc).ok()?;
        Some(Argon2Cost {
            memory_kib: params.m_cost(),
            iterations: params.t_cost(),
            parallelism: params.p_cost(),
        })
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash is not the password, but it is offline-crackable: keep it out of logs.
        f.write_str("PasswordHash([redacted])")
    }
}

/// Argon2 cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Argon2Cost {
    /// OWASP Password Storage Cheat Sheet, Argon2id option "m=19456 (19 MiB), t=2, p=1".
    pub const OWASP_MINIMUM: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    pub fn at_least(&self, other: &Self) -> bool {
        self.memory_kib >= other.memory_kib
            && self.iterations >= other.iterations
            && self.parallelism >= other.parallelism
    }
}

/// Hashes and verifies passwords with one fixed set of Argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: Argon2Cost,
}

/// A hash of a password nobody knows, at the default cost. Verifying an unknown username
/// against it costs the same as verifying a real one, so response time does not reveal
/// whether an account exists.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2lnbi1pbi1kZWNveS1zYWx0$5nZsqUb0o6n7Dxp1rXC3wztAUZ4XEQ4vL6b5yQbXr9Y";

impl Default for PasswordHasher {
    fn default() -> Self {
        Self {
            cost: Argon2Cost::OWASP_MINIMUM,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("Argon2 cost parameters are invalid: {0}")]
    InvalidCost(String),
    #[error("Argon2 hashing failed: {0}")]
    Hashing(String),
}

impl PasswordHasher {
    pub fn with_cost(cost: Argon2Cost) -> Result<Self, HashingError> {
        Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| HashingError::InvalidCost(e.to_string()))?;
        Ok(Self { cost })
    }

    pub fn cost(&self) -> Argon2Cost {
        self.cost
    }

    fn argon2(&self, cost: Argon2Cost) -> Result<Argon2<'static>, HashingError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| HashingError::InvalidCost(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes a new password with a fresh 128-bit salt drawn from `rng`.
    pub fn hash(
        &self,
        password: &Password,
        rng: &mut impl CryptoRng,
    ) -> Result<PasswordHash, HashingError> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| HashingError::Hashing(e.to_string()))?;
        let hash = self
            .argon2(self.cost)?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| HashingError::Hashing(e.to_string()))?;
        Ok(PasswordHash(hash.to_string()))
    }

    /// Verifies `password` against `stored`, or against the decoy hash when there is no
    /// stored hash, so that both paths do the same work. A stored value that does not parse
    /// verifies as false: it cannot have been produced by `hash`.
    pub fn verify(&self, password: &Password, stored: Option<&PasswordHash>) -> bool {
        let (phc, is_decoy) = match stored {
            Some(hash) => (hash.as_str(), false),
            None => (DECOY_HASH, true),
        };
        let Ok(parsed) = PhcString::new(phc) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        matches && !is_decoy
    }

    /// True when `stored` was made with weaker parameters than this hasher uses, so it should
    /// be replaced after the next successful sign-in.
    pub fn needs_rehash(&self, stored: &PasswordHash) -> bool {
        stored
            .params()
            .is_none_or(|cost| !cost.at_least(&self.cost))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    #[test]
    fn hash_then_verify_round_trips_with_owasp_parameters() {
        let hasher = PasswordHasher::default();
        let password = Password::new_checked(
            "correct horse battery staple".into(),
            PasswordPolicy::default(),
        )
        .unwrap();
        let hash = hasher.hash(&password, &mut rng()).unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(&password, Some(&hash)));
        let wrong = Password::for_sign_in("correct horse battery stapl".into()).unwrap();
        assert!(!hasher.verify(&wrong, Some(&hash)));
        assert!(!hasher.needs_rehash(&hash));
    }

    #[test]
    fn passwords_are_checked_exactly_as_typed() {
        let hasher = PasswordHasher::default();
        let typed = "  Pässwörd with spaces  ";
        let hash = hasher
            .hash(
                &Password::new_checked(typed.into(), PasswordPolicy::default()).unwrap(),
                &mut rng(),
            )
            .unwrap();
        for variant in [
            "Pässwörd with spaces",
            "  pässwörd with spaces  ",
            "  Pa\u{308}sswörd with spaces  ",
        ] {
            assert!(
                !hasher.verify(&Password::for_sign_in(variant.into()).unwrap(), Some(&hash)),
                "{variant:?}"
            );
        }
        assert!(hasher.verify(&Password::for_sign_in(typed.into()).unwrap(), Some(&hash)));
    }

    #[test]
    fn long_passphrases_are_accepted() {
        let long: String = "a".repeat(1024);
        let password = Password::new_checked(long.clone(), PasswordPolicy::default()).unwrap();
        let hash = PasswordHasher::default()
            .hash(&password, &mut rng())
            .unwrap();
        assert!(
            PasswordHasher::default().verify(&Password::for_sign_in(long).unwrap(), Some(&hash))
        );
        assert!(Password::new_checked("a".repeat(1025), PasswordPolicy::default()).is_err());
    }

    #[test]
    fn short_passwords_are_refused_with_the_field_named() {
        let err = Password::new_checked("short".into(), PasswordPolicy::default()).unwrap_err();
        assert_eq!(err.field, "password");
    }

    #[test]
    fn the_decoy_never_verifies_and_costs_as_much_as_a_real_hash() {
        let hasher = PasswordHasher::default();
        let any = Password::for_sign_in("anything at all".into()).unwrap();
        assert!(!hasher.verify(&any, None));
        let decoy = PasswordHash::from_stored(DECOY_HASH.into());
        assert_eq!(decoy.params(), Some(hasher.cost()));
    }

    #[test]
    fn weaker_or_unparseable_hashes_need_rehash() {
        let hasher = PasswordHasher::default();
        let weak = PasswordHasher::with_cost(Argon2Cost {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let password = Password::for_sign_in("some password".into()).unwrap();
        let weak_hash = weak.hash(&password, &mut rng()).unwrap();
        assert!(hasher.verify(&password, Some(&weak_hash)));
        assert!(hasher.needs_rehash(&weak_hash));
        assert!(hasher.needs_rehash(&PasswordHash::from_stored("not a phc string".into())));
        assert!(!hasher.verify(
            &password,
            Some(&PasswordHash::from_stored("garbage".into()))
        ));
    }
}
