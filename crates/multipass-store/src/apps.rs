//! Storage of application modules, installs and consents, SSO tokens and signing keys.
//!
//! A user's standing with a module is not kept in a table of its own: it is derived from
//! their `application_events` (the newest install-or-uninstall event, and the newest event
//! that sets or clears consent). Changing it reads that state and appends the event under a
//! lock on the (identity, module) pair, so two desktops installing at once write one
//! `installed` event. Within a pair, each event is stamped strictly later than the one before
//! it, so "newest" is never a tie.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::apps::{
    ApiBaseUrl, AppChange, AppChangeRefused, AppEventKind, AppState, Description, DisplayName,
    ModuleCategory, ModuleName, ModuleVersion, ScopeSet, Transition,
};
use multipass_domain::{IdentityId, SessionId, TokenHash};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewModule {
    pub id: Uuid,
    pub name: ModuleName,
    pub display_name: DisplayName,
    pub description: Description,
    pub category: ModuleCategory,
    pub api_base_url: ApiBaseUrl,
    pub required_scopes: ScopeSet,
    pub version: ModuleVersion,
    pub created_at: DateTime<Utc>,
}

/// The fields an update sets; `None` keeps the stored value. Applied in one statement, so
/// two admins editing different fields at once both keep their change.
#[derive(Debug, Clone, Default)]
pub struct ModuleChanges {
    pub display_name: Option<DisplayName>,
    pub description: Option<Description>,
    pub category: Option<ModuleCategory>,
    pub api_base_url: Option<ApiBaseUrl>,
    pub required_scopes: Option<ScopeSet>,
    pub version: Option<ModuleVersion>,
}

impl ModuleChanges {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.description.is_none()
            && self.category.is_none()
            && self.api_base_url.is_none()
            && self.required_scopes.is_none()
            && self.version.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRecord {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub category: String,
    pub api_base_url: String,
    pub required_scopes: Vec<String>,
    pub version: String,
    pub is_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ModuleRecord {
    /// The stored required scopes as a set; a stored value that no longer parses is corrupt.
    pub fn required_scope_set(&self) -> Result<ScopeSet, StoreError> {
        ScopeSet::parse("requiredScopes", &self.required_scopes)
            .map_err(|e| StoreError::Corrupt(format!("module {}: {}", self.name, e.message)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppEventRecord {
    pub id: Uuid,
    pub identity_id: IdentityId,
    pub module_id: Uuid,
    pub module_name: String,
    pub event_type: String,
    /// Space-separated scopes, for `authorized` events.
    pub scope: Option<String>,
    pub action: Option<String>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Where a page of events ends: the next page holds the events strictly older than this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppEventCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// A change that was applied (or found already in place).
#[derive(Debug, Clone)]
pub struct AppChangeApplied {
    pub module: ModuleRecord,
    pub before: AppState,
    pub after: AppState,
    /// The event written; `None` when nothing changed.
    pub event: Option<AppEventRecord>,
    /// SSO sessions of this user for this module revoked because their consent changed.
    pub revoked_tokens: u64,
}

#[derive(Debug, Clone)]
pub enum AppChangeOutcome {
    Applied(Box<AppChangeApplied>),
    Refused(AppChangeRefused),
}

/// The `multipass_sessions` row of an SSO token: kind `sso`, auth method `sso_consent`.
#[derive(Debug, Clone)]
pub struct NewSsoSession {
    pub id: SessionId,
    pub identity_id: IdentityId,
    pub token_hash: TokenHash,
    pub scopes: ScopeSet,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoSessionOpened {
    Opened,
    /// The user's standing changed since the token was prepared; nothing was stored.
    Refused(AppChangeRefused),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSessionRecord {
    pub id: SessionId,
    pub identity_id: IdentityId,
    pub audience: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewSsoKey {
    pub kid: String,
    /// Raw Ed25519 public key, base64url without padding.
    pub public_key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoKeyRecord {
    pub kid: String,
    pub public_key: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait AppStore: Send + Sync {
    /// Registers a module (enabled); a taken name is `Conflict::ModuleNameTaken`.
    async fn create_module(&self, module: NewModule) -> Result<ModuleRecord, StoreError>;

    /// Sets the given fields in one statement; `NotFound` for an unknown name.
    async fn update_module(
        &self,
        name: &ModuleName,
        changes: ModuleChanges,
        at: DateTime<Utc>,
    ) -> Result<ModuleRecord, StoreError>;

    /// Enables or disables a module. Disabling also revokes every open SSO session issued
    /// to it, in the same transaction, and returns how many.
    async fn set_module_enabled(
        &self,
        name: &ModuleName,
        enabled: bool,
        at: DateTime<Utc>,
    ) -> Result<(ModuleRecord, u64), StoreError>;

    async fn module_by_name(&self, name: &ModuleName) -> Result<Option<ModuleRecord>, StoreError>;

    /// All modules by name; disabled ones only when `include_disabled`.
    async fn list_modules(&self, include_disabled: bool) -> Result<Vec<ModuleRecord>, StoreError>;

    /// The user's standing with the module; `NotFound` for an unknown module.
    async fn app_state(
        &self,
        identity: IdentityId,
        module: &ModuleName,
    ) -> Result<(ModuleRecord, AppState), StoreError>;

    /// Decides `change` with [`AppState::decide`] under the pair's lock and appends its event.
    /// A consent that ends or is replaced revokes the pair's open SSO sessions.
    async fn apply_app_change(
        &self,
        identity: IdentityId,
        module: &ModuleName,
        change: AppChange,
        at: DateTime<Utc>,
    ) -> Result<AppChangeOutcome, StoreError>;

    /// The user's events, newest first, strictly older than `before`; at most `limit`.
    async fn app_events(
        &self,
        identity: IdentityId,
        module: Option<&ModuleName>,
        before: Option<AppEventCursor>,
        limit: u32,
    ) -> Result<Vec<AppEventRecord>, StoreError>;

    /// Stores an SSO token's hash, after re-checking under the pair's lock that the module
    /// is enabled and the scopes are still consented.
    async fn open_sso_session(
        &self,
        module: &ModuleName,
        session: NewSsoSession,
    ) -> Result<SsoSessionOpened, StoreError>;

    /// The SSO session of `token_hash` if it is neither revoked nor expired at `now`.
    async fn active_sso_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<SsoSessionRecord>, StoreError>;

    async fn sso_key(&self, kid: &str) -> Result<Option<SsoKeyRecord>, StoreError>;

    /// Keys not retired, or retired after `retired_after`, oldest first.
    async fn published_sso_keys(
        &self,
        retired_after: DateTime<Utc>,
    ) -> Result<Vec<SsoKeyRecord>, StoreError>;

    /// Publishes `key` and, in the same transaction, retires `retire` (this desktop's
    /// previous key) if it is still current.
    async fn add_sso_key(&self, key: NewSsoKey, retire: Option<&str>) -> Result<(), StoreError>;
}

/// The event a change writes and the state it leaves, decided by the domain rules. Both
/// backends apply it the same way; only their locking differs.
#[derive(Debug, Clone)]
pub struct AppChangePlan {
    pub event: Option<AppEventKind>,
    /// The space-separated scopes of an `authorized` event.
    pub scope: Option<String>,
    pub action: Option<String>,
    pub detail: Option<String>,
    pub after: AppState,
    /// The pair's open SSO sessions lose their basis and are revoked.
    pub revoke_tokens: bool,
}

pub fn plan_app_change(
    module: &ModuleRecord,
    before: &AppState,
    change: &AppChange,
) -> Result<Result<AppChangePlan, AppChangeRefused>, StoreError> {
    let required = module.required_scope_set()?;
    let kind = match before.decide(change, module.is_enabled, &required) {
        Err(refused) => return Ok(Err(refused)),
        Ok(Transition::Unchanged) => {
            return Ok(Ok(AppChangePlan {
                event: None,
                scope: None,
                action: None,
                detail: None,
                after: before.clone(),
                revoke_tokens: false,
            }));
        }
        Ok(Transition::Record(kind)) => kind,
    };
    let mut after = before.clone();
    let mut scope = None;
    let (mut action, mut detail) = (None, None);
    match change {
        AppChange::Install => after.installed = true,
        AppChange::Authorize(scopes) => {
            scope = Some(scopes.to_spaced());
            after.consented = Some(scopes.clone());
        }
        AppChange::Revoke => after.consented = None,
        AppChange::Uninstall => after = AppState::default(),
        AppChange::Action(done) => {
            action = Some(done.name().to_owned());
            detail = done.detail().map(str::to_owned);
        }
    }
    let revoke_tokens = match kind {
        AppEventKind::Authorized => before.consented.is_some(),
        AppEventKind::Revoked | AppEventKind::Uninstalled => true,
        AppEventKind::Installed | AppEventKind::Action => false,
    };
    Ok(Ok(AppChangePlan {
        event: Some(kind),
        scope,
        action,
        detail,
        after,
        revoke_tokens,
    }))
}

/// Rebuilds a pair's state from the stored newest lifecycle event type and the newest
/// consent event's type and scope.
pub fn app_state_from_stored(
    lifecycle: Option<&str>,
    consent_type: Option<&str>,
    consent_scope: Option<&str>,
) -> Result<AppState, StoreError> {
    let kind = |text: &str| {
        AppEventKind::from_stored(text)
            .ok_or_else(|| StoreError::Corrupt(format!("application event type {text:?}")))
    };
    let lifecycle = lifecycle.map(kind).transpose()?;
    let consent = match consent_type {
        None => None,
        Some(text) => {
            let scopes = consent_scope
                .map(|scope| {
                    ScopeSet::parse_spaced("scope", scope).map_err(|e| {
                        StoreError::Corrupt(format!("consented scopes: {}", e.message))
                    })
                })
                .transpose()?;
            Some((kind(text)?, scopes))
        }
    };
    Ok(AppState::from_latest(lifecycle, consent))
}

/// The time to stamp a pair's next event: `now`, cut to the backend's `resolution`, or one
/// step after the pair's newest event when the clock has not moved past it.
pub fn next_event_time(
    now: DateTime<Utc>,
    newest: Option<DateTime<Utc>>,
    resolution: chrono::Duration,
) -> DateTime<Utc> {
    let step = resolution.num_microseconds().unwrap_or(1).max(1);
    let micros = now.timestamp_micros();
    let cut = DateTime::from_timestamp_micros(micros - micros.rem_euclid(step)).unwrap_or(now);
    match newest {
        Some(newest) if newest >= cut => newest + resolution,
        _ => cut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_strictly_increase_within_a_pair() {
        let ms = chrono::Duration::milliseconds(1);
        let now = DateTime::parse_from_rfc3339("2026-12-01T08:00:00.123456Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let cut = next_event_time(now, None, ms);
        assert_eq!(cut.timestamp_subsec_micros(), 123_000);
        assert_eq!(next_event_time(now, Some(cut), ms), cut + ms);
        assert_eq!(next_event_time(now, Some(cut + ms * 5), ms), cut + ms * 6);
        assert_eq!(next_event_time(now, Some(cut - ms), ms), cut);
    }
}
