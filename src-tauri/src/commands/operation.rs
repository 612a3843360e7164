//! The one command behind every generated function of `ui/src/lib/operations.ts`: any
//! session operation of the list, run as the window's signed-in user, in process or through
//! the server.

use super::as_user;
use crate::state::DesktopState;
use multipass_api::operations::{Access, OperationInfo, dispatch};
use multipass_api::{ApiError, ErrorCode};
use tauri::State;

#[tauri::command]
pub async fn operation(
    state: State<'_, DesktopState>,
    name: String,
    args: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    // Public operations answer with a session token, which must never reach the web view:
    // sign-up and sign-in have commands of their own that keep it here.
    let info = OperationInfo::find(&name)
        .filter(|op| op.access != Access::Public)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("The window has no operation named {name}."),
            )
        })?;
    if info.signed {
        // The window cannot sign; the desktop's own command for it signs with the wallet key.
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("{name} is signed with a wallet key: the window uses its own command for it."),
        ));
    }
    let body = serde_json::to_vec(&args)
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, e.to_string()))?;
    let answer = as_user(&state, |api, token| async move {
        dispatch(&*api, info.name, Some(&token), &body).await
    })
    .await?;
    serde_json::from_slice(&answer).map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("An answer could not be passed to the window: {e}"),
        )
    })
}
