//! Sign-up, sign-in and sign-out; second factors, sessions, password changes, unlocking and
//! the audit trail live in the submodules.
//!
//! A password change keeps the session it was made from (its owner just proved the current
//! password) and revokes every other session of the identity.

mod account;
mod audit_log;
mod second_factor;
mod sessions;
mod throttle;
mod totp_at_rest;
pub mod views;

use crate::MultipassApi;
use crate::dto::{IdentityView, SignInRequest, SignUpRequest, SignedIn};
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use multipass_domain::{
    CredentialId, Email, FullName, IdentityId, Password, PasswordHash, PasswordHasher, SessionId,
    SessionToken, Username,
};
use multipass_store::{
    AuthMethod, CredentialRecord, NewCredentials, NewIdentity, NewSession, NotificationKind,
    RevocationReason, SecurityEventType, SessionKind, SessionOpened,
};
use views::SecondFactor;

/// A successful sign-in: the bearer token (shown to nobody but the caller that keeps it)
/// and what the UI may see.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInOutcome {
    /// Travels only from the server to the client that signed in.
    #[serde(with = "crate::operations::token_wire")]
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
        self.start_session(credential_id, identity.id, kind, AuthMethod::Password, now)
            .await
    }

    /// Checks a username and password and opens a session. Unknown usernames, wrong
    /// passwords and locked accounts do the same Argon2 work and fail with the same error.
    /// An account with a second factor answers `second_factor_required` instead; see
    /// [`MultipassApi::sign_in_with`].
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        request: SignInRequest,
        kind: SessionKind,
    ) -> Result<SignInOutcome, ApiError> {
        self.sign_in_with(request, None, kind).await
    }

    /// Sign-in with an optional second factor. A right password without the factor an
    /// account needs is not counted as a failure and opens no session; a wrong factor is
    /// counted like a wrong password. Failures also count against the username and the
    /// source address, and either at its limit refuses the sign-in before the password
    /// is checked.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with(
        &self,
        request: SignInRequest,
        second_factor: Option<SecondFactor>,
        kind: SessionKind,
    ) -> Result<SignInOutcome, ApiError> {
        let keys = Self::throttle_keys(&request.username);
        self.refuse_if_throttled(&keys).await?;
        let outcome = self.check_sign_in(request, second_factor, kind).await;
        self.count_if_refused(&keys, &outcome).await?;
        outcome
    }

    async fn check_sign_in(
        &self,
        request: SignInRequest,
        second_factor: Option<SecondFactor>,
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
            self.count_failure(&record, "wrong_password").await?;
            return Err(ApiError::invalid_credentials());
        }
        // Before any second-factor answer, so that a locked account tells nobody whether
        // the password was right.
        if self.rules().await?.lockout.is_locked(record.locked_at, now) {
            return self.refuse_locked(&record).await;
        }
        // A deactivated identity gets the same answer as a wrong password: whether an
        // account was closed is nobody else's business.
        if !record.identity_active {
            tracing::info!(identity = %record.identity_id, "sign-in refused: identity deactivated");
            self.audit(
                Some(record.identity_id),
                None,
                SecurityEventType::SignInFailed,
                serde_json::json!({ "reason": "deactivated" }),
            )
            .await?;
            return Err(ApiError::invalid_credentials());
        }
        let auth_method = self
            .check_second_factor(&record, second_factor, now)
            .await?;
        let outcome = match self
            .start_session(record.id, record.identity_id, kind, auth_method, now)
            .await
        {
            Err(err) if err.code == ErrorCode::InvalidCredentials => {
                return self.refuse_locked(&record).await;
            }
            other => other?,
        };
        let device = device_info();
        self.audit(
            Some(record.identity_id),
            None,
            SecurityEventType::SignIn,
            serde_json::json!({
                "session_kind": kind.as_str(),
                "auth_method": auth_method.as_str(),
                "device": device,
            }),
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

    /// Counts one failed attempt (a wrong password or second factor) and records it, and
    /// the lock if this attempt caused one.
    pub(crate) async fn count_failure(
        &self,
        record: &CredentialRecord,
        reason: &str,
    ) -> Result<(), ApiError> {
        let lockout = self.rules().await?.lockout;
        let now = self.clock.now();
        let failure = self
            .store
            .record_failed_sign_in(
                record.id,
                lockout.max_failed_attempts,
                lockout.stale_lock_cutoff(now),
                now,
            )
            .await?;
        self.audit(
            Some(record.identity_id),
            None,
            SecurityEventType::SignInFailed,
            serde_json::json!({ "reason": reason, "failed_attempts": failure.failed_attempts }),
        )
        .await?;
        if failure.newly_locked {
            tracing::warn!(identity = %record.identity_id, attempts = failure.failed_attempts, "account locked");
            self.audit(
                Some(record.identity_id),
                None,
                SecurityEventType::AccountLocked,
                serde_json::json!({
                    "failed_attempts": failure.failed_attempts,
                    "sessions_revoked": true,
                }),
            )
            .await?;
        } else {
            tracing::info!(identity = %record.identity_id, attempts = failure.failed_attempts, reason, "sign-in failed");
        }
        Ok(())
    }

    async fn refuse_locked<T>(&self, record: &CredentialRecord) -> Result<T, ApiError> {
        tracing::info!(identity = %record.identity_id, "sign-in refused: account locked");
        self.audit(
            Some(record.identity_id),
            None,
            SecurityEventType::SignInFailed,
            serde_json::json!({ "reason": "account_locked" }),
        )
        .await?;
        Err(ApiError::invalid_credentials())
    }

    /// Revokes the session. Signing out twice, or with an unknown token, is not an error:
    /// either way the token no longer works.
    #[tracing::instrument(skip_all)]
    pub async fn sign_out(&self, token: &SessionToken) -> Result<(), ApiError> {
        let now = self.clock.now();
        // Looked up without the idle rule: an idle session can still be signed out of.
        let session = self.store.active_session(&token.hash(), now).await?;
        let revoked = self
            .store
            .revoke_session(&token.hash(), RevocationReason::SignOut, now)
            .await?;
        tracing::info!(revoked, "signed out");
        if let Some(session) = session.filter(|_| revoked) {
            self.audit(
                Some(session.identity_id),
                None,
                SecurityEventType::SignOut,
                serde_json::json!({ "session_id": session.id }),
            )
            .await?;
        }
        Ok(())
    }

    /// The identity behind a session token, if the session is active.
    #[tracing::instrument(skip_all)]
    pub async fn identity_for(&self, token: &SessionToken) -> Result<IdentityView, ApiError> {
        let now = self.clock.now();
        let session = self
            .store
            .use_session(
                &token.hash(),
                now,
                self.rules().await?.session.idle_cutoff(now),
            )
            .await?
            .ok_or_else(ApiError::unauthenticated)?
            .session;
        Ok(self.store.identity(session.identity_id).await?.into())
    }

    pub(crate) async fn start_session(
        &self,
        credential: CredentialId,
        identity: IdentityId,
        kind: SessionKind,
        auth_method: AuthMethod,
        now: DateTime<Utc>,
    ) -> Result<SignInOutcome, ApiError> {
        let token = SessionToken::generate(&mut rand::rng());
        let rules = self.rules().await?;
        let expires_at = rules.session.expires_at(now);
        let opened = self
            .store
            .open_session(
                credential,
                NewSession {
                    id: SessionId::new_random(),
                    identity_id: identity,
                    token_hash: token.hash(),
                    kind,
                    auth_method,
                    device_info: device_info(),
                    created_at: now,
                    expires_at,
                    scopes: Vec::new(),
                    audience: None,
                },
                rules.lockout.stale_lock_cutoff(now),
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
    pub(crate) async fn with_hasher<T: Send + 'static>(
        &self,
        context: &str,
        work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _place = self.hashing_queue.try_acquire().map_err(|_| {
            ApiError::new(
                ErrorCode::RateLimited,
                "Multipass is checking too many passwords at once. Try again in a few seconds.",
            )
        })?;
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

    pub(crate) async fn hash_password(&self, password: Password) -> Result<PasswordHash, ApiError> {
        const CONTEXT: &str = "Hashing the password failed";
        self.with_hasher(CONTEXT, move |h| h.hash(&password, &mut rand::rng()))
            .await?
            .map_err(|e| ApiError::internal(CONTEXT, &e))
    }

    pub(crate) async fn verify_password(
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
