//! Who is calling: every use case after sign-in starts by turning the presented session
//! token into a [`Caller`], and checks the role it needs on it.

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use multipass_domain::{IdentityId, Role, SessionId, SessionToken};

/// The identity behind an active session, with the role it held when the call began.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity_id: IdentityId,
    pub session_id: SessionId,
    pub role: Role,
    /// The session's absolute end.
    pub session_expires_at: DateTime<Utc>,
}

impl Caller {
    /// Refuses with `forbidden` unless the caller's role allows `needed`.
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.role.allows(needed) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "This needs the {needed} role; your account has the {} role.",
                    self.role
                ),
            ))
        }
    }

    /// Refuses unless the caller is `owner` or holds `override_role` (e.g. an admin acting
    /// on someone else's record).
    pub fn require_self_or(&self, owner: IdentityId, override_role: Role) -> Result<(), ApiError> {
        if self.identity_id == owner {
            Ok(())
        } else {
            self.require(override_role)
        }
    }
}

impl MultipassApi {
    /// The caller behind `token`, or `unauthenticated` when the session is unknown, revoked,
    /// expired or idle for longer than the idle timeout. Counts as activity on the session.
    #[tracing::instrument(skip_all)]
    pub async fn caller(&self, token: &SessionToken) -> Result<Caller, ApiError> {
        let now = self.clock.now();
        // One statement: every call after sign-in pays for this, and the role comes with the
        // session rather than from a second look-up of the identity.
        let active = self
            .store
            .use_session(
                &token.hash(),
                now,
                self.rules().await?.session.idle_cutoff(now),
            )
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let session = active.session;
        let role = Role::parse(&active.role).map_err(|e| {
            ApiError::internal("A stored role is not one Multipass knows", &e.message)
        })?;
        Ok(Caller {
            identity_id: session.identity_id,
            session_id: session.id,
            role,
            session_expires_at: session.expires_at,
        })
    }
}
