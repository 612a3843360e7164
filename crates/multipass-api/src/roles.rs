//! Roles: admins grant them; the first admin comes from a one-time bootstrap.

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::{Role, SessionToken};
use multipass_store::SecurityEventType;
use multipass_store::identity::RoleChange;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoleGrantView {
    pub identity_id: String,
    pub username: String,
    pub previous_role: String,
    pub role: String,
    /// False when the identity already had the role.
    pub changed: bool,
}

impl MultipassApi {
    /// Gives `username` the role `role` (user, desk or admin). Admins only; refused when it
    /// would leave no active admin, so the last admin cannot demote themselves.
    #[tracing::instrument(skip_all)]
    pub async fn grant_role(
        &self,
        token: &SessionToken,
        username: &str,
        role: &str,
    ) -> Result<RoleGrantView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let role = Role::parse(role.trim())?;
        let target = self.target_identity(&caller, Some(username)).await?;
        let change = self.store.set_role(target, role).await?;
        let previous = match change {
            RoleChange::LastAdmin => {
                return Err(ApiError::new(
                    ErrorCode::InvalidState,
                    "This is the last active admin; make someone else admin first.",
                ));
            }
            RoleChange::Unchanged => role,
            RoleChange::Changed { previous } => {
                self.audit(
                    Some(target),
                    Some(caller.identity_id),
                    SecurityEventType::RoleGranted,
                    serde_json::json!({ "from": previous.as_str(), "to": role.as_str() }),
                )
                .await?;
                previous
            }
        };
        let profile = self.store.profile(target).await?;
        Ok(RoleGrantView {
            identity_id: target.to_string(),
            username: profile.username,
            previous_role: previous.as_str().to_owned(),
            role: profile.role,
            changed: matches!(change, RoleChange::Changed { .. }),
        })
    }

    /// Makes the caller admin, only while the store has no admin at all (a new installation).
    #[tracing::instrument(skip_all)]
    pub async fn bootstrap_admin(&self, token: &SessionToken) -> Result<RoleGrantView, ApiError> {
        let caller = self.caller(token).await?;
        if !self.store.bootstrap_admin(caller.identity_id).await? {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "This store already has an admin; ask an admin to grant you a role.",
            ));
        }
        self.audit(
            Some(caller.identity_id),
            None,
            SecurityEventType::RoleGranted,
            serde_json::json!({ "from": caller.role.as_str(), "to": "admin", "bootstrap": true }),
        )
        .await?;
        let profile = self.store.profile(caller.identity_id).await?;
        Ok(RoleGrantView {
            identity_id: caller.identity_id.to_string(),
            username: profile.username,
            previous_role: caller.role.as_str().to_owned(),
            role: profile.role,
            changed: true,
        })
    }
}
