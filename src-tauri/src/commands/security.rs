//! Account security: sessions, the authenticator app, backup codes and the password.

use super::{as_user, parse_id};
use crate::state::DesktopState;
use multipass_api::ApiError;
use multipass_api::auth_views::{
    AccountProof, BackupCodesView, ChangePasswordRequest, SecondFactorStatus, SessionView,
    TotpEnrolment,
};
use multipass_domain::SessionId;
use tauri::State;

#[tauri::command]
pub async fn list_sessions(state: State<'_, DesktopState>) -> Result<Vec<SessionView>, ApiError> {
    as_user(&state, |api, token| async move {
        api.sessions(&token, None).await
    })
    .await
}

/// Revoking the window's own session signs the window out; the UI then shows sign-in.
#[tauri::command]
pub async fn revoke_session(
    state: State<'_, DesktopState>,
    session_id: String,
) -> Result<(), ApiError> {
    let id = SessionId::from_uuid(parse_id(&session_id, "sessionId")?);
    as_user(&state, |api, token| async move {
        api.revoke_session(&token, None, id).await
    })
    .await
}

#[tauri::command]
pub async fn second_factor_status(
    state: State<'_, DesktopState>,
) -> Result<SecondFactorStatus, ApiError> {
    as_user(&state, |api, token| async move {
        api.second_factor_status(&token).await
    })
    .await
}

#[tauri::command]
pub async fn totp_enrol(state: State<'_, DesktopState>) -> Result<TotpEnrolment, ApiError> {
    as_user(
        &state,
        |api, token| async move { api.totp_enrol(&token).await },
    )
    .await
}

#[tauri::command]
pub async fn totp_confirm(
    state: State<'_, DesktopState>,
    code: String,
) -> Result<SecondFactorStatus, ApiError> {
    as_user(&state, |api, token| async move {
        api.totp_confirm(&token, &code).await
    })
    .await
}

#[tauri::command]
pub async fn totp_disable(
    state: State<'_, DesktopState>,
    proof: AccountProof,
) -> Result<SecondFactorStatus, ApiError> {
    as_user(&state, |api, token| async move {
        api.totp_disable(&token, proof).await
    })
    .await
}

#[tauri::command]
pub async fn regenerate_backup_codes(
    state: State<'_, DesktopState>,
    proof: AccountProof,
) -> Result<BackupCodesView, ApiError> {
    as_user(&state, |api, token| async move {
        api.regenerate_backup_codes(&token, proof).await
    })
    .await
}

/// Answers how many other sessions were signed out.
#[tauri::command]
pub async fn change_password(
    state: State<'_, DesktopState>,
    request: ChangePasswordRequest,
) -> Result<u64, ApiError> {
    as_user(&state, |api, token| async move {
        api.change_password(&token, request).await
    })
    .await
}
