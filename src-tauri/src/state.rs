use multipass_api::pass_ceremony::CeremonyControl;
use multipass_api::{ApiError, ConfigError, ErrorCode, Settings};
use multipass_client::Connection;
use multipass_domain::SessionToken;
use std::sync::{Arc, Mutex};

/// What the shell keeps between commands. The session token stays on the Rust side: the
/// web view never sees it, so script running in the page cannot take it elsewhere.
pub struct DesktopState {
    settings: Result<Settings, ConfigError>,
    api: tokio::sync::Mutex<Option<Connection>>,
    session: Mutex<Option<SessionToken>>,
    /// The pass ceremony the window is running, for its Cancel button. One pass at a time:
    /// a second ceremony would compete for the same touch.
    ceremony: Arc<Mutex<Option<CeremonyControl>>>,
}

/// Holds the window's one ceremony slot while a ceremony runs and frees it when dropped,
/// however the ceremony ends.
pub struct CeremonySlot {
    slot: Arc<Mutex<Option<CeremonyControl>>>,
    pub control: CeremonyControl,
}

impl Drop for CeremonySlot {
    fn drop(&mut self) {
        *lock(&self.slot) = None;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
            ceremony: Arc::default(),
        }
    }

    /// The API over the opened store or the configured server, opening it on first use. A
    /// failed open is not cached, so the UI's Retry tries again (after the user fixed the
    /// network, say).
    pub async fn api(&self) -> Result<Connection, ApiError> {
        let settings = self
            .settings
            .as_ref()
            .map_err(|e| ApiError::new(ErrorCode::Config, e.to_string()))?;
        let mut slot = self.api.lock().await;
        if let Some(api) = slot.as_ref() {
            return Ok(api.clone());
        }
        let api = Connection::open(settings).await?;
        *slot = Some(api.clone());
        Ok(api)
    }

    pub fn replace_session(&self, token: Option<SessionToken>) -> Option<SessionToken> {
        std::mem::replace(&mut *lock(&self.session), token)
    }

    pub fn session(&self) -> Option<SessionToken> {
        lock(&self.session).clone()
    }

    /// Claims the ceremony slot for `control`, or refuses while another ceremony runs.
    pub fn begin_ceremony(&self, control: CeremonyControl) -> Result<CeremonySlot, ApiError> {
        let mut current = lock(&self.ceremony);
        if current.is_some() {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Another operation with a pass is still running. Finish or cancel it first.",
            ));
        }
        *current = Some(control.clone());
        Ok(CeremonySlot {
            slot: Arc::clone(&self.ceremony),
            control,
        })
    }

    /// Presses Cancel on the running ceremony; false when none runs.
    pub fn cancel_ceremony(&self) -> bool {
        match lock(&self.ceremony).as_ref() {
            Some(control) => {
                control.cancel();
                true
            }
            None => false,
        }
    }
}
