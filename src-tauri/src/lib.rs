//! The Multipass desktop shell. It owns the window, the logging set-up and the list of
//! commands; every command is a thin call into `multipass-api`.

mod commands;
mod logging;
mod state;

use state::DesktopState;
use tauri::Manager;

pub fn run() -> anyhow::Result<()> {
    logging::init();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting Multipass");
    tauri::Builder::default()
        .setup(|app| {
            let state = DesktopState::new(multipass_api::Settings::load());
            app.manage(state);
            // Open (and migrate) the store while the window loads; the UI's first
            // `app_status` call waits for this same attempt instead of starting another.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = handle.state::<DesktopState>().api().await {
                    tracing::warn!(code = ?e.code, message = %e.message, "the store could not be opened");
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session::app_status,
            commands::session::sign_up,
            commands::session::sign_in,
            commands::session::sign_out,
            commands::session::current_identity,
            commands::session::ui_ready,
            commands::operation::operation,
            commands::wallets::list_wallets,
            commands::wallets::wallet_balances,
            commands::wallets::create_wallet,
            commands::wallets::set_default_wallet,
            commands::wallets::wallet_history,
            commands::wallets::transfer,
            commands::wallets::place_order,
            commands::notifications::list_notifications,
            commands::notifications::unread_notification_count,
            commands::notifications::mark_notification_read,
            commands::notifications::mark_all_notifications_read,
            commands::security::list_sessions,
            commands::security::revoke_session,
            commands::security::second_factor_status,
            commands::security::totp_enrol,
            commands::security::totp_confirm,
            commands::security::totp_disable,
            commands::security::regenerate_backup_codes,
            commands::security::change_password,
            commands::passes::connected_passes,
            commands::passes::wink_pass,
            commands::passes::pass_diagnostics,
            commands::passes::list_passes,
            commands::passes::revoke_pass,
            commands::passes::report_pass_lost,
            commands::passes::enrol_pass_at_desk,
            commands::passes::sign_in_with_pass,
            commands::passes::cancel_pass_ceremony,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .map_err(|e| anyhow::anyhow!("the desktop window failed: {e}"))
}
