//! The server's [`SecretVault`]: secrets sealed with the deployment's key and kept in the
//! shared database (`server_secrets`), so that every server instance holds the same SSO
//! signing keys and the database never holds them in the clear.
//!
//! Sealing is ChaCha20-Poly1305 from `ring` (already the TLS provider here) with a random
//! 96-bit nonce per write (secrets are written a handful of times per key, far from the
//! nonce-reuse bound) and the secret's name as associated data, so a sealed value moved to
//! another name does not open. The key is 32 bytes, written as 64 hex digits in the file
//! `MULTIPASS_SECRETS_KEY_FILE` names; every instance of a deployment reads the same file.

use crate::vault::{SecretVault, VaultError};
use multipass_store::ServerSecretStore;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

const AAD_PREFIX: &[u8] = b"multipass-server-secret-v1:";

/// Why the key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SealingKeyError {
    #[error("it cannot be read: {0}")]
    Unreadable(std::io::Error),
    #[error(
        "it must hold 64 hexadecimal digits (32 random bytes), e.g. from `openssl rand -hex 32`"
    )]
    Malformed,
}

/// The deployment's sealing key.
pub struct SealingKey(LessSafeKey);

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

impl SealingKey {
    pub fn from_hex(text: &str) -> Result<Self, SealingKeyError> {
        let bytes =
            Zeroizing::new(hex::decode(text.trim()).map_err(|_| SealingKeyError::Malformed)?);
        if bytes.len() != 32 {
            return Err(SealingKeyError::Malformed);
        }
        let key =
            UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| SealingKeyError::Malformed)?;
        Ok(Self(LessSafeKey::new(key)))
    }

    pub fn from_file(path: &Path) -> Result<Self, SealingKeyError> {
        let text =
            Zeroizing::new(std::fs::read_to_string(path).map_err(SealingKeyError::Unreadable)?);
        Self::from_hex(&text)
    }

    fn aad(name: &str) -> Vec<u8> {
        [AAD_PREFIX, name.as_bytes()].concat()
    }

    /// Nonce, ciphertext and tag.
    pub fn seal(&self, name: &str, secret: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0_u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| "no random bytes for a nonce".to_owned())?;
        let mut sealed = secret.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(name)),
                &mut sealed,
            )
            .map_err(|_| "sealing failed".to_owned())?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// The secret, or `None` when `sealed` does not open under this key and name.
    pub fn open(&self, name: &str, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = Zeroizing::new(rest.to_vec());
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(Self::aad(name)), &mut buffer)
            .ok()?
            .to_vec();
        Some(Zeroizing::new(plain))
    }
}

/// Secrets sealed with the deployment's key, in the shared database. Its calls block on
/// the database, like the keyring's on D-Bus: callers run them on the blocking pool.
pub struct SealedVault {
    key: Arc<SealingKey>,
    store: Arc<dyn ServerSecretStore>,
    runtime: tokio::runtime::Handle,
}

impl fmt::Debug for SealedVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedVault").finish_non_exhaustive()
    }
}

impl SealedVault {
    /// Must be made inside the Tokio runtime whose pool the store uses.
    pub fn new(key: Arc<SealingKey>, store: Arc<dyn ServerSecretStore>) -> Self {
        Self {
            key,
            store,
            runtime: tokio::runtime::Handle::current(),
        }
    }

    fn failed(action: &'static str, name: &str, detail: impl fmt::Display) -> VaultError {
        VaultError {
            action,
            name: name.to_owned(),
            detail: detail.to_string(),
            sealed: true,
        }
    }
}

impl SecretVault for SealedVault {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        let sealed = self
            .key
            .seal(name, secret)
            .map_err(|e| Self::failed("write", name, e))?;
        self.runtime
            .block_on(self.store.put_server_secret(name, &sealed))
            .map_err(|e| Self::failed("write", name, e))
    }

    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let Some(sealed) = self
            .runtime
            .block_on(self.store.server_secret(name))
            .map_err(|e| Self::failed("read", name, e))?
        else {
            return Ok(None);
        };
        self.key.open(name, &sealed).map(Some).ok_or_else(|| {
            Self::failed(
                "read",
                name,
                "the sealed secret does not open with this key (another deployment's key \
                 file, or the row was altered)",
            )
        })
    }

    fn delete(&self, name: &str) -> Result<(), VaultError> {
        self.runtime
            .block_on(self.store.delete_server_secret(name))
            .map_err(|e| Self::failed("delete", name, e))
    }
}

/// The deployment's sealing key and where sealed secrets go, as the settings ask: `None`
/// without a key file; a `config` error naming the setting when the key cannot be used or
/// the store has no `server_secrets` (the embedded store).
pub fn sealed_secrets_for(
    settings: &crate::Settings,
    store: Arc<dyn multipass_store::Store>,
) -> Result<Option<SealedSecrets>, crate::ApiError> {
    let Some(path) = &settings.secrets_key_file else {
        return Ok(None);
    };
    let problem = |detail: String| {
        crate::ApiError::new(
            crate::ErrorCode::Config,
            format!("MULTIPASS_SECRETS_KEY_FILE ({}): {detail}", path.display()),
        )
    };
    let key = SealingKey::from_file(path).map_err(|e| problem(e.to_string()))?;
    let secrets = store.server_secrets().ok_or_else(|| {
        problem(
            "sealed secrets are kept in the shared PostgreSQL; this store has none (a desktop \
             keeps its secrets in its keyring)"
                .to_owned(),
        )
    })?;
    Ok(Some(SealedSecrets {
        key: Arc::new(key),
        store: secrets,
    }))
}

/// The deployment's sealing key and where the secrets it seals are kept.
#[derive(Debug, Clone)]
pub struct SealedSecrets {
    pub key: Arc<SealingKey>,
    pub store: Arc<dyn ServerSecretStore>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_only_under_its_key_and_name() {
        let key = SealingKey::from_hex(KEY).unwrap();
        let sealed = key.seal("sso-signing-key:a", b"seed bytes").unwrap();
        assert_eq!(
            key.open("sso-signing-key:a", &sealed).unwrap().as_slice(),
            b"seed bytes"
        );
        assert!(
            !sealed.windows(10).any(|w| w == b"seed bytes"),
            "sealed in the clear"
        );
        assert_ne!(
            sealed,
            key.seal("sso-signing-key:a", b"seed bytes").unwrap(),
            "fresh nonce"
        );
        assert!(
            key.open("sso-signing-key:b", &sealed).is_none(),
            "moved to another name"
        );
        let other = SealingKey::from_hex(&KEY.replace("1f", "20")).unwrap();
        assert!(
            other.open("sso-signing-key:a", &sealed).is_none(),
            "another key"
        );
        let mut flipped = sealed.clone();
        flipped[15] ^= 1;
        assert!(key.open("sso-signing-key:a", &flipped).is_none(), "altered");
        assert!(
            key.open("sso-signing-key:a", &sealed[..5]).is_none(),
            "truncated"
        );
    }

    #[test]
    fn a_malformed_key_is_refused_with_how_to_make_one() {
        for bad in [
            "",
            "abcd",
            &KEY[..62],
            &format!("{KEY}00"),
            &KEY.replace('0', "g"),
        ] {
            let err = SealingKey::from_hex(bad).unwrap_err();
            assert!(err.to_string().contains("openssl rand -hex 32"), "{err}");
        }
        assert!(SealingKey::from_hex(&format!("  {KEY}\n")).is_ok());
        assert_eq!(
            format!("{:?}", SealingKey::from_hex(KEY).unwrap()),
            "SealingKey([redacted])"
        );
    }
}
