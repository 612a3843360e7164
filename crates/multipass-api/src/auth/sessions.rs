//! A user's own sessions: listing them and ending any of them.

use super::views::SessionView;
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::{SessionId, SessionToken};
use multipass_store::{RevocationReason, SecurityEventType};

impl MultipassApi {
    /// The caller's usable sessions, newest first, with the one making this call marked.
    #[tracing::instrument(skip_all)]
    pub async fn sessions(&self, token: &SessionToken) -> Result<Vec<SessionView>, ApiError> {
        let caller = self.caller(token).await?;
        let now = self.clock.now();
        let sessions = self
            .store
            .sessions_of(
                caller.identity_id,
                now,
                self.policies.session.idle_cutoff(now),
            )
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| {
                let current = session.id == caller.session_id;
                SessionView::new(session, current)
            })
            .collect())
    }

    /// Ends one of the caller's own sessions (the current one included). Someone else's
    /// session id is answered exactly like an unknown one.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_session(
        &self,
        token: &SessionToken,
        session: SessionId,
    ) -> Result<(), ApiError> {
        let caller = self.caller(token).await?;
        let revoked = self
            .store
            .revoke_session_of(
                caller.identity_id,
                session,
                RevocationReason::UserRevoked,
                self.clock.now(),
            )
            .await?;
        if !revoked {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "You have no open session with that id.",
            )
            .with_field("sessionId"));
        }
        self.audit(
            Some(caller.identity_id),
            None,
            SecurityEventType::SessionRevoked,
            serde_json::json!({
                "session_id": session,
                "current": session == caller.session_id,
                "reason": RevocationReason::UserRevoked.as_str(),
            }),
        )
        .await
    }
}
