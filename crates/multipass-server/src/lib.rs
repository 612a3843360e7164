//! The Multipass server: the application API over HTTPS.
//!
//! Routes stay thin: each one parses the request, calls [`MultipassApi`] through the one
//! operation list (`multipass_api::operations`), and maps an [`ApiError`] to a status code in
//! [`ErrorResponse`]. Body limits, timeouts and tracing are tower layers. The server keeps no
//! state of its own outside the database, so any number of instances can run behind a load
//! balancer.

mod loopback_pki;
mod routes;

pub use loopback_pki::{LoopbackPki, loopback_pki, serve_loopback, serve_loopback_on};

use axum::Router;
use multipass_api::config::ListenSettings;
use multipass_api::{ApiError, ErrorCode, MultipassApi};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use routes::ErrorResponse;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the TLS certificate or key could not be loaded from {path}: {detail}")]
    Tls { path: String, detail: String },
    #[error("cannot listen on {address}: {detail}")]
    Bind { address: SocketAddr, detail: String },
    #[error("the server stopped: {0}")]
    Serve(String),
}

/// The whole HTTP surface over `api`.
pub fn router(api: Arc<MultipassApi>, listen: &ListenSettings) -> Router {
    routes::router(api, listen)
}

/// A server started by [`start`]: where it listens, and how to stop it.
#[derive(Debug)]
pub struct RunningServer {
    pub address: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish for up to `grace`, then returns.
    pub async fn stop(self, grace: Duration) -> Result<(), ServerError> {
        self.handle.graceful_shutdown(Some(grace));
        self.task
            .await
            .map_err(|e| ServerError::Serve(e.to_string()))?
    }

    /// Waits until the server ends by itself (it does not, unless it fails).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.task
            .await
            .map_err(|e| ServerError::Serve(e.to_string()))?
    }

    /// `https://localhost:<port>/`, for a server on loopback.
    pub fn loopback_url(&self) -> String {
        format!("https://localhost:{}/", self.address.port())
    }

    /// Asks the server to stop, for a signal handler.
    pub fn shutdown_handle(&self) -> axum_server::Handle<SocketAddr> {
        self.handle.clone()
    }
}

/// Makes ring the process's TLS provider; several crates in the build bring rustls, and
/// rustls refuses to guess between providers.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Binds `listen.address` and serves in the background, with the certificate and key
/// files the settings name (or plain HTTP where they allow it).
pub async fn start(
    listen: &ListenSettings,
    api: Arc<MultipassApi>,
) -> Result<RunningServer, ServerError> {
    install_crypto_provider();
    let tls = match &listen.tls {
        Some((cert, key)) => {
            let failed = |detail: String| ServerError::Tls {
                path: format!("{} and {}", cert.display(), key.display()),
                detail,
            };
            let cert_pem = tokio::fs::read(cert)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let key_pem = tokio::fs::read(key)
                .await
                .map_err(|e| failed(e.to_string()))?;
            Some(tls_config_from_pem(&cert_pem, &key_pem).map_err(failed)?)
        }
        None => None,
    };
    let listener = std::net::TcpListener::bind(listen.address).map_err(|e| ServerError::Bind {
        address: listen.address,
        detail: e.to_string(),
    })?;
    start_on(listener, tls, listen, api)
}

/// A TLS configuration from a PEM certificate chain and its private key.
pub fn tls_config_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no certificate".to_owned());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| format!("the key file holds no usable private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not form a usable pair: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves on an already bound listener, in the background. Connections that arrive before
/// the task runs wait in the listener's backlog, so a client may call at once.
pub fn start_on(
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    listen: &ListenSettings,
    api: Arc<MultipassApi>,
) -> Result<RunningServer, ServerError> {
    let bind_error = |address: SocketAddr, e: std::io::Error| ServerError::Bind {
        address,
        detail: e.to_string(),
    };
    let address = listener
        .local_addr()
        .map_err(|e| bind_error(listen.address, e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| bind_error(address, e))?;
    let app = router(api, listen).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let task = match tls {
        Some(config) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_config(config);
            let server = axum_server::from_tcp_rustls(listener, config)
                .map_err(|e| bind_error(address, e))?
                .handle(handle.clone());
            spawn_serving(server.serve(app))
        }
        None => {
            let server = axum_server::from_tcp(listener)
                .map_err(|e| bind_error(address, e))?
                .handle(handle.clone());
            spawn_serving(server.serve(app))
        }
    };
    Ok(RunningServer {
        address,
        handle,
        task,
    })
}

fn spawn_serving(
    serving: impl std::future::Future<Output = std::io::Result<()>> + Send + 'static,
) -> tokio::task::JoinHandle<Result<(), ServerError>> {
    tokio::spawn(async move { serving.await.map_err(|e| ServerError::Serve(e.to_string())) })
}

/// The HTTP status an error code is sent with; the body carries the code itself.
pub fn status_of(code: ErrorCode) -> u16 {
    use ErrorCode::*;
    match code {
        InvalidInput | Cancelled => 400,
        InvalidCredentials | Unauthenticated | SecondFactorRequired => 401,
        Forbidden => 403,
        NotFound => 404,
        Conflict | IdempotencyMismatch | InvalidState | AlreadyUsed => 409,
        Expired => 410,
        LimitExceeded => 413,
        InsufficientFunds => 422,
        Unavailable | SchemaTooNew => 503,
        Timeout => 504,
        Config | KeyringUnavailable | Internal => 500,
        CertificateUntrusted => 502,
        RateLimited => 429,
    }
}

/// An error the server makes itself, outside any use case.
pub(crate) fn own_error(code: ErrorCode, message: &str) -> ApiError {
    ApiError::new(code, message)
}
