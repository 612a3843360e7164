//! `multipass-server`: serves the application API over HTTPS to desktops and the CLI.

use anyhow::{Context, bail};
use clap::Parser;
use multipass_api::config::DatabaseSettings;
use multipass_api::{MultipassApi, OpenMode, Settings, SystemClock, open_store};
use std::sync::Arc;
use std::time::Duration;

const SETTINGS_HELP: &str = "\
Settings come from environment variables or from the settings file (MULTIPASS_CONFIG, or
settings.toml in the per-user config folder); the variable wins.

  MULTIPASS_LISTEN / listen.address            address and port (default 127.0.0.1:8443)
  MULTIPASS_TLS_CERT / listen.cert_file        PEM certificate chain
  MULTIPASS_TLS_KEY / listen.key_file          PEM private key
  MULTIPASS_PLAIN_HTTP / listen.plain_http     true: plain HTTP, loopback addresses only
  MULTIPASS_REQUEST_TIMEOUT_SECONDS            per request (default 60)
  MULTIPASS_MAX_BODY_KIB / listen.max_body_kib largest request body (default 1024)
  DATABASE_URL or DATABASE_HOST, _PORT, _NAME, _USER, _PASSWORD, _MAX_CONNECTIONS
                                               the shared PostgreSQL (required)
  DATABASE_SSL_ROOT_CERT                       its CA: TLS is then verify-full (a remote
                                               database without it is warned about)
  MULTIPASS_SECRETS_KEY_FILE / secrets.key_file
                                               64 hex digits sealing the SSO keys in the
                                               database (required; the same for every
                                               instance; `openssl rand -hex 32`)
  MULTIPASS_TRUSTED_PROXIES / listen.trusted_proxies
                                               load balancers whose X-Forwarded-For is
                                               believed (sign-in limits per address)

The security policy (lockout, sessions, pass challenges, report and sign-in limits) and the
clock are the database's: admins change the policy with `multipass policy set`.
The schema is never migrated here: run `multipass migrate` with the owner role first.
GET /health answers without a session; GET /.well-known/jwks.json publishes the SSO keys.";

/// Serves the Multipass application API over HTTPS: the one place that holds the
/// database, the policy and the clock for every desktop of a deployment.
#[derive(Debug, Parser)]
#[command(name = "multipass-server", version, after_help = SETTINGS_HELP)]
struct Cli {
    /// Check the settings, the certificate and the database, then exit without serving.
    #[arg(long)]
    check: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MULTIPASS_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let settings = Settings::load().context("the settings are not usable")?;
    let listen = settings
        .listen
        .clone()
        .context("the listen settings are not usable")?;
    if !matches!(settings.database, DatabaseSettings::Postgres { .. }) {
        bail!(
            "no database is configured: the server serves the shared PostgreSQL \
             (set DATABASE_URL, or DATABASE_HOST and the other DATABASE_* settings)"
        );
    }
    if let Some(risk) = settings.database.unverified_remote_database() {
        tracing::warn!("{risk}");
    }
    if let DatabaseSettings::Postgres {
        report_replica: None,
        ..
    } = &settings.database
    {
        tracing::warn!(
            "report templates run on the server's own login as multipass_report_reader, a \
             role a template can reset; set MULTIPASS_REPORTS_DATABASE_URL to a login that \
             holds only multipass_report_reader (on the primary or a replica)"
        );
    }
    let store = open_store(&settings.database, OpenMode::Inspect)
        .await
        .context("the database cannot be opened")?;
    let status = store
        .status()
        .await
        .context("the database's status cannot be read")?;
    multipass_api::require_current_schema(store.as_ref())
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))
        .context("the database is not ready for this server")?;
    if settings.secrets_key_file.is_none() {
        bail!(
            "MULTIPASS_SECRETS_KEY_FILE is not set: the server keeps the deployment's SSO \
             signing keys in the database, sealed with that key, so that every instance \
             signs with the same keys. Make one with `openssl rand -hex 32 > secrets.key` \
             (readable by the server only) and give every instance the same file"
        );
    }
    let sealed = multipass_api::sealed_vault::sealed_secrets_for(&settings, store.clone())
        .context("the secrets key cannot be used")?
        .context("the secrets key file is not set")?;
    // The security policy and the time come from the database, not from these settings.
    let api = MultipassApi::new(store, settings.policies(), Arc::new(SystemClock))
        .with_sealed_secrets(sealed)
        .with_database_authority()
        .await
        .context("the security policy cannot be read from the database")?;
    if cli.check {
        println!(
            "settings, database ({}) and schema version {} are in order",
            status.location, status.schema_version
        );
        return Ok(());
    }
    // TOTP secrets stored before the server had its key are sealed now, once.
    let sealed = api
        .seal_plain_totp_secrets()
        .await
        .context("the stored TOTP secrets could not be sealed")?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed TOTP secrets that were stored in the clear");
    }
    let server = multipass_server::start(&listen, Arc::new(api)).await?;
    let scheme = if listen.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(address = %server.address, "serving on {scheme}://{}", server.address);
    let handle = server.shutdown_handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing the requests in flight");
        handle.graceful_shutdown(Some(Duration::from_secs(20)));
    });
    server.wait().await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
