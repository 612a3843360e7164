//! Password changes and unlocking accounts.

use super::views::ChangePasswordRequest;
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::{IdentityId, Password, Role, SessionToken};
use multipass_store::SecurityEventType;

impl MultipassApi {
    /// Changes the caller's password. Needs the current one (a wrong one counts as a failed
    /// sign-in); the new one must meet the policy. Every other session of the identity is
    /// revoked; the one making the change stays signed in. Returns how many were revoked.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(
        &self,
        token: &SessionToken,
        request: ChangePasswordRequest,
    ) -> Result<u64, ApiError> {
        let caller = self.caller(token).await?;
        let current = Password::for_sign_in(request.current_password)
            .map_err(|e| ApiError::from(e).with_field("currentPassword"))?;
        let new = Password::new_checked(request.new_password, self.policies.password)
            .map_err(|e| ApiError::from(e).with_field("newPassword"))?;
        let record = self.store.credentials_of(caller.identity_id).await?;
        if !self
            .verify_password(current, Some(record.password_hash.clone()))
            .await?
        {
            self.count_failure(&record, "wrong_current_password")
                .await?;
            return Err(ApiError::new(
                ErrorCode::InvalidCredentials,
                "The current password is not correct.",
            )
            .with_field("currentPassword"));
        }
        let new_hash = self.hash_password(new).await?;
        let revoked = self
            .store
            .change_password(
                record.id,
                &new_hash,
                Some(caller.session_id),
                self.clock.now(),
            )
            .await?;
        self.audit(
            Some(caller.identity_id),
            None,
            SecurityEventType::PasswordChanged,
            serde_json::json!({ "other_sessions_revoked": revoked }),
        )
        .await?;
        self.notify(
            caller.identity_id,
            multipass_store::NotificationKind::SecurityAlert,
            "Your password was changed",
            "Your password was changed and your other sessions were signed out. If this was not you, contact an administrator at once.",
            serde_json::json!({ "other_sessions_revoked": revoked }),
        )
        .await;
        Ok(revoked)
    }

    /// Lifts the lock that failed sign-ins put on `identity`'s account. Admins only.
    #[tracing::instrument(skip_all)]
    pub async fn unlock(&self, token: &SessionToken, identity: IdentityId) -> Result<(), ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let record = self.store.credentials_of(identity).await?;
        if !self.store.unlock(record.id, self.clock.now()).await? {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "That account is not locked.",
            ));
        }
        tracing::info!(%identity, admin = %caller.identity_id, "account unlocked");
        self.audit(
            Some(identity),
            Some(caller.identity_id),
            SecurityEventType::AccountUnlocked,
            serde_json::json!({ "failed_attempts_before": record.failed_attempts }),
        )
        .await
    }
}
