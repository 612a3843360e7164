//! Sessions: a user lists and ends their own; an administrator anyone's.

use super::views::SessionView;
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::{IdentityId, Role, SessionId, SessionToken};
use multipass_store::{NotificationKind, RevocationReason, SecurityEventType};

impl MultipassApi {
    /// The usable sessions of `identity` (the caller when `None`; someone else's for
    /// administrators only), newest first, with the one making this call marked.
    #[tracing::instrument(skip_all)]
    pub async fn sessions(
        &self,
        token: &SessionToken,
        identity: Option<IdentityId>,
    ) -> Result<Vec<SessionView>, ApiError> {
        let caller = self.caller(token).await?;
        let target = identity.unwrap_or(caller.identity_id);
        caller.require_self_or(target, Role::Admin)?;
        let now = self.clock.now();
        let sessions = self
            .store
            .sessions_of(target, now, self.rules().await?.session.idle_cutoff(now))
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| {
                let current = session.id == caller.session_id;
                SessionView::new(session, current)
            })
            .collect())
    }

    /// Ends one session of `identity` (the caller when `None`, the current session
    /// included; someone else's for administrators only, recorded as `admin_revoked` with
    /// the administrator as actor, and the owner told). A session of anyone else is answered
    /// exactly like an unknown one.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_session(
        &self,
        token: &SessionToken,
        identity: Option<IdentityId>,
        session: SessionId,
    ) -> Result<(), ApiError> {
        let caller = self.caller(token).await?;
        let target = identity.unwrap_or(caller.identity_id);
        caller.require_self_or(target, Role::Admin)?;
        let by_admin = target != caller.identity_id;
        let reason = if by_admin {
            RevocationReason::AdminRevoked
        } else {
            RevocationReason::UserRevoked
        };
        let revoked = self
            .store
            .revoke_session_of(target, session, reason, self.clock.now())
            .await?;
        if !revoked {
            let message = if by_admin {
                "That user has no open session with that id."
            } else {
                "You have no open session with that id."
            };
            return Err(ApiError::new(ErrorCode::NotFound, message).with_field("sessionId"));
        }
        self.audit(
            Some(target),
            by_admin.then_some(caller.identity_id),
            SecurityEventType::SessionRevoked,
            serde_json::json!({
                "session_id": session,
                "current": session == caller.session_id,
                "reason": reason.as_str(),
            }),
        )
        .await?;
        if by_admin {
            self.notify(
                target,
                NotificationKind::SecurityAlert,
                "An administrator signed out one of your sessions",
                "One of your sessions was ended by an administrator. Sign in again where you need to; if you did not expect this, ask your administrator why.",
                serde_json::json!({ "session_id": session }),
            )
            .await;
        }
        Ok(())
    }
}
