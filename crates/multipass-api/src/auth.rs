//! Sign-up, sign-in and sign-out.

use crate::MultipassApi;
use crate::dto::{IdentityView, SignInRequest, SignUpRequest, SignedIn};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use multipass_domain::{
    CredentialId, Email, FullName, IdentityId, Password, PasswordHash, PasswordHasher, SessionId,
    SessionToken, Username,
};
use multipass_store::{
    AuthMethod, NewCredentials, NewIdentity, NewSession, NotificationKind, RevocationReason,
    SecurityEventType, SessionKind, SessionOpened,
};

/// A successful sign-in: the bearer token (shown to nobody but the caller that keeps it)
/// and what the UI may see.
#[derive(Debug, Clone)]
pub struct SignInOutcome {
    pub token: SessionToken,
    pub signed_in: SignedIn,
}

impl MultipassApi {
    /// Creates an identity with its credentials and signs it in.
    #[tracing::instrument(skip_all)]
    pub async fn sign_up(
        &self,
        request: SignUpRequest,
        kind: SessionKind,
    ) -> Result<SignInOutcome, ApiError> {
        let full_name = FullName::parse(&request.full_name)?;
        let email = Email::parse(&request.email)?;
        let username = Username::parse(&request.username)?;
        let password = Password::new_checked(request.password, self.policies.password)?;
        let password_hash = self.hash_password(password).await?;
        let now = self.clock.now();
        let credential_id = CredentialId::new_random();
        let identity = self
            .store
            .create_identity(
                NewIdentity {
                    id: IdentityId::new_random(),
                    full_name,
                    email,
                    created_at: now,
                },
                NewCredentials {
                    id: credential_id,
                    username,
                    password_hash,
                },
            )
            .await?;
        tracing::info!(identity = %identity.id, "identity created");
        self.start_session(credential_id, identity.id, kind, now)
            .await
    }

    /// Checks a username and password and opens a session. Unknown usernames, wrong
    /// passwords and locked accounts do the same Argon2 work and fail with the same error.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        request: SignInRequest,
        kind: SessionKind,
    ) -> Result<SignInOutcome, ApiError> {
        let password = Password::for_sign_in(request.password)?;
        let record = match Username::parse(&request.username) {
            Ok(username) => self.store.credentials_by_username(&username).await?,
            // A name that cannot exist is treated like an unknown one, timing included.
            Err(_) => None,
        };
        let stored = record.as_ref().map(|r| r.password_hash.clone());
        let verified = self
            .verify_password(password.clone(), stored.clone())
            .await?;
        let Some(record) = record else {
            tracing::info!("sign-in failed: unknown username");
            // Recorded without the name typed: people sometimes type their password there.
            // The write also keeps this path as slow as a wrong password's.
            self.audit(
                None,
                None,
                SecurityEventType::SignInFailed,
                serde_json::json!({ "reason": "unknown_username" }),
            )
            .await?;
            return Err(ApiError::invalid_credentials());
        };
        let now = self.clock.now();
        if !verified {
            let failure = self
                .store
                .record_failed_sign_in(
                    record.id,
                    self.policies.lockout.max_failed_attempts,
                    self.policies.lockout.stale_lock_cutoff(now),
                    now,
                )
                .await?;
            let attempts = serde_json::json!({ "failed_attempts": failure.failed_attempts });
            self.audit(
                Some(record.identity_id),
                None,
                SecurityEventType::SignInFailed,
                serde_json::json!({ "reason": "wrong_password", "failed_attempts": failure.failed_attempts }),
            )
            .await?;
            if failure.newly_locked {
                tracing::warn!(identity = %record.identity_id, attempts = failure.failed_attempts, "account locked");
                self.audit(
                    Some(record.identity_id),
                    None,
                    SecurityEventType::AccountLocked,
                    attempts,
                )
                .await?;
            } else {
                tracing::info!(identity = %record.identity_id, attempts = failure.failed_attempts, "sign-in failed");
            }
            return Err(ApiError::invalid_credentials());
        }
        let outcome = self
            .start_session(record.id, record.identity_id, kind, now)
            .await?;
        let device = device_info();
        self.audit(
            Some(record.identity_id),
            None,
            SecurityEventType::SignIn,
            serde_json::json!({ "session_kind": kind.as_str(), "device": device }),
        )
        .await?;
        self.notify(
            record.identity_id,
            NotificationKind::NewSignIn,
            "New sign-in to your account",
            format!(
                "Signed in from {} ({}). If this was not you, change your password and revoke the session.",
                device["os"].as_str().unwrap_or("an unknown system"),
                kind.as_str()
            ),
            serde_json::json!({ "session_kind": kind.as_str() }),
        )
        .await;
        if let Some(stored) = stored.filter(|s| self.policies.hasher.needs_rehash(s)) {
            self.upgrade_hash(record.id, password, &stored).await;
        }
        Ok(outcome)
    }

    /// Revokes the session. Signing out twice, or with an unknown token, is not an error:
    /// either way the token no longer works.
    #[tracing::instrument(skip_all)]
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), ApiError> {
        let revoked = self
            .store
            .revoke_session(&token.hash(), RevocationReason::SignOut, self.clock.now())
            .await?;
        tracing::info!(revoked, "signed out");
        Ok(())
    }

    /// The identity behind a session token, if the session is active.
    #[tracing::instrument(skip_all)]
    pub async fn identity_for(&self, token: &SessionToken) -> Result<IdentityView, ApiError> {
        let session = self
            .store
            .active_session(&token.hash(), self.clock.now())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(self.store.identity(session.identity_id).await?.into())
    }

    async fn start_session(
        &self,
        credential: CredentialId,
        identity: IdentityId,
        kind: SessionKind,
        now: DateTime<Utc>,
    ) -> Result<SignInOutcome, ApiError> {
        let token = SessionToken::generate(&mut rand::rng());
        let expires_at = self.policies.session.expires_at(now);
        let opened = self
            .store
            .open_session(
                credential,
                NewSession {
                    id: SessionId::new_random(),
                    identity_id: identity,
                    token_hash: token.hash(),
                    kind,
                    auth_method: AuthMethod::Password,
                    device_info: device_info(),
                    created_at: now,
                    expires_at,
                },
                self.policies.lockout.stale_lock_cutoff(now),
            )
            .await?;
        if opened == SessionOpened::AccountLocked {
            tracing::info!(identity = %identity, "sign-in refused: account locked");
            return Err(ApiError::invalid_credentials());
        }
        let identity = self.store.identity(identity).await?;
        tracing::info!(identity = %identity.id, "signed in");
        Ok(SignInOutcome {
            token,
            signed_in: SignedIn {
                identity: identity.into(),
                expires_at: expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
        })
    }

    /// Runs Argon2 work on a blocking thread once a hashing slot is free.
    async fn with_hasher<T: Send + 'static>(
        &self,
        context: &str,
        work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _slot = self
            .hashing_slots
            .acquire()
            .await
            .map_err(|e| ApiError::internal(context, &e))?;
        let hasher = self.policies.hasher.clone();
        tokio::task::spawn_blocking(move || work(&hasher))
            .await
            .map_err(|e| ApiError::internal(context, &e))
    }

    async fn hash_password(&self, password: Password) -> Result<PasswordHash, ApiError> {
        const CONTEXT: &str = "Hashing the password failed";
        self.with_hasher(CONTEXT, move |h| h.hash(&password, &mut rand::rng()))
            .await?
            .map_err(|e| ApiError::internal(CONTEXT, &e))
    }

    async fn verify_password(
        &self,
        password: Password,
        stored: Option<PasswordHash>,
    ) -> Result<bool, ApiError> {
        self.with_hasher("Checking the password failed", move |h| {
            h.verify(&password, stored.as_ref())
        })
        .await
    }

    /// Re-hashes a password made with weaker parameters. Best effort: the user is already
    /// signed in, so a failure here is logged, not reported.
    async fn upgrade_hash(&self, credential: CredentialId, password: Password, old: &PasswordHash) {
        match self.hash_password(password).await {
            Ok(new_hash) => {
                if let Err(e) = self
                    .store
                    .replace_password_hash(credential, new_hash.as_str())
                    .await
                {
                    tracing::warn!(error = %e, "could not upgrade a password hash");
                } else {
                    tracing::info!(old = ?old.params(), "password hash upgraded");
                }
            }
            Err(e) => tracing::warn!(error = %e.message, "could not upgrade a password hash"),
        }
    }
}

fn device_info() -> serde_json::Value {
    serde_json::json!({
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "app_version": env!("CARGO_PKG_VERSION"),
    })
}
