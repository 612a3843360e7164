//! A certificate authority and a server certificate for `localhost` and 127.0.0.1, made in
//! memory, so tests and benchmarks run the real HTTPS path on loopback without a file or a
//! certificate from outside. Never for a deployment: its key lives only in this process.

use std::sync::Arc;

/// The server's TLS configuration and the CA's certificate (PEM) a client must trust.
#[derive(Debug)]
pub struct LoopbackPki {
    pub server_config: Arc<rustls::ServerConfig>,
    pub ca_pem: String,
    /// The server's certificate and key as PEM, for a `multipass-server` process started
    /// with them in files.
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

pub fn loopback_pki() -> Result<LoopbackPki, String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let failed = |e: rcgen::Error| format!("the loopback certificates cannot be made: {e}");
    let ca_key = KeyPair::generate().map_err(failed)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Multipass loopback test CA");
    let ca_cert = ca_params.self_signed(&ca_key).map_err(failed)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().map_err(failed)?;
    let server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(failed)?;
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .map_err(failed)?;
    let (server_cert_pem, server_key_pem) = (server_cert.pem(), server_key.serialize_pem());
    let server_config =
        crate::tls_config_from_pem(server_cert_pem.as_bytes(), server_key_pem.as_bytes())?;
    Ok(LoopbackPki {
        server_config,
        ca_pem: ca_cert.pem(),
        server_cert_pem,
        server_key_pem,
    })
}

/// Serves `api` over HTTPS on a free loopback port with `pki`'s certificate, with the
/// default limits; for tests and benchmarks.
pub fn serve_loopback(
    api: std::sync::Arc<multipass_api::MultipassApi>,
    pki: &LoopbackPki,
) -> Result<crate::RunningServer, crate::ServerError> {
    let any_port = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let listener = std::net::TcpListener::bind(any_port).map_err(|e| crate::ServerError::Bind {
        address: any_port,
        detail: e.to_string(),
    })?;
    serve_loopback_on(listener, api, pki)
}

/// As [`serve_loopback`], on a listener already bound (a restarted server's old port).
pub fn serve_loopback_on(
    listener: std::net::TcpListener,
    api: std::sync::Arc<multipass_api::MultipassApi>,
    pki: &LoopbackPki,
) -> Result<crate::RunningServer, crate::ServerError> {
    crate::install_crypto_provider();
    let listen = multipass_api::config::ListenSettings {
        address: listener
            .local_addr()
            .map_err(|e| crate::ServerError::Bind {
                address: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                detail: e.to_string(),
            })?,
        tls: None,
        plain_http: false,
        request_timeout_seconds: multipass_api::config::DEFAULT_REQUEST_TIMEOUT_SECONDS,
        max_body_bytes: multipass_api::config::DEFAULT_MAX_BODY_KIB as usize * 1024,
        trusted_proxies: Vec::new(),
    };
    crate::start_on(listener, Some(pki.server_config.clone()), &listen, api)
}
