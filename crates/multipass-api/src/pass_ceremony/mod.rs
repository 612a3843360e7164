//! Ceremonies with a pass in front of the app: listing and winking connected passes, desk
//! enrolment, sign-in, and the diagnostics of the USB side. Device work blocks while the
//! pass waits for a touch, so it runs on a blocking thread with progress and a cancel flag.

mod challenge;
mod devices;
mod enrol;
mod errors;
mod sign_in;
mod source;

pub use devices::{ConnectedPass, HidDeviceView, PassDiagnostics, PassInfoView};
pub use enrol::{DeskEnrolment, DeskEnrolmentRequest};
pub use sign_in::{PassSignInRequest, SignInChallenge};
pub use source::{Connected, DeviceRef, LocalPasses, PassSource};

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::MultipassApi;
use crate::error::ApiError;
use multipass_pass::{Interaction, PassError, PassEvent};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The deployment's relying party and where the software pass listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CeremonyPolicy {
    /// Every credential is made for this relying-party ID and answers only for it.
    pub rp_id: String,
    pub software_pass: Option<SocketAddr>,
    /// How long a touch is waited for.
    pub touch_timeout: Duration,
}

pub const DEFAULT_RP_ID: &str = "multipass.local";

impl Default for CeremonyPolicy {
    fn default() -> Self {
        Self {
            rp_id: DEFAULT_RP_ID.to_owned(),
            software_pass: None,
            touch_timeout: Duration::from_secs(60),
        }
    }
}

/// What the UI shows while a ceremony runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    TouchNeeded,
    Processing,
}

impl Progress {
    pub fn message(self) -> &'static str {
        match self {
            Self::TouchNeeded => "Touch your pass",
            Self::Processing => "Your pass is working…",
        }
    }
}

type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Progress reports and a Cancel button for one ceremony. Clones share the cancel flag.
#[derive(Clone, Default)]
pub struct CeremonyControl {
    cancel: Arc<AtomicBool>,
    on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for CeremonyControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CeremonyControl")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CeremonyControl {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// Stops the ceremony: the pass is sent CANCEL and the call ends as cancelled.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

impl MultipassApi {
    /// Uses `source` for passes instead of the local USB and software ones.
    pub fn with_pass_source(mut self, source: Arc<dyn PassSource>) -> Self {
        self.pass_source = Some(source);
        self
    }

    pub(crate) fn pass_source(&self) -> Arc<dyn PassSource> {
        match &self.pass_source {
            Some(source) => Arc::clone(source),
            None => Arc::new(LocalPasses::new(self.policies.ceremony.software_pass)),
        }
    }

    /// Runs device work on a blocking thread with the control's progress and cancel flag.
    pub(crate) async fn on_pass<T: Send + 'static>(
        &self,
        control: &CeremonyControl,
        work: impl FnOnce(&dyn PassSource, &mut Interaction<'_>) -> Result<T, PassError>
        + Send
        + 'static,
    ) -> Result<T, ApiError> {
        let source = self.pass_source();
        let timeout = self.policies.ceremony.touch_timeout;
        let control = control.clone();
        tokio::task::spawn_blocking(move || {
            let progress = control.on_progress.clone();
            let mut interaction = Interaction::new(timeout)
                .cancel_with(&control.cancel)
                .on_event(move |event| {
                    if let Some(report) = &progress {
                        report(match event {
                            PassEvent::TouchNeeded => Progress::TouchNeeded,
                            PassEvent::Processing => Progress::Processing,
                        });
                    }
                });
            work(source.as_ref(), &mut interaction)
        })
        .await
        .map_err(|e| ApiError::internal("The pass ceremony stopped unexpectedly", &e))?
        .map_err(errors::pass_error)
    }
}
