//! The application API over HTTPS: [`connect`] gives an [`Operations`] whose every call is a
//! request to the Multipass server with the session token, answering with the same
//! `{code, message, field}` errors as the API in process. [`Connection`] is what a desktop
//! or the CLI holds: this, or the API in process.

mod connection;

pub use connection::Connection;

use multipass_api::config::ServerEndpoint;
use multipass_api::dto::HealthView;
use multipass_api::operations::OperationTransport;
use multipass_api::{ApiError, ErrorCode, Operations, Remote};
use multipass_domain::SessionToken;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;

/// The API of the server at an endpoint.
pub type RemoteApi = Remote<HttpsTransport>;

/// Builds the client for `endpoint`; nothing is sent until the first call.
pub fn connect(endpoint: &ServerEndpoint) -> Result<RemoteApi, ApiError> {
    Ok(Remote(HttpsTransport::new(endpoint)?))
}

/// Same as [`connect`], as a trait object for code that serves either mode.
pub fn connect_dyn(endpoint: &ServerEndpoint) -> Result<Arc<dyn Operations>, ApiError> {
    Ok(Arc::new(connect(endpoint)?))
}

#[derive(Debug, Clone)]
pub struct HttpsTransport {
    client: reqwest::Client,
    base: url::Url,
}

fn config_error(message: String) -> ApiError {
    ApiError::new(ErrorCode::Config, message).with_field("server.ca_file")
}

/// The system's roots, plus the enterprise CA when one is configured.
fn tls_config(endpoint: &ServerEndpoint) -> Result<rustls::ClientConfig, ApiError> {
    let mut roots = rustls::RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    for cert in system.certs {
        // One unusable system certificate must not make every other root unusable.
        let _ = roots.add(cert);
    }
    if let Some(path) = &endpoint.ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|iter| iter.collect::<Result<_, _>>())
            .map_err(|e| {
                config_error(format!(
                    "The server CA file {} cannot be read as PEM certificates: {e}",
                    path.display()
                ))
            })?;
        if certs.is_empty() {
            return Err(config_error(format!(
                "The server CA file {} holds no certificate.",
                path.display()
            )));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                config_error(format!(
                    "A certificate in {} is not a usable CA: {e}",
                    path.display()
                ))
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

impl HttpsTransport {
    pub fn new(endpoint: &ServerEndpoint) -> Result<Self, ApiError> {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(endpoint)?)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("multipass/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::Internal,
                    format!("The HTTPS client cannot start: {e}"),
                )
            })?;
        let mut base = endpoint.url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self { client, base })
    }

    fn unreachable(&self, err: &reqwest::Error) -> ApiError {
        if is_untrusted_certificate(err) {
            return ApiError::new(
                ErrorCode::CertificateUntrusted,
                format!(
                    "The server at {} presented a certificate this computer does not trust. \
                     If your organisation uses its own certificate authority, set its CA file \
                     (server.ca_file); otherwise check the server address.",
                    self.origin()
                ),
            );
        }
        if err.is_timeout() {
            return ApiError::new(
                ErrorCode::Timeout,
                format!("The server at {} did not answer in time.", self.origin()),
            );
        }
        tracing::debug!(error = %err, "the server cannot be reached");
        ApiError::new(
            ErrorCode::Unavailable,
            format!(
                "The Multipass server at {} cannot be reached. Check the network, or try again later.",
                self.origin()
            ),
        )
    }

    /// The server's `GET /health`.
    pub async fn health(&self) -> Result<HealthView, ApiError> {
        let url = self
            .base
            .join("health")
            .map_err(|e| ApiError::new(ErrorCode::Config, format!("Bad server URL: {e}")))?;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        serde_json::from_slice(&bytes).map_err(|_| error_from_status(status, &self.origin()))
    }

    fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }
}

/// Whether `err` failed because the server's certificate chain was refused.
fn is_untrusted_certificate(err: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return matches!(
            tls,
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
        );
    }
    // hyper-util wraps the TLS error in io::Errors, whose `source` skips the error they
    // wrap, so each is opened by hand.
    if let Some(inner) = err
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        return is_untrusted_certificate(inner);
    }
    err.source().is_some_and(is_untrusted_certificate)
}

/// An answer that is not the API's own error body (a proxy's page, a timeout layer).
fn error_from_status(status: reqwest::StatusCode, origin: &str) -> ApiError {
    match status.as_u16() {
        401 => ApiError::new(
            ErrorCode::Unauthenticated,
            "You are signed out. Sign in to continue.",
        ),
        408 | 504 => ApiError::new(
            ErrorCode::Timeout,
            format!("The server at {origin} took too long and stopped the request."),
        ),
        429 => ApiError::new(
            ErrorCode::RateLimited,
            "Too many requests right now. Wait a few seconds and try again.",
        ),
        413 => ApiError::new(
            ErrorCode::LimitExceeded,
            "The request is larger than the server accepts.",
        ),
        _ => ApiError::new(
            ErrorCode::Unavailable,
            format!("The server at {origin} answered with HTTP {status}, not a Multipass answer."),
        ),
    }
}

#[async_trait::async_trait]
impl OperationTransport for HttpsTransport {
    async fn call(
        &self,
        operation: &'static str,
        token: Option<&SessionToken>,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, ApiError> {
        let url = self
            .base
            .join(&format!("api/v1/{operation}"))
            .map_err(|e| ApiError::new(ErrorCode::Config, format!("Bad server URL: {e}")))?;
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(serde_json::from_slice::<ApiError>(&bytes)
            .unwrap_or_else(|_| error_from_status(status, &self.origin())))
    }
}
