//! Wallets: the list, balances, creating one, the history and transfers.

use super::as_user;
use crate::state::DesktopState;
use multipass_api::ApiError;
use multipass_api::market::{PlaceOrderRequest, PlacedOrderView};
use multipass_api::wallet::{
    BalanceView, CreateWalletRequest, HistoryPage, HistoryRequest, TransferRequest, TransferView,
    WalletView,
};
use tauri::State;

#[tauri::command]
pub async fn list_wallets(state: State<'_, DesktopState>) -> Result<Vec<WalletView>, ApiError> {
    as_user(&state, |api, token| async move {
        api.list_wallets(&token, None).await
    })
    .await
}

#[tauri::command]
pub async fn wallet_balances(
    state: State<'_, DesktopState>,
    wallet_id: String,
) -> Result<Vec<BalanceView>, ApiError> {
    as_user(&state, |api, token| async move {
        api.balances(&token, &wallet_id).await
    })
    .await
}

#[tauri::command]
pub async fn create_wallet(
    state: State<'_, DesktopState>,
    request: CreateWalletRequest,
) -> Result<WalletView, ApiError> {
    as_user(&state, |api, token| async move {
        api.wallet_keys()
            .create_wallet(&*api, &token, request)
            .await
    })
    .await
}

#[tauri::command]
pub async fn set_default_wallet(
    state: State<'_, DesktopState>,
    wallet_id: String,
) -> Result<WalletView, ApiError> {
    as_user(&state, |api, token| async move {
        api.set_default_wallet(&token, &wallet_id).await
    })
    .await
}

#[tauri::command]
pub async fn wallet_history(
    state: State<'_, DesktopState>,
    request: HistoryRequest,
) -> Result<HistoryPage, ApiError> {
    as_user(&state, |api, token| async move {
        api.history(&token, request).await
    })
    .await
}

/// Signed here with the wallet's key from this computer's keyring. The UI sends the same
/// idempotency key again when it retries one attempt, so a repeated click or a retry after
/// a lost answer never pays twice.
#[tauri::command]
pub async fn transfer(
    state: State<'_, DesktopState>,
    request: TransferRequest,
) -> Result<TransferView, ApiError> {
    as_user(&state, |api, token| async move {
        api.wallet_keys().transfer(&*api, &token, request).await
    })
    .await
}

/// Signed here with the wallet's key from this computer's keyring, then placed.
#[tauri::command]
pub async fn place_order(
    state: State<'_, DesktopState>,
    request: PlaceOrderRequest,
) -> Result<PlacedOrderView, ApiError> {
    as_user(&state, |api, token| async move {
        api.wallet_keys().place_order(&*api, &token, request).await
    })
    .await
}
