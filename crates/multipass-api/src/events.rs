//! What every use case records besides its own change: the security audit trail and the
//! user's notifications. Services call these two functions instead of the store directly, so
//! the policy below is kept in one place.

use crate::MultipassApi;
use crate::error::ApiError;
use multipass_domain::IdentityId;
use multipass_store::{NewNotification, NewSecurityEvent, NotificationKind, SecurityEventType};

impl MultipassApi {
    /// Appends to the security audit trail. A failure fails the operation: a security change
    /// that cannot be recorded must not go unrecorded silently.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn audit(
        &self,
        identity: Option<IdentityId>,
        actor: Option<IdentityId>,
        event_type: SecurityEventType,
        detail: serde_json::Value,
    ) -> Result<(), ApiError> {
        self.store
            .record_security_event(NewSecurityEvent {
                identity_id: identity,
                actor_id: actor,
                event_type,
                detail,
                at: self.clock.now(),
            })
            .await?;
        Ok(())
    }

    /// Tells `identity` about something that already happened (a transfer that is committed,
    /// an order that filled). The event itself stands whatever happens here, so a failure to
    /// notify is logged as a warning and not turned into a failure of the operation, which a
    /// user would otherwise retry.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn notify(
        &self,
        identity: IdentityId,
        kind: NotificationKind,
        title: impl Into<String>,
        body: impl Into<String>,
        metadata: serde_json::Value,
    ) {
        let notification = self.notice(identity, kind, title, body, metadata);
        self.notify_all(&[notification]).await;
    }

    /// [`Self::notify`] for several at once, stored in one commit.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn notify_all(&self, notifications: &[NewNotification]) {
        if let Err(error) = self.store.create_notifications(notifications).await {
            let kinds: Vec<&str> = notifications.iter().map(|n| n.kind.as_str()).collect();
            tracing::warn!(%error, ?kinds, "notifications could not be stored");
        }
    }

    /// A notification for `identity`, for a store call that writes it with its own change.
    pub(crate) fn notice(
        &self,
        identity: IdentityId,
        kind: NotificationKind,
        title: impl Into<String>,
        body: impl Into<String>,
        metadata: serde_json::Value,
    ) -> NewNotification {
        NewNotification {
            id: uuid::Uuid::new_v4(),
            identity_id: identity,
            kind,
            title: title.into(),
            body: body.into(),
            metadata,
            created_at: self.clock.now(),
        }
    }
}
