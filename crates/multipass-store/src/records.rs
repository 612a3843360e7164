//! What goes into and comes out of the store. Inputs are domain types that were validated
//! already; outputs are plain records.

use chrono::{DateTime, Utc};
use multipass_domain::{
    CredentialId, Email, FullName, IdentityId, PasswordHash, SessionId, TokenHash, Username,
};
use serde::Serialize;

/// Whether opening a store may change its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Bring the schema up to date (the app and `multipass migrate`).
    Migrate,
    /// Look only: report the schema as found (`multipass status`). A missing embedded
    /// store file is not created.
    Inspect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreStatus {
    pub backend: Backend,
    /// The file path (SQLite) or the connection target without its password (PostgreSQL).
    pub location: String,
    pub schema_version: i64,
    pub latest_known_version: i64,
    pub healthy: bool,
}

#[derive(Debug, Clone)]
pub struct NewIdentity {
    pub id: IdentityId,
    pub full_name: FullName,
    pub email: Email,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewCredentials {
    pub id: CredentialId,
    pub username: Username,
    pub password_hash: PasswordHash,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: IdentityId,
    pub full_name: String,
    pub email: String,
    pub username: String,
    pub verification_status: String,
    pub kyc_level: i16,
    pub role: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CredentialRecord {
    pub id: CredentialId,
    pub identity_id: IdentityId,
    pub password_hash: PasswordHash,
    pub failed_attempts: u32,
    pub locked_at: Option<DateTime<Utc>>,
    /// False once an admin deactivated the identity: it may no longer sign in.
    pub identity_active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedSignIn {
    pub failed_attempts: u32,
    pub locked_at: Option<DateTime<Utc>>,
    /// True when this very attempt locked the account.
    pub newly_locked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    Password,
    PasswordTotp,
    PasswordBackupCode,
    HardwarePass,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::PasswordTotp => "password_totp",
            Self::PasswordBackupCode => "password_backup_code",
            Self::HardwarePass => "hardware_pass",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    Desktop,
    Cli,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Cli => "cli",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub identity_id: IdentityId,
    pub token_hash: TokenHash,
    pub kind: SessionKind,
    pub auth_method: AuthMethod,
    pub device_info: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What the bearer may do beyond being the identity; empty for a full sign-in.
    pub scopes: Vec<String>,
    /// For SSO sessions: the module the token was issued to.
    pub audience: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOpened {
    Opened,
    /// The account is locked; no session was created.
    AccountLocked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub identity_id: IdentityId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A usable session and its identity's role as stored now: what every call after sign-in
/// needs, read in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub session: SessionRecord,
    pub role: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    SignOut,
    PasswordChange,
    AccountLocked,
    UserRevoked,
    AdminRevoked,
}

impl RevocationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignOut => "sign_out",
            Self::PasswordChange => "password_change",
            Self::AccountLocked => "account_locked",
            Self::UserRevoked => "user_revoked",
            Self::AdminRevoked => "admin_revoked",
        }
    }
}
