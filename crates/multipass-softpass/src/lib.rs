//! A FIDO2 security key in software, speaking CTAPHID over UDP on loopback (one 64-byte
//! report per datagram, answers to the sender: the convention of the SoloKeys simulator and
//! the Trezor emulator). For tests and demos; its getInfo names it a test device.
//!
//! Run it in-process with [`spawn`] or as the `multipass-softpass` binary.

pub mod authenticator;
pub mod config;
mod credential;
pub mod server;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

pub use config::{Config, Faults, TOUCH_DATAGRAM, Touch};
pub use server::Server;

#[derive(Debug, thiserror::Error)]
pub enum SoftPassError {
    #[error("cannot open the pass's UDP socket: {0}")]
    Socket(#[from] std::io::Error),
    #[error(transparent)]
    State(#[from] state::StateError),
}

/// A software pass serving on a background thread until dropped.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the software pass thread panicked");
        }
    }
}

/// Binds and serves on a new thread.
pub fn spawn(config: Config) -> Result<Running, SoftPassError> {
    let mut server = Server::new(config)?;
    let addr = server.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::spawn(move || server.run(&flag));
    Ok(Running {
        addr,
        stop,
        thread: Some(thread),
    })
}
