//! The application module registry: admins register, update, enable and disable modules;
//! users install them, consent to (a subset of) the scopes they request, revoke consent and
//! uninstall. SSO tokens for consented modules are in [`crate::sso`].
//!
//! Disabling a module stops new installs, consents and tokens at once and revokes the
//! module's open SSO sessions, so online verification ([`MultipassApi::verify_sso_token`])
//! refuses its tokens immediately. A module verifying offline against the JWKS cannot learn
//! of it and accepts a token until it expires, at most ten minutes later.

pub mod views;

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use chrono::DateTime;
use multipass_domain::apps::{
    ApiBaseUrl, AppAction, AppChange, AppChangeRefused, Description, DisplayName, ModuleCategory,
    ModuleName, ModuleVersion, ScopeSet,
};
use multipass_domain::{Role, SessionToken, ValidationError};
use multipass_store::{
    AppChangeOutcome, AppEventCursor, ModuleChanges, NewModule, SecurityEventType,
};
use views::{
    AppChangeView, AppEventPage, ModuleView, MyModuleView, RegisterModuleRequest,
    UpdateModuleRequest,
};

/// Events per page when none is asked for, and the most a page holds.
pub const DEFAULT_EVENT_PAGE: u32 = 20;
pub const MAX_EVENT_PAGE: u32 = 100;

/// How a refused change reads for people.
pub(crate) fn refused(module: &ModuleName, refused: AppChangeRefused) -> ApiError {
    match refused {
        AppChangeRefused::ModuleDisabled => ApiError::new(
            ErrorCode::InvalidState,
            format!("The module {module} is disabled by an administrator."),
        ),
        AppChangeRefused::NotInstalled => ApiError::new(
            ErrorCode::InvalidState,
            format!("The module {module} is not installed. Install it first."),
        ),
        AppChangeRefused::NotAuthorized => ApiError::new(
            ErrorCode::Forbidden,
            format!("You have not authorised the module {module}. Authorise it first."),
        ),
        AppChangeRefused::NoScopes => ApiError::new(
            ErrorCode::InvalidInput,
            "Choose at least one of the scopes the module requests.",
        )
        .with_field("scopes"),
        AppChangeRefused::ScopesNotAllowed(scopes) => ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "These scopes are not available to {module}: {}. A module gets only scopes it \
                 requests and you consented to.",
                scopes.join(", ")
            ),
        )
        .with_field("scopes"),
    }
}

fn optional<T>(
    raw: Option<&String>,
    parse: impl Fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    raw.map(|text| parse(text)).transpose()
}

fn encode_cursor(cursor: AppEventCursor) -> String {
    format!("{}.{}", cursor.created_at.timestamp_micros(), cursor.id)
}

fn decode_cursor(text: &str) -> Result<AppEventCursor, ApiError> {
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidInput,
            "The page cursor is not one this list handed out.",
        )
        .with_field("cursor")
    };
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let created_at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    Ok(AppEventCursor { created_at, id })
}

impl MultipassApi {
    pub async fn register_module(
        &self,
        token: &SessionToken,
        request: RegisterModuleRequest,
    ) -> Result<ModuleView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let module = NewModule {
            id: uuid::Uuid::new_v4(),
            name: ModuleName::parse(&request.name)?,
            display_name: DisplayName::parse(&request.display_name)?,
            description: Description::parse(request.description.as_deref().unwrap_or(""))?,
            category: ModuleCategory::parse(&request.category)?,
            api_base_url: ApiBaseUrl::parse(&request.api_base_url)?,
            required_scopes: ScopeSet::parse("requiredScopes", &request.required_scopes)?,
            version: ModuleVersion::parse(request.version.as_deref().unwrap_or("1.0.0"))?,
            created_at: self.clock.now(),
        };
        let record = self.store.create_module(module).await?;
        tracing::info!(module = %record.name, by = %caller.identity_id, "module registered");
        Ok(record.into())
    }

    pub async fn update_module(
        &self,
        token: &SessionToken,
        name: &str,
        request: UpdateModuleRequest,
    ) -> Result<ModuleView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let name = ModuleName::parse(name)?;
        let changes = ModuleChanges {
            display_name: optional(request.display_name.as_ref(), DisplayName::parse)?,
            description: optional(request.description.as_ref(), Description::parse)?,
            category: optional(request.category.as_ref(), ModuleCategory::parse)?,
            api_base_url: optional(request.api_base_url.as_ref(), ApiBaseUrl::parse)?,
            required_scopes: request
                .required_scopes
                .as_ref()
                .map(|scopes| ScopeSet::parse("requiredScopes", scopes))
                .transpose()?,
            version: optional(request.version.as_ref(), ModuleVersion::parse)?,
        };
        if changes.is_empty() {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "Nothing to change: give at least one field to update.",
            ));
        }
        let record = self
            .store
            .update_module(&name, changes, self.clock.now())
            .await
            .map_err(|e| module_not_found(e, &name))?;
        tracing::info!(module = %record.name, by = %caller.identity_id, "module updated");
        Ok(record.into())
    }

    /// Enables or disables a module; disabling revokes its open SSO sessions.
    pub async fn set_module_enabled(
        &self,
        token: &SessionToken,
        name: &str,
        enabled: bool,
    ) -> Result<ModuleView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let name = ModuleName::parse(name)?;
        let (record, revoked) = self
            .store
            .set_module_enabled(&name, enabled, self.clock.now())
            .await
            .map_err(|e| module_not_found(e, &name))?;
        tracing::info!(module = %record.name, enabled, revoked, by = %caller.identity_id, "module enabled state set");
        Ok(record.into())
    }

    /// Every enabled module with the caller's standing; admins may include disabled ones.
    pub async fn list_modules(
        &self,
        token: &SessionToken,
        include_disabled: bool,
    ) -> Result<Vec<MyModuleView>, ApiError> {
        let caller = self.caller(token).await?;
        if include_disabled {
            caller.require(Role::Admin)?;
        }
        let modules = self.store.list_modules(include_disabled).await?;
        let mut views = Vec::with_capacity(modules.len());
        for module in modules {
            // Names came from the store, which only ever holds valid ones.
            let name = ModuleName::parse(&module.name)
                .map_err(|e| ApiError::internal("A stored module name is invalid", &e.message))?;
            let (module, state) = self.store.app_state(caller.identity_id, &name).await?;
            views.push(MyModuleView::new(module, &state));
        }
        Ok(views)
    }

    pub async fn install_module(
        &self,
        token: &SessionToken,
        module: &str,
    ) -> Result<AppChangeView, ApiError> {
        self.change_app(token, module, AppChange::Install).await
    }

    /// Consents to `scopes`, or to every scope the module requests when `None`.
    pub async fn authorize_module(
        &self,
        token: &SessionToken,
        module: &str,
        scopes: Option<Vec<String>>,
    ) -> Result<AppChangeView, ApiError> {
        let scopes = match scopes {
            Some(scopes) => ScopeSet::parse("scopes", &scopes)?,
            None => {
                let name = ModuleName::parse(module)?;
                let record = self
                    .store
                    .module_by_name(&name)
                    .await?
                    .ok_or_else(|| unknown_module(&name))?;
                record.required_scope_set()?
            }
        };
        self.change_app(token, module, AppChange::Authorize(scopes))
            .await
    }

    pub async fn revoke_module(
        &self,
        token: &SessionToken,
        module: &str,
    ) -> Result<AppChangeView, ApiError> {
        self.change_app(token, module, AppChange::Revoke).await
    }

    pub async fn uninstall_module(
        &self,
        token: &SessionToken,
        module: &str,
    ) -> Result<AppChangeView, ApiError> {
        self.change_app(token, module, AppChange::Uninstall).await
    }

    /// Records something the user did in an installed module in their activity history.
    pub async fn record_app_action(
        &self,
        token: &SessionToken,
        module: &str,
        action: &str,
        detail: Option<&str>,
    ) -> Result<AppChangeView, ApiError> {
        let action = AppAction::parse(action, detail)?;
        self.change_app(token, module, AppChange::Action(action))
            .await
    }

    async fn change_app(
        &self,
        token: &SessionToken,
        module: &str,
        change: AppChange,
    ) -> Result<AppChangeView, ApiError> {
        let caller = self.caller(token).await?;
        let name = ModuleName::parse(module)?;
        let outcome = self
            .store
            .apply_app_change(caller.identity_id, &name, change, self.clock.now())
            .await
            .map_err(|e| module_not_found(e, &name))?;
        let applied = match outcome {
            AppChangeOutcome::Refused(why) => return Err(refused(&name, why)),
            AppChangeOutcome::Applied(applied) => applied,
        };
        let me = Some(caller.identity_id);
        if applied.event.is_some() && applied.before.consented != applied.after.consented {
            if let Some(scopes) = &applied.after.consented {
                let detail = serde_json::json!({
                    "module": name.as_str(),
                    "scopes": scopes.to_strings(),
                    "replaced": applied.before.consented.as_ref().map(ScopeSet::to_strings),
                });
                self.audit(me, None, SecurityEventType::ScopesGranted, detail)
                    .await?;
            } else if let Some(scopes) = &applied.before.consented {
                let detail = serde_json::json!({
                    "module": name.as_str(),
                    "scopes": scopes.to_strings(),
                    "uninstalled": !applied.after.installed,
                    "revokedTokens": applied.revoked_tokens,
                });
                self.audit(me, None, SecurityEventType::ScopesRevoked, detail)
                    .await?;
            }
        }
        Ok(AppChangeView::new(
            applied.module.name,
            &applied.after,
            applied.event.is_some(),
            applied.revoked_tokens,
        ))
    }

    /// The caller's module events, newest first, optionally for one module.
    pub async fn app_events(
        &self,
        token: &SessionToken,
        module: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<AppEventPage, ApiError> {
        let caller = self.caller(token).await?;
        let module = module.map(ModuleName::parse).transpose()?;
        let before = cursor.map(decode_cursor).transpose()?;
        let limit = limit.unwrap_or(DEFAULT_EVENT_PAGE);
        if !(1..=MAX_EVENT_PAGE).contains(&limit) {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("A page holds 1 to {MAX_EVENT_PAGE} events."),
            )
            .with_field("limit"));
        }
        // One more than asked tells whether another page follows.
        let mut events = self
            .store
            .app_events(caller.identity_id, module.as_ref(), before, limit + 1)
            .await?;
        let more = events.len() > limit as usize;
        events.truncate(limit as usize);
        let next_cursor = if more {
            events.last().map(|e| {
                encode_cursor(AppEventCursor {
                    created_at: e.created_at,
                    id: e.id,
                })
            })
        } else {
            None
        };
        Ok(AppEventPage {
            events: events.into_iter().map(Into::into).collect(),
            next_cursor,
        })
    }
}

pub(crate) fn unknown_module(name: &ModuleName) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("No module named {name} is registered."),
    )
    .with_field("name")
}

pub(crate) fn module_not_found(err: multipass_store::StoreError, name: &ModuleName) -> ApiError {
    match err {
        multipass_store::StoreError::NotFound => unknown_module(name),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = AppEventCursor {
            created_at: DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            id: uuid::Uuid::new_v4(),
        };
        assert_eq!(decode_cursor(&encode_cursor(cursor)).unwrap(), cursor);
        for bad in [
            "",
            "x",
            "12.not-a-uuid",
            "abc.00000000-0000-0000-0000-000000000000",
        ] {
            assert_eq!(
                decode_cursor(bad).unwrap_err().field.as_deref(),
                Some("cursor")
            );
        }
    }
}
