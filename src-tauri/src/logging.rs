//! Logs go to stderr and to `multipass/logs/desktop.log` in the per-user local data folder,
//! where error messages in the UI point people. `MULTIPASS_LOG` sets the filter.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The log is rotated once at start-up beyond this size, keeping one previous file.
const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;

fn log_file() -> Option<(PathBuf, File)> {
    let dir = dirs::data_local_dir()?.join("multipass").join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("desktop.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_LOG_BYTES) {
        let _ = std::fs::rename(&path, dir.join("desktop.log.1"));
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    Some((path, file))
}

pub fn init() {
    let filter = EnvFilter::try_from_env("MULTIPASS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let file = log_file();
    let file_path = file.as_ref().map(|(p, _)| p.clone());
    let file_layer = file.map(|(_, f)| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Mutex::new(f))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file_layer)
        .try_init();
    match file_path {
        Some(path) => tracing::info!(log = %path.display(), "logging to file"),
        None => tracing::warn!("no log file could be opened; logging to stderr only"),
    }
}
