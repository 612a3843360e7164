//! Where the request being served came from, as the server saw it. The operations take the
//! same arguments in process and over the network, and only the transport knows the peer's
//! address, so the server sets it around each call as a task-local; in process there is
//! none, and only per-username limits apply.

use std::future::Future;
use std::net::IpAddr;

tokio::task_local! {
    static SOURCE: IpAddr;
}

/// Runs `call` as a request from `source`.
pub async fn serving_from<F: Future>(source: IpAddr, call: F) -> F::Output {
    SOURCE.scope(source, call).await
}

/// The address of the request being served, when a server is serving one.
pub(crate) fn current() -> Option<IpAddr> {
    SOURCE.try_with(|source| *source).ok()
}
