//! `multipass`: the command line for administrators and desk staff. It uses the same
//! settings (environment and settings file) and the same application API as the desktop app.

mod apps;
mod auth;
mod identity;
mod market;
mod output;
mod passes;
mod policy;
mod reports;
mod session;
mod wallet;

use clap::{Parser, Subcommand};
use multipass_api::{ApiError, DatabaseSettings, ErrorCode, OpenMode, Settings, open_store};
use multipass_client::Connection;
use output::Output;
use serde::Serialize;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "multipass",
    version,
    about = "Multipass administration from the command line"
)]
struct Cli {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bring the configured store's schema up to date (creating the embedded store if needed).
    Migrate,
    /// Show which store is configured, its schema version and whether it answers. Changes nothing.
    Status,
    /// Create an account and sign the command line in as it (password from MULTIPASS_PASSWORD or stdin).
    SignUp(session::SignUpArgs),
    /// Sign the command line in (password from MULTIPASS_PASSWORD or stdin).
    SignIn(session::SignInArgs),
    /// End the command line's session.
    SignOut,
    /// Show who the command line is signed in as.
    Whoami,
    /// Second factors, sessions, password change, unlocking and security events.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Report definitions and your generated reports.
    #[command(subcommand)]
    Reports(reports::ReportsCommand),
    /// Your notifications.
    #[command(subcommand)]
    Notifications(reports::NotificationsCommand),
    /// The asset market: assets, issuance, orders, the book, trades and positions.
    Market {
        #[command(subcommand)]
        command: market::MarketCommand,
    },
    /// Wallets, balances, deposits, transfers, history and signature checks.
    Wallet(wallet::WalletArgs),
    /// Application modules: registry, installs, consent, SSO tokens and signing keys.
    Apps(apps::AppsArgs),
    /// Profiles, KYC verifications, attestations and roles.
    #[command(subcommand)]
    Identity(identity::IdentityCommand),
    /// Administration of the store itself.
    #[command(subcommand)]
    Admin(identity::AdminCommand),
    /// The hardware-pass registry.
    #[command(subcommand)]
    Passes(passes::PassesCommand),
    /// The security policy: lockout, sessions, pass challenges, report and sign-in limits (admins).
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusReport {
    backend: &'static str,
    location: String,
    /// 0 when the store has no schema yet.
    schema_version: i64,
    latest_known_version: i64,
    /// The store answered.
    healthy: bool,
    /// `migrate` would change something.
    migration_pending: bool,
    /// Why the store is unhealthy, when it is.
    error: Option<ApiError>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr so stdout stays parseable with --json.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(std::env::var("MULTIPASS_LOG").unwrap_or_else(|_| "warn".into()))
        .init();

    let settings = match Settings::load() {
        Err(e) => return fail(&ApiError::new(ErrorCode::Config, e.to_string()), cli.json),
        Ok(settings) => settings,
    };
    let outcome = match cli.command {
        Command::Migrate => migrate(&settings).await,
        Command::Status => Ok(status(&settings).await),
        command => {
            // A plain `unavailable` from a report read points at `--offline`.
            let reads_reports = matches!(&command, Command::Reports(c) if c.reads_reports());
            let outcome = match command {
                Command::Reports(command) if command.is_offline() => {
                    reports::offline(&settings, command).await
                }
                command => run_service(command, &settings).await.map_err(|err| {
                    if reads_reports {
                        multipass_api::reports::with_offline_hint(err)
                    } else {
                        err
                    }
                }),
            };
            return match outcome {
                Ok(output) => {
                    output.print(cli.json);
                    ExitCode::SUCCESS
                }
                Err(err) => fail(&err, cli.json),
            };
        }
    };
    match outcome {
        Ok(report) => {
            let healthy = report.healthy;
            print_report(&report, cli.json);
            if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(err) => fail(&err, cli.json),
    }
}

/// Commands that act through the application API, most of them as the signed-in user.
async fn run_service(command: Command, settings: &Settings) -> Result<Output, ApiError> {
    let api = Connection::open(settings).await?;
    match command {
        Command::Migrate | Command::Status => Err(ApiError::new(
            ErrorCode::Internal,
            "This command does not use the application API.",
        )),
        Command::SignUp(args) => session::sign_up(&api, args).await,
        Command::SignIn(args) => session::sign_in(&api, args).await,
        Command::SignOut => session::sign_out(&api).await,
        Command::Whoami => session::whoami(&api).await,
        Command::Auth(command) => auth::run(&api, command).await,
        Command::Reports(command) => reports::reports(&api, command).await,
        Command::Notifications(command) => reports::notifications(&api, command).await,
        Command::Market { command } => market::run(&api, command).await,
        Command::Wallet(args) => wallet::run(&api, args).await,
        Command::Apps(args) => apps::run(&api, args).await,
        Command::Identity(command) => identity::run(&api, command).await,
        Command::Admin(command) => identity::run_admin(&api, command).await,
        Command::Passes(command) => passes::run(&api, command).await,
        Command::Policy(command) => policy::run(&api, command).await,
    }
}

/// Prints an error (as `{"error": {code, message, field}}` with `--json`) and picks the exit
/// code: 1 for a refused request, 2 when the store cannot be reached, 130 when cancelled.
fn fail(err: &ApiError, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::json!({ "error": err }));
    } else {
        eprintln!(
            "error ({}): {}",
            serde_json::to_value(err.code)
                .unwrap_or_default()
                .as_str()
                .unwrap_or("internal"),
            err.message
        );
    }
    match err.code {
        ErrorCode::Unavailable => ExitCode::from(2),
        // As a shell reports a command ended by Ctrl-C (128 + SIGINT).
        ErrorCode::Cancelled => ExitCode::from(130),
        _ => ExitCode::FAILURE,
    }
}

fn backend_and_location(settings: &DatabaseSettings) -> (&'static str, String) {
    match settings {
        DatabaseSettings::Embedded { path } => ("sqlite", path.display().to_string()),
        DatabaseSettings::Postgres { options, .. } => (
            "postgres",
            format!(
                "{}:{}/{} as {}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default(),
                options.get_username()
            ),
        ),
    }
}

async fn migrate(settings: &Settings) -> Result<StatusReport, ApiError> {
    if settings.server.is_some() {
        return Err(ApiError::new(
            ErrorCode::Config,
            "`multipass migrate` works on the database itself, with the schema owner's role: \
             run it where DATABASE_* is set and MULTIPASS_SERVER_URL is not",
        ));
    }
    let store = open_store(&settings.database, OpenMode::Migrate).await?;
    let status = store.status().await?;
    Ok(report_from(status, None))
}

async fn status(settings: &Settings) -> StatusReport {
    if settings.server.is_some() {
        return server_status(settings).await;
    }
    let (backend, location) = backend_and_location(&settings.database);
    let unhealthy = |error: Option<ApiError>, latest: i64| StatusReport {
        backend,
        location: location.clone(),
        schema_version: 0,
        latest_known_version: latest,
        healthy: false,
        migration_pending: true,
        error,
    };
    let latest = match settings.database {
        DatabaseSettings::Embedded { .. } => multipass_store_sqlite_latest(),
        DatabaseSettings::Postgres { .. } => multipass_store_postgres_latest(),
    };
    if let DatabaseSettings::Embedded { path } = &settings.database
        && !path.exists()
    {
        // Not an error: the app creates the store on first start.
        return StatusReport {
            healthy: true,
            ..unhealthy(None, latest)
        };
    }
    let store = match open_store(&settings.database, OpenMode::Inspect).await {
        Ok(store) => store,
        Err(e) => return unhealthy(Some(e), latest),
    };
    match store.status().await {
        Ok(status) => report_from(status, None),
        Err(e) => unhealthy(Some(e.into()), latest),
    }
}

fn multipass_store_sqlite_latest() -> i64 {
    multipass_api::schema::LATEST_SQLITE
}

fn multipass_store_postgres_latest() -> i64 {
    multipass_api::schema::LATEST_POSTGRES
}

fn report_from(status: multipass_store::StoreStatus, error: Option<ApiError>) -> StatusReport {
    StatusReport {
        backend: match status.backend {
            multipass_store::Backend::Sqlite => "sqlite",
            multipass_store::Backend::Postgres => "postgres",
        },
        location: status.location,
        schema_version: status.schema_version,
        latest_known_version: status.latest_known_version,
        healthy: status.healthy,
        migration_pending: status.schema_version < status.latest_known_version,
        error,
    }
}

/// In server mode: the server's own health, which names its schema version.
async fn server_status(settings: &Settings) -> StatusReport {
    let latest = multipass_store_postgres_latest();
    let location = settings
        .server
        .as_ref()
        .map(|s| s.url.origin().ascii_serialization())
        .unwrap_or_default();
    let status = match Connection::open(settings).await {
        Ok(connection) => connection.status().await,
        Err(e) => Err(e),
    };
    match status {
        Ok(view) => StatusReport {
            backend: "server",
            location,
            schema_version: i64::from(view.schema_version),
            latest_known_version: latest,
            healthy: view.healthy,
            migration_pending: i64::from(view.schema_version) < latest,
            error: None,
        },
        Err(error) => StatusReport {
            backend: "server",
            location,
            schema_version: 0,
            latest_known_version: latest,
            healthy: false,
            migration_pending: false,
            error: Some(error),
        },
    }
}

fn print_report(report: &StatusReport, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    println!("store:          {} ({})", report.location, report.backend);
    let schema = if report.schema_version == 0 {
        "none yet".to_owned()
    } else {
        report.schema_version.to_string()
    };
    println!(
        "schema version: {schema} (this build knows {})",
        report.latest_known_version
    );
    println!(
        "connection:     {}",
        if report.healthy { "ok" } else { "failing" }
    );
    if report.migration_pending {
        println!("                run `multipass migrate` to bring the schema up to date");
    }
    if let Some(err) = &report.error {
        println!("error:          {}", err.message);
    }
}
