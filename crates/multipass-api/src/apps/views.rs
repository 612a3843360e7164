//! Transport types of the module registry and SSO: requests from the UI and CLI, and the
//! views they get back. Timestamps are RFC 3339 UTC text.

use chrono::{DateTime, SecondsFormat, Utc};
use multipass_domain::apps::AppState;
use multipass_store::{AppEventRecord, ModuleRecord};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterModuleRequest {
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub category: String,
    pub api_base_url: String,
    #[serde(default)]
    pub required_scopes: Vec<String>,
    /// Defaults to 1.0.0.
    #[serde(default)]
    pub version: Option<String>,
}

/// Only the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateModuleRequest {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub api_base_url: Option<String>,
    #[serde(default)]
    pub required_scopes: Option<Vec<String>>,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModuleView {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub category: String,
    pub api_base_url: String,
    pub required_scopes: Vec<String>,
    pub version: String,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ModuleRecord> for ModuleView {
    fn from(module: ModuleRecord) -> Self {
        Self {
            id: module.id.to_string(),
            name: module.name,
            display_name: module.display_name,
            description: module.description,
            category: module.category,
            api_base_url: module.api_base_url,
            required_scopes: module.required_scopes,
            version: module.version,
            enabled: module.is_enabled,
            created_at: rfc3339(module.created_at),
            updated_at: rfc3339(module.updated_at),
        }
    }
}

/// A module as one user sees it: with whether they installed it and what they consented to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MyModuleView {
    pub module: ModuleView,
    pub installed: bool,
    /// Empty when there is no consent in force.
    pub consented_scopes: Vec<String>,
}

impl MyModuleView {
    pub(crate) fn new(module: ModuleRecord, state: &AppState) -> Self {
        Self {
            module: module.into(),
            installed: state.installed,
            consented_scopes: consented(state),
        }
    }
}

fn consented(state: &AppState) -> Vec<String> {
    state
        .consented
        .as_ref()
        .map(|s| s.to_strings())
        .unwrap_or_default()
}

/// The outcome of install, authorise, revoke or uninstall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppChangeView {
    pub module: String,
    pub installed: bool,
    pub consented_scopes: Vec<String>,
    /// False when it was already so (installing twice, revoking nothing).
    pub changed: bool,
    /// Open SSO tokens for this module that stopped being valid online.
    pub revoked_tokens: u32,
}

impl AppChangeView {
    pub(crate) fn new(module: String, state: &AppState, changed: bool, revoked: u64) -> Self {
        Self {
            module,
            installed: state.installed,
            consented_scopes: consented(state),
            changed,
            revoked_tokens: u32::try_from(revoked).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppEventView {
    pub id: String,
    pub module: String,
    /// installed, authorized, revoked, uninstalled or action.
    pub event_type: String,
    /// For `authorized`: the consented scopes.
    pub scopes: Vec<String>,
    pub action: Option<String>,
    pub detail: Option<String>,
    pub created_at: String,
}

impl From<AppEventRecord> for AppEventView {
    fn from(event: AppEventRecord) -> Self {
        Self {
            id: event.id.to_string(),
            module: event.module_name,
            event_type: event.event_type,
            scopes: event
                .scope
                .as_deref()
                .map(|s| {
                    s.split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            action: event.action,
            detail: event.detail,
            created_at: rfc3339(event.created_at),
        }
    }
}

/// One page of events, newest first; pass `nextCursor` back for the next, older page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppEventPage {
    pub events: Vec<AppEventView>,
    pub next_cursor: Option<String>,
}

/// An SSO token for a module. The token is the bearer credential: hand it to the module only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SsoTokenView {
    pub token: String,
    pub token_type: String,
    pub audience: String,
    pub scopes: Vec<String>,
    pub expires_at: String,
    pub kid: String,
}

impl std::fmt::Debug for SsoTokenView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoTokenView")
            .field("token", &"[redacted]")
            .field("audience", &self.audience)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedSsoTokenView {
    /// The identity id.
    pub subject: String,
    pub audience: String,
    pub scopes: Vec<String>,
    pub expires_at: String,
    pub kid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyRotatedView {
    /// The key this desktop now signs with.
    pub kid: String,
    /// The key it signed with before, now retired but still published until its tokens expire.
    pub retired_kid: Option<String>,
}
