//! The baseline the start-up and memory benchmarks compare the app with: one window of the
//! app's size showing a blank page, and the app's `ui_ready` command, nothing else. Built in
//! the same workspace, so with the same release profile.

// No console window next to the window on Windows release builds, as in the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::io::Write as _;

/// Behaves exactly like the app's `ui_ready`: the benchmark sets `MULTIPASS_REPORT_READY`
/// to see the moment on stdout, and `MULTIPASS_EXIT_WHEN_READY` to quit right after it.
#[tauri::command]
fn ui_ready(app: tauri::AppHandle) {
    if std::env::var_os("MULTIPASS_REPORT_READY").is_some() {
        let mut out = std::io::stdout().lock();
        // Nobody but the benchmark reads this; a closed stdout must not stop the window.
        let _ = writeln!(out, "multipass-ready");
        let _ = out.flush();
    }
    if std::env::var_os("MULTIPASS_EXIT_WHEN_READY").is_some() {
        app.exit(0);
    }
}

fn main() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error: the window failed: {e}");
        std::process::exit(1);
    }
}
