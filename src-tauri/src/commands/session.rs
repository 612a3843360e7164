//! Start-up, signing up, in and out, and who is signed in.

use crate::state::DesktopState;
use multipass_api::auth_views::SecondFactor;
use multipass_api::dto::{IdentityView, SignInRequest, SignUpRequest, SignedIn, StatusView};
use multipass_api::{ApiError, ErrorCode, SessionKind};
use tauri::State;

#[tauri::command]
pub async fn app_status(state: State<'_, DesktopState>) -> Result<StatusView, ApiError> {
    state.api().await?.status().await
}

#[tauri::command]
pub async fn sign_up(
    state: State<'_, DesktopState>,
    request: SignUpRequest,
) -> Result<SignedIn, ApiError> {
    let api = state.api().await?;
    let outcome = api.sign_up(request, SessionKind::Desktop).await?;
    end_previous_session(&api, state.replace_session(Some(outcome.token))).await;
    Ok(outcome.signed_in)
}

/// `second_factor` is sent again with the password after the first attempt answered
/// `second_factor_required`.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, DesktopState>,
    request: SignInRequest,
    second_factor: Option<SecondFactor>,
) -> Result<SignedIn, ApiError> {
    let api = state.api().await?;
    let outcome = api
        .sign_in_with(request, second_factor, SessionKind::Desktop)
        .await?;
    end_previous_session(&api, state.replace_session(Some(outcome.token))).await;
    Ok(outcome.signed_in)
}

#[tauri::command]
pub async fn sign_out(state: State<'_, DesktopState>) -> Result<(), ApiError> {
    let api = state.api().await?;
    end_previous_session(&api, state.replace_session(None)).await;
    Ok(())
}

/// The signed-in identity, or `None` when there is no active session.
#[tauri::command]
pub async fn current_identity(
    state: State<'_, DesktopState>,
) -> Result<Option<IdentityView>, ApiError> {
    let Some(token) = state.session() else {
        return Ok(None);
    };
    match state.api().await?.identity_for(&token).await {
        Ok(identity) => Ok(Some(identity)),
        Err(e) if e.code == ErrorCode::Unauthenticated => {
            state.replace_session(None);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Called once by the UI when the sign-in screen is interactive. The start-up benchmark
/// sets `MULTIPASS_REPORT_READY` to see the moment on stdout, and also
/// `MULTIPASS_EXIT_WHEN_READY` to quit right after it.
#[tauri::command]
pub fn ui_ready(app: tauri::AppHandle) {
    tracing::info!("sign-in screen ready");
    if std::env::var_os("MULTIPASS_REPORT_READY").is_some() {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "multipass-ready");
        let _ = out.flush();
    }
    if std::env::var_os("MULTIPASS_EXIT_WHEN_READY").is_some() {
        app.exit(0);
    }
}

/// Revokes a session the window no longer uses. The token is already gone from memory,
/// so a failure here leaves a session nobody can present; it is logged and expires on its own.
pub(super) async fn end_previous_session(
    api: &multipass_client::Connection,
    previous: Option<multipass_domain::SessionToken>,
) {
    if let Some(token) = previous
        && let Err(e) = api.sign_out(&token).await
    {
        tracing::warn!(code = ?e.code, "could not revoke the previous session");
    }
}
