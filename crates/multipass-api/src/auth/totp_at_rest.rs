//! How a TOTP secret is kept in `multipass_credentials.totp_secret`. On a server with the
//! deployment's sealing key it is sealed (`sealed:v1:` and the sealed bytes in unpadded
//! URL-safe base64, the credential's id bound in), so the database, its backups and its
//! replicas never hold a secret that mints codes; a standalone desktop keeps the base32
//! text, as every secret stored before a server had its key. Reading accepts both, and the
//! server seals the remaining plain ones once at start ([`MultipassApi::seal_plain_totp_secrets`]).

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use multipass_domain::totp::TotpSecret;
use multipass_domain::{CredentialId, Secret};

pub(crate) const SEALED_PREFIX: &str = "sealed:v1:";

fn bound_name(credential: CredentialId) -> String {
    format!("totp:{credential}")
}

impl MultipassApi {
    /// The form `base32` is stored in for `credential`.
    pub(crate) fn totp_at_rest(
        &self,
        credential: CredentialId,
        base32: Secret,
    ) -> Result<Secret, ApiError> {
        let Some(key) = &self.sealing else {
            return Ok(base32);
        };
        let sealed = key
            .seal(&bound_name(credential), base32.expose().as_bytes())
            .map_err(|e| ApiError::internal("An authenticator secret could not be sealed", &e))?;
        Ok(Secret::new(format!(
            "{SEALED_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(sealed)
        )))
    }

    /// The secret a stored value holds, sealed or not.
    pub(crate) fn totp_from_rest(
        &self,
        credential: CredentialId,
        stored: &Secret,
    ) -> Result<TotpSecret, ApiError> {
        let unreadable = |e: &dyn std::fmt::Display| {
            ApiError::internal("A stored authenticator secret is unreadable", e)
        };
        let Some(sealed) = stored.expose().strip_prefix(SEALED_PREFIX) else {
            return TotpSecret::parse(stored.expose()).map_err(|e| unreadable(&e));
        };
        let Some(key) = &self.sealing else {
            return Err(ApiError::new(
                ErrorCode::Internal,
                "This account's authenticator secret is sealed with the server's key; only the \
                 Multipass server can check its codes.",
            ));
        };
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|e| unreadable(&e))?;
        let plain = key
            .open(&bound_name(credential), &bytes)
            .ok_or_else(|| unreadable(&"it does not open with this server's key"))?;
        let text = std::str::from_utf8(&plain).map_err(|e| unreadable(&e))?;
        TotpSecret::parse(text).map_err(|e| unreadable(&e))
    }

    /// Seals every TOTP secret still stored in the clear; the number sealed. Does nothing
    /// without a sealing key. Each row changes only if it still holds what was read, so a
    /// concurrent enrolment is never overwritten.
    pub async fn seal_plain_totp_secrets(&self) -> Result<u64, ApiError> {
        if self.sealing.is_none() {
            return Ok(0);
        }
        let mut sealed = 0;
        for (credential, plain) in self.store.plain_totp_secrets(SEALED_PREFIX).await? {
            let at_rest = self.totp_at_rest(credential, plain.clone())?;
            if self
                .store
                .replace_totp_secret(credential, &plain, &at_rest)
                .await?
            {
                sealed += 1;
            }
        }
        Ok(sealed)
    }
}
