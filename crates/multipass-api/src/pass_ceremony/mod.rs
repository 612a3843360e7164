//! Ceremonies with a pass in front of the app: listing and winking connected passes, desk
//! enrolment, sign-in, and the diagnostics of the USB side. Device work blocks while the
//! pass waits for a touch, so it runs on a blocking thread with progress and a cancel flag.

mod challenge;
mod devices;
mod enrol;
mod errors;
mod sign_in;
mod source;
mod wire;

pub use devices::{ConnectedPass, HidDeviceView, PassDiagnostics, PassInfoView};
pub use enrol::{DeskEnrolment, DeskEnrolmentRequest};
pub use sign_in::{IssuedChallenge, PassSignInRequest, SignInChallenge, sign_in_with_pass};
pub use source::{Connected, DeviceRef, LocalPasses, PassSource};
pub use wire::PassAssertion;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::MultipassApi;
use crate::error::ApiError;
use multipass_pass::{Assertion, GetAssertionRequest, Interaction, PassError, PassEvent};
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

    /// The passes at this computer, as the ceremonies run in this process see them.
    pub fn pass_reader(&self) -> PassReader {
        match &self.pass_source {
            Some(source) => PassReader::with_source(Arc::clone(source), &self.policies.ceremony),
            None => PassReader::new(&self.policies.ceremony),
        }
    }
}

/// The passes at this computer: its USB passes and the configured software pass, with how
/// long a touch is waited for. Ceremonies run here, where the person is, whether the
/// authority is in this process or a server: the authority issues the challenge and checks
/// the answer, and only the pass's answer travels.
#[derive(Debug, Clone)]
pub struct PassReader {
    source: Arc<dyn PassSource>,
    policy: CeremonyPolicy,
}

impl PassReader {
    /// This computer's USB passes and the software pass `policy` names.
    pub fn new(policy: &CeremonyPolicy) -> Self {
        Self {
            source: Arc::new(LocalPasses::new(policy.software_pass)),
            policy: policy.clone(),
        }
    }

    /// Passes from `source` instead (tests, other platforms' authenticator APIs).
    pub fn with_source(source: Arc<dyn PassSource>, policy: &CeremonyPolicy) -> Self {
        Self {
            source,
            policy: policy.clone(),
        }
    }

    /// The relying party and software pass this computer's settings name.
    pub fn policy(&self) -> &CeremonyPolicy {
        &self.policy
    }

    /// Runs device work on a blocking thread with the control's progress and cancel flag.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        control: &CeremonyControl,
        work: impl FnOnce(&dyn PassSource, &mut Interaction<'_>) -> Result<T, PassError>
        + Send
        + 'static,
    ) -> Result<T, ApiError> {
        let source = Arc::clone(&self.source);
        let timeout = self.policy.touch_timeout;
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

    /// The pass at `device` answers `request` (after a touch, and its PIN when it has one).
    pub async fn get_assertion(
        &self,
        device: &DeviceRef,
        request: &GetAssertionRequest,
        pin: Option<&str>,
        control: &CeremonyControl,
    ) -> Result<Assertion, ApiError> {
        let (device, request, pin) = (device.clone(), request.clone(), pin.map(str::to_owned));
        self.run(control, move |source, interaction| {
            source.get_assertion(&device, &request, pin.as_deref(), interaction)
        })
        .await
    }
}
