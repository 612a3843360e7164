//! Hardware passes: the ones connected to this machine, desk enrolment, sign-in with a pass,
//! the person's own passes, and the USB diagnostics. A ceremony reports "touch your pass"
//! through a channel while it waits, and `cancel_pass_ceremony` stops it.

use super::as_user;
use super::session::end_previous_session;
use crate::state::DesktopState;
use multipass_api::dto::SignedIn;
use multipass_api::pass_ceremony::{
    CeremonyControl, ConnectedPass, DeskEnrolment, DeskEnrolmentRequest, DeviceRef,
    PassDiagnostics, PassSignInRequest, Progress,
};
use multipass_api::passes::PassView;
use multipass_api::{ApiError, SessionKind};
use tauri::State;
use tauri::ipc::Channel;

/// A ceremony control whose progress goes to the window. A closed channel (the window
/// went away) only loses the message; the ceremony itself goes on or is cancelled.
fn reporting_to(channel: Channel<Progress>) -> CeremonyControl {
    CeremonyControl::new().on_progress(move |progress| {
        if let Err(e) = channel.send(progress) {
            tracing::debug!(error = %e, "the window did not take a pass progress message");
        }
    })
}

#[tauri::command]
pub async fn connected_passes(
    state: State<'_, DesktopState>,
) -> Result<Vec<ConnectedPass>, ApiError> {
    state.api().await?.pass_reader().connected_passes().await
}

#[tauri::command]
pub async fn wink_pass(state: State<'_, DesktopState>, device: DeviceRef) -> Result<(), ApiError> {
    state.api().await?.pass_reader().wink_pass(device).await
}

#[tauri::command]
pub async fn pass_diagnostics(state: State<'_, DesktopState>) -> Result<PassDiagnostics, ApiError> {
    state.api().await?.pass_reader().pass_diagnostics().await
}

/// The signed-in person's passes, or `username`'s for desk staff and admins.
#[tauri::command]
pub async fn list_passes(
    state: State<'_, DesktopState>,
    username: Option<String>,
) -> Result<Vec<PassView>, ApiError> {
    as_user(&state, |api, token| async move {
        api.passes(&token, username.as_deref()).await
    })
    .await
}

#[tauri::command]
pub async fn revoke_pass(
    state: State<'_, DesktopState>,
    pass_id: String,
    reason: Option<String>,
) -> Result<PassView, ApiError> {
    as_user(&state, |api, token| async move {
        api.revoke_pass(&token, &pass_id, reason.as_deref()).await
    })
    .await
}

#[tauri::command]
pub async fn report_pass_lost(
    state: State<'_, DesktopState>,
    pass_id: String,
    reason: Option<String>,
) -> Result<PassView, ApiError> {
    as_user(&state, |api, token| async move {
        api.report_pass_lost(&token, &pass_id, reason.as_deref())
            .await
    })
    .await
}

#[tauri::command]
pub async fn enrol_pass_at_desk(
    state: State<'_, DesktopState>,
    request: DeskEnrolmentRequest,
    on_progress: Channel<Progress>,
) -> Result<DeskEnrolment, ApiError> {
    let ceremony = state.begin_ceremony(reporting_to(on_progress))?;
    as_user(&state, |api, token| async move {
        api.in_process()?
            .enrol_pass_at_desk(&token, request, &ceremony.control)
            .await
    })
    .await
}

#[tauri::command]
pub async fn sign_in_with_pass(
    state: State<'_, DesktopState>,
    request: PassSignInRequest,
    on_progress: Channel<Progress>,
) -> Result<SignedIn, ApiError> {
    let ceremony = state.begin_ceremony(reporting_to(on_progress))?;
    let api = state.api().await?;
    // The challenge comes from the authority, the answer from the pass at this computer.
    let outcome = multipass_api::pass_ceremony::sign_in_with_pass(
        &*api,
        api.pass_reader(),
        request,
        SessionKind::Desktop,
        &ceremony.control,
    )
    .await?;
    end_previous_session(&api, state.replace_session(Some(outcome.token))).await;
    Ok(outcome.signed_in)
}

/// Answers whether a ceremony was running to be cancelled.
#[tauri::command]
pub fn cancel_pass_ceremony(state: State<'_, DesktopState>) -> bool {
    state.cancel_ceremony()
}
