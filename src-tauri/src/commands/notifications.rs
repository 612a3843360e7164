//! The signed-in user's notifications.

use super::{as_user, parse_id};
use crate::state::DesktopState;
use multipass_api::{ApiError, NotificationCount, NotificationListRequest, NotificationPage};
use tauri::State;

#[tauri::command]
pub async fn list_notifications(
    state: State<'_, DesktopState>,
    request: NotificationListRequest,
) -> Result<NotificationPage, ApiError> {
    as_user(&state, |api, token| async move {
        api.notifications(&token, request).await
    })
    .await
}

#[tauri::command]
pub async fn unread_notification_count(
    state: State<'_, DesktopState>,
) -> Result<NotificationCount, ApiError> {
    as_user(&state, |api, token| async move {
        api.unread_notification_count(&token).await
    })
    .await
}

#[tauri::command]
pub async fn mark_notification_read(
    state: State<'_, DesktopState>,
    id: String,
) -> Result<(), ApiError> {
    let id = parse_id(&id, "id")?;
    as_user(&state, |api, token| async move {
        api.mark_notification_read(&token, id).await
    })
    .await
}

#[tauri::command]
pub async fn mark_all_notifications_read(
    state: State<'_, DesktopState>,
) -> Result<NotificationCount, ApiError> {
    as_user(&state, |api, token| async move {
        api.mark_all_notifications_read(&token).await
    })
    .await
}
