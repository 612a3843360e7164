//! Storage of the security audit trail: append-only rows in `security_events`.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::throttle::FailureWindow;
use serde::Serialize;

/// What happened. The names are the `event_type` values stored, so they never change once
/// shipped; new kinds of event get new variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityEventType {
    SignIn,
    SignInFailed,
    SignOut,
    AccountLocked,
    AccountUnlocked,
    PasswordChanged,
    TotpEnabled,
    TotpDisabled,
    TotpRejected,
    BackupCodesGenerated,
    BackupCodeUsed,
    SecondFactorRequiredChanged,
    SessionRevoked,
    PassEnrolled,
    PassRevoked,
    PassLost,
    PassExpired,
    PassCloneSuspected,
    RoleGranted,
    ScopesGranted,
    ScopesRevoked,
    SsoTokenIssued,
    SsoKeyRotated,
    KycReviewed,
    WalletKeyCreated,
    ReportDefinitionChanged,
    SecurityPolicyChanged,
}

impl SecurityEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::SignOut => "sign_out",
            Self::AccountLocked => "account_locked",
            Self::AccountUnlocked => "account_unlocked",
            Self::PasswordChanged => "password_changed",
            Self::TotpEnabled => "totp_enabled",
            Self::TotpDisabled => "totp_disabled",
            Self::TotpRejected => "totp_rejected",
            Self::BackupCodesGenerated => "backup_codes_generated",
            Self::BackupCodeUsed => "backup_code_used",
            Self::SecondFactorRequiredChanged => "second_factor_required_changed",
            Self::SessionRevoked => "session_revoked",
            Self::PassEnrolled => "pass_enrolled",
            Self::PassRevoked => "pass_revoked",
            Self::PassLost => "pass_lost",
            Self::PassExpired => "pass_expired",
            Self::PassCloneSuspected => "pass_clone_suspected",
            Self::RoleGranted => "role_granted",
            Self::ScopesGranted => "scopes_granted",
            Self::ScopesRevoked => "scopes_revoked",
            Self::SsoTokenIssued => "sso_token_issued",
            Self::SsoKeyRotated => "sso_key_rotated",
            Self::KycReviewed => "kyc_reviewed",
            Self::WalletKeyCreated => "wallet_key_created",
            Self::ReportDefinitionChanged => "report_definition_changed",
            Self::SecurityPolicyChanged => "security_policy_changed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewSecurityEvent {
    /// Whose account the event concerns; `None` for an unknown username.
    pub identity_id: Option<IdentityId>,
    /// Who caused it, when that is someone else (an admin, desk staff).
    pub actor_id: Option<IdentityId>,
    pub event_type: SecurityEventType,
    /// A JSON object; never a secret (no passwords, codes or tokens).
    pub detail: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityEventRecord {
    pub id: uuid::Uuid,
    pub identity_id: Option<IdentityId>,
    pub actor_id: Option<IdentityId>,
    pub event_type: String,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record_security_event(&self, event: NewSecurityEvent) -> Result<(), StoreError>;

    /// Newest first; `identity` narrows to one account. At most `limit` rows.
    async fn security_events(
        &self,
        identity: Option<IdentityId>,
        limit: u32,
    ) -> Result<Vec<SecurityEventRecord>, StoreError>;

    /// The current failure window of each of `keys` that has one (`ThrottleKey::stored`).
    async fn sign_in_failures(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, FailureWindow)>, StoreError>;

    /// Counts one failed sign-in under each key, atomically: a key whose window started at
    /// or before its cutoff starts a new window at `now` with one failure.
    async fn record_sign_in_failure(
        &self,
        keys: &[(String, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Deletes the counts whose window started at or before `before`: their windows have
    /// ended, so the next failure under such a key would start a new one anyway. Answers how
    /// many went.
    async fn forget_sign_in_failures(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Deletes the counts whose window started at or before `$1` (both backends).
pub const FORGET_SIGN_IN_FAILURES_SQL: &str =
    "DELETE FROM sign_in_throttles WHERE window_started_at <= $1";

/// Counts one failed sign-in under a key (`$1`), at `$2`, starting a new window when the
/// key's started at or before `$3`. One statement, so failures counted at once by several
/// servers all count. Both backends run this text: SQLite reads `$n` as a parameter named
/// by its first appearance, which here is in order.
pub const RECORD_SIGN_IN_FAILURE_SQL: &str = "INSERT INTO sign_in_throttles \
     (throttle_key, failures, window_started_at, updated_at) VALUES ($1, 1, $2, $2) \
     ON CONFLICT (throttle_key) DO UPDATE SET \
     failures = CASE WHEN sign_in_throttles.window_started_at <= $3 THEN 1 \
                ELSE sign_in_throttles.failures + 1 END, \
     window_started_at = CASE WHEN sign_in_throttles.window_started_at <= $3 THEN $2 \
                ELSE sign_in_throttles.window_started_at END, \
     updated_at = $2";
