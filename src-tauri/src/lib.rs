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
            commands::app_status,
            commands::sign_up,
            commands::sign_in,
            commands::sign_out,
            commands::current_identity,
            commands::ui_ready,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .map_err(|e| anyhow::anyhow!("the desktop window failed: {e}"))
}
