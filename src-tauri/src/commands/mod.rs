//! The commands the web UI may call, one module per service. Each is a thin translation to
//! one `multipass-api` method; the result or `{code, message, field}` error is what the UI
//! receives.

pub mod notifications;
pub mod operation;
pub mod passes;
pub mod security;
pub mod session;
pub mod wallets;

use crate::state::DesktopState;
use multipass_api::{ApiError, ErrorCode};
use multipass_client::Connection;
use multipass_domain::SessionToken;
use uuid::Uuid;

/// Runs `call` as the signed-in user of the window. When the API answers that the session
/// no longer opens (expired, revoked elsewhere), the window forgets its token, so the next
/// start shows the sign-in screen instead of failing again.
async fn as_user<T, F, Fut>(state: &DesktopState, call: F) -> Result<T, ApiError>
where
    F: FnOnce(Connection, SessionToken) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let token = state.session().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "You are not signed in. Please sign in again.",
        )
    })?;
    let result = call(state.api().await?, token).await;
    if let Err(e) = &result
        && e.code == ErrorCode::Unauthenticated
    {
        state.replace_session(None);
    }
    result
}

fn parse_id(raw: &str, field: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim()).map_err(|_| {
        ApiError::new(ErrorCode::InvalidInput, "This is not a valid id.").with_field(field)
    })
}
