//! Storage of notifications, report definitions and generated reports.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use serde::Serialize;

/// The `notifications.kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    TransferReceived,
    OrderFilled,
    KycDecision,
    PassEnrolled,
    PassRevoked,
    NewSignIn,
    SecurityAlert,
    ReportReady,
    System,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransferReceived => "transfer_received",
            Self::OrderFilled => "order_filled",
            Self::KycDecision => "kyc_decision",
            Self::PassEnrolled => "pass_enrolled",
            Self::PassRevoked => "pass_revoked",
            Self::NewSignIn => "new_sign_in",
            Self::SecurityAlert => "security_alert",
            Self::ReportReady => "report_ready",
            Self::System => "system",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewNotification {
    pub id: uuid::Uuid,
    pub identity_id: IdentityId,
    pub kind: NotificationKind,
    /// 1 to 200 characters.
    pub title: String,
    pub body: String,
    /// A JSON object, e.g. the ids of the transfer or order it is about.
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    async fn create_notification(&self, notification: NewNotification) -> Result<(), StoreError>;
}
