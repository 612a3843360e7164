//! Profiles: showing and updating them (a user their own, an admin anyone's), and an admin's
//! suspension and deactivation.

use crate::MultipassApi;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, SecondsFormat, Utc};
use multipass_domain::profile::{Country, DateOfBirth, JsonObject, Phone};
use multipass_domain::{Email, FullName, IdentityId, Role, SessionToken, Username};
use multipass_store::identity::{ProfilePatch, ProfileRecord};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// RFC 3339 in UTC, to the second, as every view shows times.
pub(crate) fn time_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An optional RFC 3339 time that must lie after `now`.
pub(crate) fn future_time(
    field: &'static str,
    raw: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let at = DateTime::parse_from_rfc3339(raw)
        .map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidInput,
                "Enter the time in RFC 3339 form, like 2027-06-30T00:00:00Z.",
            )
            .with_field(field)
        })?
        .with_timezone(&Utc);
    if at <= now {
        return Err(
            ApiError::new(ErrorCode::InvalidInput, "This time must be in the future.")
                .with_field(field),
        );
    }
    Ok(Some(at))
}

pub(crate) fn parse_id(field: &'static str, raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!(
                "{:?} is not an id; ids look like 0b7e6c1a-8f3d-4c2e-9a51-2f4d6e8b0c13.",
                raw.trim()
            ),
        )
        .with_field(field)
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub id: String,
    pub full_name: String,
    pub email: String,
    pub username: String,
    pub phone: Option<String>,
    pub country: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub verification_status: String,
    pub kyc_level: i16,
    pub role: String,
    pub is_active: bool,
    pub deactivated_at: Option<String>,
    #[ts(type = "Record<string, unknown>")]
    pub metadata: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ProfileRecord> for ProfileView {
    fn from(p: ProfileRecord) -> Self {
        Self {
            id: p.id.to_string(),
            full_name: p.full_name,
            email: p.email,
            username: p.username,
            phone: p.phone,
            country: p.country,
            date_of_birth: p.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()),
            verification_status: p.verification_status,
            kyc_level: p.kyc_level,
            role: p.role,
            is_active: p.is_active,
            deactivated_at: p.deactivated_at.map(time_text),
            metadata: p.metadata,
            created_at: time_text(p.created_at),
            updated_at: time_text(p.updated_at),
        }
    }
}

/// A profile change. A field left out stays as it is; for phone, country and date of birth
/// an empty string clears the field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateProfileRequest {
    /// Whose profile: a username, or the caller's own when left out. Admins only for others.
    pub username: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub date_of_birth: Option<String>,
    #[ts(type = "Record<string, unknown> | null")]
    pub metadata: Option<serde_json::Value>,
}

/// `None`: unchanged; `Some(None)`: cleared; `Some(Some(v))`: set.
fn clearable<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, multipass_domain::ValidationError>,
) -> Result<Option<Option<T>>, ApiError> {
    match raw {
        None => Ok(None),
        Some(text) if text.trim().is_empty() => Ok(Some(None)),
        Some(text) => Ok(Some(Some(parse(text)?))),
    }
}

impl MultipassApi {
    /// The identity a request names by username, or the caller's own.
    pub(crate) async fn target_identity(
        &self,
        caller: &Caller,
        username: Option<&str>,
    ) -> Result<IdentityId, ApiError> {
        let Some(name) = username.filter(|n| !n.trim().is_empty()) else {
            return Ok(caller.identity_id);
        };
        let not_found = || {
            ApiError::new(
                ErrorCode::NotFound,
                format!("No account has the username {:?}.", name.trim()),
            )
            .with_field("username")
        };
        let username = Username::parse(name).map_err(|_| not_found())?;
        let record = self
            .store
            .credentials_by_username(&username)
            .await?
            .ok_or_else(not_found)?;
        Ok(record.identity_id)
    }

    /// A profile: one's own, or anyone's for desk staff and admins.
    #[tracing::instrument(skip_all)]
    pub async fn profile(
        &self,
        token: &SessionToken,
        username: Option<&str>,
    ) -> Result<ProfileView, ApiError> {
        let caller = self.caller(token).await?;
        let target = self.target_identity(&caller, username).await?;
        caller.require_self_or(target, Role::Desk)?;
        Ok(self.store.profile(target).await?.into())
    }

    #[tracing::instrument(skip_all)]
    pub async fn update_profile(
        &self,
        token: &SessionToken,
        request: UpdateProfileRequest,
    ) -> Result<ProfileView, ApiError> {
        let caller = self.caller(token).await?;
        let target = self
            .target_identity(&caller, request.username.as_deref())
            .await?;
        caller.require_self_or(target, Role::Admin)?;
        let today = self.clock.now().date_naive();
        let patch = ProfilePatch {
            full_name: request
                .full_name
                .as_deref()
                .map(FullName::parse)
                .transpose()?,
            email: request.email.as_deref().map(Email::parse).transpose()?,
            phone: clearable(request.phone.as_deref(), Phone::parse)?,
            country: clearable(request.country.as_deref(), Country::parse)?,
            date_of_birth: clearable(request.date_of_birth.as_deref(), |raw| {
                DateOfBirth::parse(raw, today)
            })?,
            metadata: request
                .metadata
                .map(|value| JsonObject::parse("metadata", value))
                .transpose()?,
        };
        let profile = self.store.update_profile(target, patch).await?;
        tracing::info!(identity = %target, actor = %caller.identity_id, "profile updated");
        Ok(profile.into())
    }

    /// Suspends a profile (its verification status becomes `suspended` whatever its
    /// verifications say) or lifts the suspension (the status is derived again). Admins only.
    #[tracing::instrument(skip_all)]
    pub async fn set_suspended(
        &self,
        token: &SessionToken,
        username: &str,
        suspended: bool,
    ) -> Result<ProfileView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let target = self.target_identity(&caller, Some(username)).await?;
        let profile = self
            .store
            .set_suspended(target, suspended, self.clock.now())
            .await?;
        tracing::info!(identity = %target, suspended, "suspension changed");
        Ok(profile.into())
    }

    /// Deactivates a profile (soft: `is_active`, `deactivated_at`; its sessions end) or
    /// reactivates it. Admins only, and not on themselves.
    #[tracing::instrument(skip_all)]
    pub async fn set_active(
        &self,
        token: &SessionToken,
        username: &str,
        active: bool,
    ) -> Result<ProfileView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let target = self.target_identity(&caller, Some(username)).await?;
        if target == caller.identity_id && !active {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "You cannot deactivate your own account; ask another admin.",
            ));
        }
        let profile = self
            .store
            .set_active(target, active, self.clock.now())
            .await?;
        tracing::info!(identity = %target, active, "activation changed");
        Ok(profile.into())
    }
}
