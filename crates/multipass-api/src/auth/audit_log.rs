//! Reading the security audit trail: users see their own events, admins anyone's.

use super::views::SecurityEventView;
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::{IdentityId, Role, SessionToken, Username};

/// Most events one listing returns.
pub const MAX_EVENTS: u32 = 1000;

impl MultipassApi {
    /// The newest `limit` (1 to [`MAX_EVENTS`]) security events of `identity`, the caller
    /// when `None`. Another identity's events need the admin role.
    #[tracing::instrument(skip_all)]
    pub async fn security_events(
        &self,
        token: &SessionToken,
        identity: Option<IdentityId>,
        limit: u32,
    ) -> Result<Vec<SecurityEventView>, ApiError> {
        let caller = self.caller(token).await?;
        let target = identity.unwrap_or(caller.identity_id);
        caller.require_self_or(target, Role::Admin)?;
        if !(1..=MAX_EVENTS).contains(&limit) {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("Ask for 1 to {MAX_EVENTS} events, not {limit}."),
            )
            .with_field("limit"));
        }
        let events = self.store.security_events(Some(target), limit).await?;
        Ok(events.into_iter().map(SecurityEventView::from).collect())
    }

    /// The identity signed in as `username`, for staff tools that act on someone by name.
    /// Needs the desk role.
    #[tracing::instrument(skip_all)]
    pub async fn identity_id_of(
        &self,
        token: &SessionToken,
        username: &str,
    ) -> Result<IdentityId, ApiError> {
        self.caller(token).await?.require(Role::Desk)?;
        let username = Username::parse(username)?;
        self.store
            .credentials_by_username(&username)
            .await?
            .map(|record| record.identity_id)
            .ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, "No account has that username.")
                    .with_field("username")
            })
    }
}
