use multipass_api::{ApiError, ConfigError, ErrorCode, MultipassApi, Settings};
use multipass_domain::SessionToken;
use std::sync::Mutex;

/// What the shell keeps between commands. The session token stays on the Rust side: the
/// web view never sees it, so script running in the page cannot take it elsewhere.
pub struct DesktopState {
    settings: Result<Settings, ConfigError>,
    api: tokio::sync::Mutex<Option<MultipassApi>>,
    session: Mutex<Option<SessionToken>>,
}

impl DesktopState {
    pub fn new(settings: Result<Settings, ConfigError>) -> Self {
        if let Err(e) = &settings {
            tracing::error!(setting = %e.setting, problem = %e.problem, "invalid configuration");
        }
        Self {
            settings,
            api: tokio::sync::Mutex::new(None),
            session: Mutex::new(None),
        }
    }

    /// The API over the opened store, opening it on first use. A failed open is not
    /// cached, so the UI's Retry tries again (after the user fixed the network, say).
    pub async fn api(&self) -> Result<MultipassApi, ApiError> {
        let settings = self
            .settings
            .as_ref()
            .map_err(|e| ApiError::new(ErrorCode::Config, e.to_string()))?;
        let mut slot = self.api.lock().await;
        if let Some(api) = slot.as_ref() {
            return Ok(api.clone());
        }
        let api = MultipassApi::open(settings).await?;
        *slot = Some(api.clone());
        Ok(api)
    }

    pub fn replace_session(&self, token: Option<SessionToken>) -> Option<SessionToken> {
        let mut guard = self
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::mem::replace(&mut *guard, token)
    }

    pub fn session(&self) -> Option<SessionToken> {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
