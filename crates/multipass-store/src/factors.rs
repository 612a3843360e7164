//! Storage of TOTP, backup codes, session listing and revocation, password change, unlock, roles.
//!
//! Every method that decides on a single-use value (a TOTP step, a backup code) does so in
//! one conditional statement, so of two concurrent attempts with the same value exactly one
//! sees it succeed, on either backend.

use crate::{ActiveSession, CredentialRecord, RevocationReason, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::{CredentialId, IdentityId, PasswordHash, Secret, SessionId, TokenHash};
use serde::Serialize;

/// The second factors of one account, as stored.
#[derive(Debug, Clone)]
pub struct SecondFactors {
    /// Base32; present once enrolment has started, enabled or not.
    pub totp_secret: Option<Secret>,
    pub totp_enabled: bool,
    pub totp_last_step: Option<u64>,
    pub require_2fa: bool,
    /// Argon2id PHC strings of the unused backup codes.
    pub backup_code_hashes: Vec<String>,
}

/// One session as its owner sees it in the list of their sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    pub id: SessionId,
    pub kind: String,
    pub auth_method: String,
    pub audience: Option<String>,
    pub scopes: Vec<String>,
    pub device_info: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait FactorStore: Send + Sync {
    /// The credentials of `identity`; `NotFound` if it has none.
    async fn credentials_of(&self, identity: IdentityId) -> Result<CredentialRecord, StoreError>;

    async fn second_factors(&self, credential: CredentialId) -> Result<SecondFactors, StoreError>;

    /// Stores a new, not yet confirmed TOTP secret, forgetting any earlier unconfirmed one.
    /// Returns false, changing nothing, when TOTP is already enabled.
    async fn stage_totp_secret(
        &self,
        credential: CredentialId,
        secret: &Secret,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records `step` as the last accepted TOTP step, in one conditional update that
    /// matches only while the stored secret is still `secret` and its last step is earlier
    /// than `step`. With `enable`, also turns TOTP on (the enrolment's confirmation).
    /// Returns false when another attempt got there first or the secret changed.
    async fn accept_totp_step(
        &self,
        credential: CredentialId,
        secret: &Secret,
        step: u64,
        enable: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Every stored TOTP secret that does not start with `sealed_prefix`, by credential.
    async fn plain_totp_secrets(
        &self,
        sealed_prefix: &str,
    ) -> Result<Vec<(CredentialId, Secret)>, StoreError>;

    /// Replaces the stored TOTP secret `old` with `new` (the same secret in another form);
    /// false, changing nothing, when the row no longer holds `old`.
    async fn replace_totp_secret(
        &self,
        credential: CredentialId,
        old: &Secret,
        new: &Secret,
    ) -> Result<bool, StoreError>;

    /// Forgets the TOTP secret, enabled or pending. Refused (false) while `require_2fa` is
    /// set or when there is no secret.
    async fn disable_totp(
        &self,
        credential: CredentialId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Sets `require_2fa`. Turning it on matches only an account with TOTP enabled, so
    /// nobody is left with a requirement they cannot meet; false when that refused it.
    async fn set_require_2fa(
        &self,
        credential: CredentialId,
        required: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Replaces all backup codes with `hashes`.
    async fn replace_backup_codes(
        &self,
        credential: CredentialId,
        hashes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Removes the backup code hashed as `hash`, in one statement guarded by the hash still
    /// being there. Returns how many codes remain, or `None` when it was already gone (used
    /// by a concurrent attempt, or replaced).
    async fn consume_backup_code(
        &self,
        credential: CredentialId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<usize>, StoreError>;

    /// The session behind `token_hash`, with its identity's role, if it is not revoked, not
    /// expired at `now` and (with an `idle_cutoff`) was last seen after the cutoff. Moves its
    /// `last_seen_at` to `now`, at most once a minute so that reads stay reads.
    async fn use_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
        idle_cutoff: Option<DateTime<Utc>>,
    ) -> Result<Option<ActiveSession>, StoreError>;

    /// The usable sessions of `identity` (same rules as [`FactorStore::use_session`]),
    /// newest first.
    async fn sessions_of(
        &self,
        identity: IdentityId,
        now: DateTime<Utc>,
        idle_cutoff: Option<DateTime<Utc>>,
    ) -> Result<Vec<SessionSummary>, StoreError>;

    /// Revokes `session` if it belongs to `identity` and is not revoked yet; false otherwise,
    /// so nobody can end someone else's session by guessing its id.
    async fn revoke_session_of(
        &self,
        identity: IdentityId,
        session: SessionId,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Stores a new password hash and, in the same transaction, revokes every open session
    /// of the identity except `keep`. Returns how many sessions were revoked.
    async fn change_password(
        &self,
        credential: CredentialId,
        new_hash: &PasswordHash,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Clears the lock and the failure count. False when the account was not locked.
    async fn unlock(
        &self,
        credential: CredentialId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// The credentials whose TOTP secret does not start with `$1`: `(id, totp_secret)`. Both
/// backends run this text (SQLite reads `$n` as a parameter named by its first appearance).
pub const PLAIN_TOTP_SECRETS_SQL: &str = "SELECT id, totp_secret FROM multipass_credentials \
     WHERE totp_secret IS NOT NULL AND substr(totp_secret, 1, length($1)) <> $1";

/// Replaces the TOTP secret of credential `$1` with `$3` while it still is `$2`.
pub const REPLACE_TOTP_SECRET_SQL: &str =
    "UPDATE multipass_credentials SET totp_secret = $3 WHERE id = $1 AND totp_secret = $2";
