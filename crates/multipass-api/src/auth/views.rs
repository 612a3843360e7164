//! Transport types of the auth service: what the UI and the CLI send and receive. Types
//! carrying a secret print `[redacted]` in `Debug`.

use multipass_store::{SecondFactors, SecurityEventRecord, SessionSummary};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The second factor sent with a password, after `second_factor_required`.
#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind", content = "code")]
pub enum SecondFactor {
    /// The 6-digit code from the authenticator app.
    Totp(String),
    /// One of the single-use backup codes, e.g. `ABCDE-12345`.
    BackupCode(String),
}

impl std::fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Totp(_) => f.write_str("Totp([redacted])"),
            Self::BackupCode(_) => f.write_str("BackupCode([redacted])"),
        }
    }
}

/// What proves, for turning TOTP off, that the person at the keyboard owns the account.
#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum AccountProof {
    Totp(String),
    Password(String),
}

impl std::fmt::Debug for AccountProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Totp(_) => f.write_str("Totp([redacted])"),
            Self::Password(_) => f.write_str("Password([redacted])"),
        }
    }
}

#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest { [redacted] }")
    }
}

/// Shown once, on the enrolment screen: the secret in three forms.
#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TotpEnrolment {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment { [redacted] }")
    }
}

/// A fresh set of backup codes, shown once; only their hashes are kept.
#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupCodesView {
    pub codes: Vec<String>,
}

impl std::fmt::Debug for BackupCodesView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupCodesView({} codes, [redacted])", self.codes.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecondFactorStatus {
    pub totp_enabled: bool,
    /// Enrolment started but not yet confirmed with a code.
    pub totp_pending: bool,
    pub require_2fa: bool,
    pub backup_codes_left: u32,
}

impl From<&SecondFactors> for SecondFactorStatus {
    fn from(factors: &SecondFactors) -> Self {
        Self {
            totp_enabled: factors.totp_enabled,
            totp_pending: factors.totp_secret.is_some() && !factors.totp_enabled,
            require_2fa: factors.require_2fa,
            backup_codes_left: u32::try_from(factors.backup_code_hashes.len()).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    /// `desktop`, `cli` or `sso`.
    pub kind: String,
    pub auth_method: String,
    pub audience: Option<String>,
    pub scopes: Vec<String>,
    #[ts(type = "Record<string, unknown>")]
    pub device_info: serde_json::Value,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    /// The session this request came with.
    pub current: bool,
}

impl SessionView {
    pub(crate) fn new(session: SessionSummary, current: bool) -> Self {
        Self {
            id: session.id.to_string(),
            kind: session.kind,
            auth_method: session.auth_method,
            audience: session.audience,
            scopes: session.scopes,
            device_info: session.device_info,
            created_at: rfc3339(session.created_at),
            last_seen_at: rfc3339(session.last_seen_at),
            expires_at: rfc3339(session.expires_at),
            current,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecurityEventView {
    pub id: String,
    pub identity_id: Option<String>,
    /// Who caused it, when that was someone else (e.g. the admin who unlocked the account).
    pub actor_id: Option<String>,
    pub event_type: String,
    #[ts(type = "Record<string, unknown>")]
    pub detail: serde_json::Value,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<SecurityEventRecord> for SecurityEventView {
    fn from(event: SecurityEventRecord) -> Self {
        Self {
            id: event.id.to_string(),
            identity_id: event.identity_id.map(|id| id.to_string()),
            actor_id: event.actor_id.map(|id| id.to_string()),
            event_type: event.event_type,
            detail: event.detail,
            created_at: rfc3339(event.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let shown = [
            format!("{:?}", SecondFactor::Totp("123456".into())),
            format!("{:?}", SecondFactor::BackupCode("ABCDE-12345".into())),
            format!("{:?}", AccountProof::Password("hunter2hunter2".into())),
            format!(
                "{:?}",
                ChangePasswordRequest {
                    current_password: "hunter2hunter2".into(),
                    new_password: "hunter3hunter3".into(),
                }
            ),
            format!(
                "{:?}",
                BackupCodesView {
                    codes: vec!["ABCDE-12345".into()]
                }
            ),
            format!(
                "{:?}",
                TotpEnrolment {
                    secret: "GEZDGNBV".into(),
                    otpauth_uri: "otpauth://totp/x?secret=GEZDGNBV".into(),
                    qr_svg: "<svg/>".into(),
                }
            ),
        ];
        for text in shown {
            for secret in ["123456", "ABCDE", "hunter", "GEZDGNBV"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
    }

    #[test]
    fn second_factors_arrive_tagged() {
        let factor: SecondFactor =
            serde_json::from_str(r#"{"kind":"backupCode","code":"ABCDE-12345"}"#).unwrap();
        assert!(matches!(factor, SecondFactor::BackupCode(code) if code == "ABCDE-12345"));
        let factor: SecondFactor =
            serde_json::from_str(r#"{"kind":"totp","code":"123456"}"#).unwrap();
        assert!(matches!(factor, SecondFactor::Totp(code) if code == "123456"));
        assert!(serde_json::from_str::<SecondFactor>(r#"{"kind":"sms","code":"1"}"#).is_err());
    }
}
