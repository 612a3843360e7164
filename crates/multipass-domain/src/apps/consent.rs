//! A user's standing with one module (installed? which scopes consented?) and the rules for
//! changing it. The store derives the state from the user's `application_events` and applies
//! the decision under a lock, so two desktops acting at once cannot both install.

use super::scopes::{Scope, ScopeSet};
use crate::identity::ValidationError;
use std::fmt;

/// The `application_events.event_type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppEventKind {
    Installed,
    Authorized,
    Revoked,
    Uninstalled,
    Action,
}

impl AppEventKind {
    pub const ALL: [Self; 5] = [
        Self::Installed,
        Self::Authorized,
        Self::Revoked,
        Self::Uninstalled,
        Self::Action,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::Authorized => "authorized",
            Self::Revoked => "revoked",
            Self::Uninstalled => "uninstalled",
            Self::Action => "action",
        }
    }

    pub fn from_stored(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for AppEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a user asks to do with a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppChange {
    Install,
    /// Consent to exactly these scopes, replacing any earlier consent.
    Authorize(ScopeSet),
    Revoke,
    Uninstall,
    /// Something the user did in the module, kept in their activity history.
    Action(AppAction),
}

/// An `action` event: a name (`^[a-z][a-z0-9_.-]{0,63}$`, e.g. `report.exported`) and an
/// optional free-text detail of at most 1000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAction {
    name: String,
    detail: Option<String>,
}

impl AppAction {
    pub const MAX_DETAIL_CHARS: usize = 1000;

    pub fn parse(name: &str, detail: Option<&str>) -> Result<Self, ValidationError> {
        let mut chars = name.chars();
        let name_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && name.len() <= 64
            && chars.all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')
            });
        if !name_ok {
            return Err(ValidationError::new(
                "action",
                "An action name is 1 to 64 characters: lower-case letters, digits, '_', '.' or \
                 '-', starting with a letter (e.g. report.exported).",
            ));
        }
        let detail = detail.map(str::trim).filter(|d| !d.is_empty());
        if detail.is_some_and(|d| d.chars().count() > Self::MAX_DETAIL_CHARS) {
            return Err(ValidationError::new(
                "detail",
                format!(
                    "An action's detail is at most {} characters.",
                    Self::MAX_DETAIL_CHARS
                ),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            detail: detail.map(str::to_owned),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

/// The user's current standing with one module.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppState {
    pub installed: bool,
    /// The consented scopes; `None` when there is no consent in force.
    pub consented: Option<ScopeSet>,
}

/// Whether a change needs an event written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Record(AppEventKind),
    /// Already so (installing twice, revoking nothing): nothing is written.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppChangeRefused {
    #[error("the module is disabled")]
    ModuleDisabled,
    #[error("the module is not installed")]
    NotInstalled,
    #[error("no consent to this module's scopes is in force")]
    NotAuthorized,
    #[error("no scopes were given")]
    NoScopes,
    /// Scopes the module does not request (on consent) or the user has not consented to (on a
    /// token request).
    #[error("scopes not allowed: {0:?}")]
    ScopesNotAllowed(Vec<String>),
}

impl AppState {
    /// Rebuilds the state from the newest install-or-uninstall event and the newest event
    /// that sets or clears consent (authorized, revoked or uninstalled) with its scopes.
    pub fn from_latest(
        lifecycle: Option<AppEventKind>,
        consent: Option<(AppEventKind, Option<ScopeSet>)>,
    ) -> Self {
        let installed = lifecycle == Some(AppEventKind::Installed);
        let consented = match consent {
            Some((AppEventKind::Authorized, scopes)) if installed => scopes,
            _ => None,
        };
        Self {
            installed,
            consented,
        }
    }

    /// Decides `change` against this state.
    ///
    /// Consent is to a non-empty subset of the module's `required_scopes` (a user may leave
    /// out scopes; the module then works with fewer rights), or to nothing when the module
    /// requests none. A disabled module cannot be installed or authorised, but a user can
    /// always revoke and uninstall.
    pub fn decide(
        &self,
        change: &AppChange,
        module_enabled: bool,
        required: &ScopeSet,
    ) -> Result<Transition, AppChangeRefused> {
        match change {
            AppChange::Install | AppChange::Authorize(_) | AppChange::Action(_)
                if !module_enabled =>
            {
                Err(AppChangeRefused::ModuleDisabled)
            }
            AppChange::Install if self.installed => Ok(Transition::Unchanged),
            AppChange::Install => Ok(Transition::Record(AppEventKind::Installed)),
            AppChange::Authorize(_) if !self.installed => Err(AppChangeRefused::NotInstalled),
            AppChange::Authorize(scopes) => {
                if scopes.is_empty() && !required.is_empty() {
                    return Err(AppChangeRefused::NoScopes);
                }
                let extra = scopes.missing_from(required);
                if !extra.is_empty() {
                    return Err(AppChangeRefused::ScopesNotAllowed(names(&extra)));
                }
                if self.consented.as_ref() == Some(scopes) {
                    Ok(Transition::Unchanged)
                } else {
                    Ok(Transition::Record(AppEventKind::Authorized))
                }
            }
            AppChange::Revoke if self.consented.is_none() => Ok(Transition::Unchanged),
            AppChange::Revoke => Ok(Transition::Record(AppEventKind::Revoked)),
            AppChange::Uninstall if !self.installed => Ok(Transition::Unchanged),
            AppChange::Uninstall => Ok(Transition::Record(AppEventKind::Uninstalled)),
            AppChange::Action(_) if !self.installed => Err(AppChangeRefused::NotInstalled),
            AppChange::Action(_) => Ok(Transition::Record(AppEventKind::Action)),
        }
    }

    /// The scopes an SSO token may carry: `requested` (all consented scopes when `None`),
    /// which must lie within the consent, limited to what the module still requests (an
    /// admin may have narrowed `required_scopes` since the user consented).
    pub fn token_scopes(
        &self,
        requested: Option<&ScopeSet>,
        module_enabled: bool,
        required: &ScopeSet,
    ) -> Result<ScopeSet, AppChangeRefused> {
        if !module_enabled {
            return Err(AppChangeRefused::ModuleDisabled);
        }
        if !self.installed {
            return Err(AppChangeRefused::NotInstalled);
        }
        let consented = self
            .consented
            .as_ref()
            .ok_or(AppChangeRefused::NotAuthorized)?;
        let allowed: Vec<&Scope> = consented.iter().filter(|s| required.contains(s)).collect();
        let wanted: Vec<&Scope> = match requested {
            Some(requested) => requested.iter().collect(),
            None => allowed.clone(),
        };
        let refused: Vec<&Scope> = wanted
            .iter()
            .copied()
            .filter(|scope| !allowed.contains(scope))
            .collect();
        if !refused.is_empty() {
            return Err(AppChangeRefused::ScopesNotAllowed(names(&refused)));
        }
        let text: Vec<&str> = wanted.iter().map(|s| s.as_str()).collect();
        // Every member came from a valid ScopeSet, so this cannot fail; the error is kept
        // rather than unwrapped.
        ScopeSet::parse("scopes", &text)
            .map_err(|_| AppChangeRefused::ScopesNotAllowed(names(&wanted)))
    }
}

fn names(scopes: &[&Scope]) -> Vec<String> {
    scopes.iter().map(|s| s.as_str().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use AppEventKind::*;
    use rstest::rstest;

    fn set(raw: &str) -> ScopeSet {
        ScopeSet::parse_spaced("scopes", raw).unwrap()
    }

    fn state(installed: bool, consented: Option<&str>) -> AppState {
        AppState {
            installed,
            consented: consented.map(set),
        }
    }

    #[rstest]
    #[case::nothing(None, None, state(false, None))]
    #[case::installed(Some(Installed), None, state(true, None))]
    #[case::authorized(Some(Installed), Some((Authorized, "a:read")), state(true, Some("a:read")))]
    #[case::revoked(Some(Installed), Some((Revoked, "")), state(true, None))]
    #[case::uninstalled(Some(Uninstalled), Some((Uninstalled, "")), state(false, None))]
    #[case::reinstalled_after_consent(Some(Installed), Some((Uninstalled, "")), state(true, None))]
    fn state_from_latest_events(
        #[case] lifecycle: Option<AppEventKind>,
        #[case] consent: Option<(AppEventKind, &str)>,
        #[case] expected: AppState,
    ) {
        let consent = consent.map(|(kind, scopes)| (kind, Some(set(scopes))));
        assert_eq!(AppState::from_latest(lifecycle, consent), expected);
    }

    fn action() -> AppAction {
        AppAction::parse("report.exported", Some("March")).unwrap()
    }

    #[rstest]
    #[case("report.exported", None, Ok(()))]
    #[case("a", Some("  "), Ok(()))]
    #[case("Report", None, Err("action"))]
    #[case("report exported", None, Err("action"))]
    #[case("", None, Err("action"))]
    fn actions(
        #[case] name: &str,
        #[case] detail: Option<&str>,
        #[case] expected: Result<(), &str>,
    ) {
        assert_eq!(
            AppAction::parse(name, detail)
                .map(|_| ())
                .map_err(|e| e.field),
            expected
        );
    }

    #[test]
    fn an_action_detail_is_bounded() {
        let long = "d".repeat(AppAction::MAX_DETAIL_CHARS + 1);
        assert_eq!(
            AppAction::parse("x", Some(&long)).unwrap_err().field,
            "detail"
        );
        assert!(AppAction::parse("x", Some(&long[1..])).is_ok());
    }

    const REQUIRED: &str = "wallet:read market:write";

    #[rstest]
    #[case::install(
        state(false, None),
        AppChange::Install,
        true,
        Ok(Transition::Record(Installed))
    )]
    #[case::install_twice(state(true, None), AppChange::Install, true, Ok(Transition::Unchanged))]
    #[case::install_disabled(
        state(false, None),
        AppChange::Install,
        false,
        Err(AppChangeRefused::ModuleDisabled)
    )]
    #[case::authorize_all(
        state(true, None),
        AppChange::Authorize(set(REQUIRED)),
        true,
        Ok(Transition::Record(Authorized))
    )]
    #[case::authorize_subset(
        state(true, None),
        AppChange::Authorize(set("wallet:read")),
        true,
        Ok(Transition::Record(Authorized))
    )]
    #[case::authorize_same(
        state(true, Some("wallet:read")),
        AppChange::Authorize(set("wallet:read")),
        true,
        Ok(Transition::Unchanged)
    )]
    #[case::authorize_more(state(true, None), AppChange::Authorize(set("wallet:read wallet:write")), true,
        Err(AppChangeRefused::ScopesNotAllowed(vec!["wallet:write".into()])))]
    #[case::authorize_none(
        state(true, None),
        AppChange::Authorize(set("")),
        true,
        Err(AppChangeRefused::NoScopes)
    )]
    #[case::authorize_not_installed(
        state(false, None),
        AppChange::Authorize(set("wallet:read")),
        true,
        Err(AppChangeRefused::NotInstalled)
    )]
    #[case::authorize_disabled(
        state(true, None),
        AppChange::Authorize(set("wallet:read")),
        false,
        Err(AppChangeRefused::ModuleDisabled)
    )]
    #[case::revoke(
        state(true, Some("wallet:read")),
        AppChange::Revoke,
        false,
        Ok(Transition::Record(Revoked))
    )]
    #[case::revoke_nothing(state(true, None), AppChange::Revoke, true, Ok(Transition::Unchanged))]
    #[case::uninstall(
        state(true, Some("wallet:read")),
        AppChange::Uninstall,
        false,
        Ok(Transition::Record(Uninstalled))
    )]
    #[case::uninstall_twice(
        state(false, None),
        AppChange::Uninstall,
        true,
        Ok(Transition::Unchanged)
    )]
    #[case::action(
        state(true, None),
        AppChange::Action(action()),
        true,
        Ok(Transition::Record(Action))
    )]
    #[case::action_not_installed(
        state(false, None),
        AppChange::Action(action()),
        true,
        Err(AppChangeRefused::NotInstalled)
    )]
    #[case::action_disabled(
        state(true, None),
        AppChange::Action(action()),
        false,
        Err(AppChangeRefused::ModuleDisabled)
    )]
    fn decisions(
        #[case] current: AppState,
        #[case] change: AppChange,
        #[case] enabled: bool,
        #[case] expected: Result<Transition, AppChangeRefused>,
    ) {
        assert_eq!(current.decide(&change, enabled, &set(REQUIRED)), expected);
    }

    #[rstest]
    #[case::all_consented(
        state(true, Some("wallet:read market:write")),
        None,
        true,
        Ok("wallet:read market:write")
    )]
    #[case::narrower(
        state(true, Some("wallet:read market:write")),
        Some("market:write"),
        true,
        Ok("market:write")
    )]
    #[case::beyond_consent(state(true, Some("wallet:read")), Some("market:write"), true, Err(AppChangeRefused::ScopesNotAllowed(vec!["market:write".into()])))]
    #[case::no_consent(state(true, None), None, true, Err(AppChangeRefused::NotAuthorized))]
    #[case::not_installed(state(false, None), None, true, Err(AppChangeRefused::NotInstalled))]
    #[case::disabled(
        state(true, Some("wallet:read")),
        None,
        false,
        Err(AppChangeRefused::ModuleDisabled)
    )]
    #[case::no_longer_required(
        state(true, Some("wallet:read reports:read")),
        None,
        true,
        Ok("wallet:read")
    )]
    fn token_scopes(
        #[case] current: AppState,
        #[case] requested: Option<&str>,
        #[case] enabled: bool,
        #[case] expected: Result<&str, AppChangeRefused>,
    ) {
        let requested = requested.map(set);
        let got = current
            .token_scopes(requested.as_ref(), enabled, &set(REQUIRED))
            .map(|s| s.to_spaced());
        assert_eq!(got, expected.map(str::to_owned));
    }
}
