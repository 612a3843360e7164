//! Settings: which store to use and the authentication policies.
//!
//! Each setting comes from an environment variable or from the settings file
//! (`settings.toml` in the per-user config folder, or the file `MULTIPASS_CONFIG` names),
//! the variable winning. With no database configured at all, the embedded SQLite store in
//! the per-user data folder is used. A malformed value is an error naming the setting; a
//! password never appears in an error, a log line or the UI.

use crate::Policies;
use chrono::Duration;
use multipass_domain::policy;
use multipass_domain::{LockoutPolicy, SessionPolicy};
use serde::Deserialize;
use sqlx::postgres::PgConnectOptions;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod remote;
pub use remote::{
    DEFAULT_LISTEN, DEFAULT_MAX_BODY_KIB, DEFAULT_REQUEST_TIMEOUT_SECONDS, ListenSettings,
    ServerEndpoint,
};

pub const DEFAULT_HOST: &str = "localhost";
pub const DEFAULT_PORT: u16 = 5432;
pub const DEFAULT_NAME: &str = "enterprise_db";
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;
const STORE_FILE_NAME: &str = "multipass.db";
const REPORT_CACHE_FILE_NAME: &str = "report-cache.db";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    /// The variable or settings-file key to fix, e.g. `DATABASE_PORT` or `database.port in /path/settings.toml`.
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    fn new(setting: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            problem: problem.into(),
        }
    }
}

/// Where the data lives.
#[derive(Clone)]
pub enum DatabaseSettings {
    /// The embedded store file.
    Embedded { path: PathBuf },
    /// The enterprise PostgreSQL.
    Postgres {
        options: Box<PgConnectOptions>,
        max_connections: u32,
        /// A read replica report queries run on (`reports.database_url`), so heavy reports
        /// never load the primary.
        report_replica: Option<Box<PgConnectOptions>>,
    },
}

// Written by hand because `PgConnectOptions`' own `Debug` prints the password.
impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded { path } => f.debug_struct("Embedded").field("path", path).finish(),
            Self::Postgres {
                options,
                max_connections,
                report_replica,
            } => f
                .debug_struct("Postgres")
                .field("host", &options.get_host())
                .field("port", &options.get_port())
                .field("database", &options.get_database())
                .field("user", &options.get_username())
                .field("password", &"[redacted]")
                .field("max_connections", max_connections)
                .field(
                    "report_replica",
                    &report_replica
                        .as_ref()
                        .map(|r| format!("{}:{}", r.get_host(), r.get_port())),
                )
                .finish(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub lockout: LockoutPolicy,
    pub session: SessionPolicy,
    pub reports: crate::reports::ReportPolicy,
    /// Where completed reports are copied for offline reading while the store is
    /// PostgreSQL (`MULTIPASS_REPORT_CACHE` / `reports.cache_path`); `None` when this system
    /// has no data folder and none is set.
    pub report_cache: Option<PathBuf>,
    pub passes: multipass_domain::pass::PassPolicy,
    /// The relying party and the software pass (`passes.rp_id`, `passes.software_pass`).
    pub ceremony: crate::pass_ceremony::CeremonyPolicy,
    /// Where the settings file was looked for (it need not exist).
    pub settings_file: Option<PathBuf>,
    /// The Multipass server to use instead of a store (`MULTIPASS_SERVER_URL` /
    /// `server.url`); then no database setting may be present.
    pub server: Option<ServerEndpoint>,
    /// How `multipass-server` listens; an error here matters only to the server.
    pub listen: Result<ListenSettings, ConfigError>,
    /// The deployment's key for the server's sealed secrets (`MULTIPASS_SECRETS_KEY_FILE` /
    /// `secrets.key_file`); with it, secrets go to the shared database sealed instead of
    /// to this computer's keyring.
    pub secrets_key_file: Option<PathBuf>,
}

impl DatabaseSettings {
    /// Why the connection to a shared database is open to interception, if it is: a host
    /// other than this computer reached without checking its certificate and name.
    pub fn unverified_remote_database(&self) -> Option<String> {
        use sqlx::postgres::PgSslMode;
        let DatabaseSettings::Postgres { options, .. } = self else {
            return None;
        };
        let host = options.get_host();
        // A Unix socket path is this computer too.
        let local = host.starts_with('/') || remote::is_loopback_host(host);
        let verified = matches!(options.get_ssl_mode(), PgSslMode::VerifyFull);
        (!local && !verified).then(|| {
            format!(
                "the database at {host} is reached without verifying its certificate and name; \
                 set DATABASE_SSL_ROOT_CERT (database.ssl_root_cert) to its CA for verify-full"
            )
        })
    }
}

impl Settings {
    pub fn policies(&self) -> Policies {
        Policies {
            lockout: self.lockout,
            session: self.session,
            reports: self.reports,
            passes: self.passes,
            ceremony: self.ceremony.clone(),
            ..Policies::default()
        }
    }

    /// Reads the real environment and settings file.
    pub fn load() -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let settings_file = env
            .get("MULTIPASS_CONFIG")
            .map(PathBuf::from)
            .or_else(|| dirs::config_dir().map(|d| d.join("multipass").join("settings.toml")));
        let file_text = match &settings_file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => Some(text),
                Err(e)
                    if e.kind() == std::io::ErrorKind::NotFound
                        && !env.contains_key("MULTIPASS_CONFIG") =>
                {
                    None
                }
                Err(e) => {
                    return Err(ConfigError::new(
                        format!("settings file {}", path.display()),
                        format!("cannot be read: {e}"),
                    ));
                }
            },
            None => None,
        };
        let data_dir = dirs::data_dir().map(|d| d.join("multipass"));
        Self::from_sources(
            &env,
            settings_file.as_deref().zip(file_text.as_deref()),
            data_dir,
        )
    }

    /// Builds settings from an environment snapshot and the settings file's text, without
    /// touching the machine, so every combination can be tested.
    pub fn from_sources(
        env: &BTreeMap<String, String>,
        file: Option<(&Path, &str)>,
        default_data_dir: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let parsed: SettingsFile = match file {
            Some((path, text)) => toml::from_str(text).map_err(|e| {
                // toml's message quotes the offending line, which may hold a password:
                // report only where the problem is.
                let at = e
                    .span()
                    .map(|span| {
                        let line = text[..span.start.min(text.len())].lines().count().max(1);
                        format!(" near line {line}")
                    })
                    .unwrap_or_default();
                ConfigError::new(
                    format!("settings file {}", path.display()),
                    format!("is not valid TOML for Multipass{at}: {}", e.message()),
                )
            })?,
            None => SettingsFile::default(),
        };
        let file_name = file
            .map(|(p, _)| p.display().to_string())
            .unwrap_or_default();
        let source = Sources {
            env,
            file_name: &file_name,
        };

        let report_cache = report_cache_path(
            &source,
            &parsed.reports,
            parsed.store.path.as_deref(),
            default_data_dir.as_deref(),
        );
        let database = database_settings(
            &source,
            &parsed.database,
            &parsed.reports,
            parsed.store.path,
            default_data_dir,
        )?;
        let lockout = lockout_policy(&source, &parsed.auth)?;
        let session = session_policy(&source, &parsed.auth)?;
        let reports = report_policy(&source, &parsed.reports)?;
        let passes = pass_policy(&source, &parsed.passes)?;
        let ceremony = ceremony_policy(&source, &parsed.passes)?;
        let server = remote::server_endpoint(&source, &parsed.server)?;
        if let (Some(_), DatabaseSettings::Postgres { .. }) = (&server, &database) {
            return Err(ConfigError::new(
                "MULTIPASS_SERVER_URL",
                "a server and a database are both configured; a desktop in server mode holds \
                 no database setting (remove the DATABASE_* settings, or the server URL)",
            ));
        }
        if server.is_some() || matches!(database, DatabaseSettings::Postgres { .. }) {
            refuse_local_security_policy(&source, &parsed.auth, &parsed.reports, &parsed.passes)?;
        }
        let listen = remote::listen_settings(&source, &parsed.listen);
        let secrets_key_file = source
            .text(
                "MULTIPASS_SECRETS_KEY_FILE",
                "secrets.key_file",
                parsed
                    .secrets
                    .key_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .as_ref(),
            )
            .map(|(path, _)| PathBuf::from(path));
        Ok(Self {
            database,
            lockout,
            session,
            reports,
            report_cache,
            passes,
            ceremony,
            settings_file: file.map(|(p, _)| p.to_owned()),
            server,
            listen,
            secrets_key_file,
        })
    }
}

/// A shared database keeps the security policy for everyone who reaches it (a server, a
/// direct-PostgreSQL desktop, the CLI), so a setting that would set it here is refused
/// rather than silently ignored.
fn refuse_local_security_policy(
    source: &Sources<'_>,
    auth: &AuthSection,
    reports: &ReportsSection,
    passes: &PassesSection,
) -> Result<(), ConfigError> {
    let in_file =
        |present: bool, key: &str| present.then(|| format!("{key} in {}", source.file_name));
    let settings = [
        (
            "MULTIPASS_MAX_FAILED_SIGN_INS",
            in_file(
                auth.max_failed_attempts.is_some(),
                "auth.max_failed_attempts",
            ),
        ),
        (
            "MULTIPASS_LOCKOUT_MINUTES",
            in_file(auth.lockout_minutes.is_some(), "auth.lockout_minutes"),
        ),
        (
            "MULTIPASS_SESSION_HOURS",
            in_file(auth.session_hours.is_some(), "auth.session_hours"),
        ),
        (
            "MULTIPASS_SESSION_IDLE_MINUTES",
            in_file(
                auth.session_idle_minutes.is_some(),
                "auth.session_idle_minutes",
            ),
        ),
        (
            "MULTIPASS_REPORT_TIMEOUT_SECONDS",
            in_file(reports.timeout_seconds.is_some(), "reports.timeout_seconds"),
        ),
        (
            "MULTIPASS_PASS_CHALLENGE_SECONDS",
            in_file(
                passes.challenge_seconds.is_some(),
                "passes.challenge_seconds",
            ),
        ),
    ];
    for (var, file_key) in settings {
        let set_in_env = source.env.get(var).is_some_and(|v| !v.trim().is_empty());
        let setting = if set_in_env {
            Some(var.to_owned())
        } else {
            file_key
        };
        if let Some(setting) = setting {
            return Err(ConfigError::new(
                setting,
                "is part of the security policy, which a shared database keeps for every \
                 server, desktop and tool that uses it; remove this setting and have an admin \
                 change the policy with `multipass policy set`",
            ));
        }
    }
    Ok(())
}

/// The settings file's shape. Unknown keys are errors, so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    #[serde(default)]
    database: DatabaseSection,
    #[serde(default)]
    store: StoreSection,
    #[serde(default)]
    auth: AuthSection,
    #[serde(default)]
    reports: ReportsSection,
    #[serde(default)]
    passes: PassesSection,
    #[serde(default)]
    server: remote::ServerSection,
    #[serde(default)]
    listen: remote::ListenSection,
    #[serde(default)]
    secrets: SecretsSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsSection {
    key_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PassesSection {
    challenge_seconds: Option<u32>,
    rp_id: Option<String>,
    software_pass: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseSection {
    url: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    name: Option<String>,
    user: Option<String>,
    password: Option<String>,
    max_connections: Option<u32>,
    ssl_root_cert: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    path: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthSection {
    max_failed_attempts: Option<u32>,
    lockout_minutes: Option<u32>,
    session_hours: Option<u32>,
    session_idle_minutes: Option<u32>,
}

struct Sources<'a> {
    env: &'a BTreeMap<String, String>,
    file_name: &'a str,
}

impl Sources<'_> {
    /// The environment's value if set (and not blank), else the file's, each tagged with
    /// the name to report if it is malformed.
    fn text(&self, var: &str, key: &str, from_file: Option<&String>) -> Option<(String, String)> {
        if let Some(value) = self.env.get(var).filter(|v| !v.trim().is_empty()) {
            return Some((value.clone(), var.to_owned()));
        }
        from_file.map(|v| (v.clone(), format!("{key} in {}", self.file_name)))
    }

    fn number<T: FromStr + Copy>(
        &self,
        var: &str,
        key: &str,
        from_file: Option<T>,
        expected: &str,
    ) -> Result<Option<(T, String)>, ConfigError> {
        if let Some(raw) = self.env.get(var).filter(|v| !v.trim().is_empty()) {
            let value = raw
                .trim()
                .parse::<T>()
                .map_err(|_| ConfigError::new(var, format!("expected {expected}, got {raw:?}")))?;
            return Ok(Some((value, var.to_owned())));
        }
        Ok(from_file.map(|v| (v, format!("{key} in {}", self.file_name))))
    }
}

fn database_settings(
    source: &Sources<'_>,
    file: &DatabaseSection,
    reports: &ReportsSection,
    store_path: Option<PathBuf>,
    default_data_dir: Option<PathBuf>,
) -> Result<DatabaseSettings, ConfigError> {
    let url = source.text("DATABASE_URL", "database.url", file.url.as_ref());
    let host = source.text("DATABASE_HOST", "database.host", file.host.as_ref());
    let port = source.number(
        "DATABASE_PORT",
        "database.port",
        file.port,
        "a port number from 1 to 65535",
    )?;
    let name = source.text("DATABASE_NAME", "database.name", file.name.as_ref());
    let user = source.text("DATABASE_USER", "database.user", file.user.as_ref());
    let password = source.text(
        "DATABASE_PASSWORD",
        "database.password",
        file.password.as_ref(),
    );
    let max_connections = source.number(
        "DATABASE_MAX_CONNECTIONS",
        "database.max_connections",
        file.max_connections,
        "a whole number of connections from 1 to 1000",
    )?;
    let max_connections = match max_connections {
        Some((n, _)) if (1..=1000).contains(&n) => n,
        Some((n, setting)) => {
            return Err(ConfigError::new(
                setting,
                format!("expected 1 to 1000 connections, got {n}"),
            ));
        }
        None => DEFAULT_MAX_CONNECTIONS,
    };
    if let Some((0, setting)) = port {
        return Err(ConfigError::new(
            setting,
            "expected a port number from 1 to 65535, got 0",
        ));
    }

    let replica_url = source.text(
        "MULTIPASS_REPORTS_DATABASE_URL",
        "reports.database_url",
        reports.database_url.as_ref(),
    );
    let any_part =
        host.is_some() || port.is_some() || name.is_some() || user.is_some() || password.is_some();
    if url.is_none() && !any_part {
        if let Some((_, setting)) = replica_url {
            return Err(ConfigError::new(
                setting,
                "a report replica serves a shared PostgreSQL, and none is configured \
                 (set DATABASE_URL or the other DATABASE_* settings)",
            ));
        }
        let path = match (store_path, default_data_dir) {
            (Some(path), _) => path,
            (None, Some(dir)) => dir.join(STORE_FILE_NAME),
            (None, None) => {
                return Err(ConfigError::new(
                    "store.path",
                    "this system has no per-user data folder; set store.path in the settings file",
                ));
            }
        };
        return Ok(DatabaseSettings::Embedded { path });
    }

    let mut options = match &url {
        Some((url, setting)) => parse_database_url(url, setting)?,
        None => PgConnectOptions::new_without_pgpass()
            .host(DEFAULT_HOST)
            .port(DEFAULT_PORT)
            .database(DEFAULT_NAME),
    };
    if url.is_some() && any_part {
        tracing::warn!(
            "DATABASE_URL is set, so DATABASE_HOST/PORT/NAME/USER/PASSWORD only override its parts"
        );
    }
    if let Some((host, _)) = host {
        options = options.host(&host);
    }
    if let Some((port, _)) = port {
        options = options.port(port);
    }
    if let Some((name, _)) = name {
        options = options.database(&name);
    }
    if let Some((user, _)) = user {
        options = options.username(&user);
    }
    if let Some((password, _)) = password {
        options = options.password(&password);
    }
    // A configured CA means the server's certificate and name are checked, whatever the
    // URL's sslmode says: no silent fallback to an unchecked or plain connection. The
    // replica is the same deployment's and is held to the same.
    let ca = source.text(
        "DATABASE_SSL_ROOT_CERT",
        "database.ssl_root_cert",
        file.ssl_root_cert
            .as_ref()
            .map(|p| p.display().to_string())
            .as_ref(),
    );
    let verified = |options: PgConnectOptions| match &ca {
        Some((ca, _)) => options
            .ssl_mode(sqlx::postgres::PgSslMode::VerifyFull)
            .ssl_root_cert(PathBuf::from(ca)),
        None => options,
    };
    let report_replica = match replica_url {
        Some((url, setting)) => Some(Box::new(
            verified(parse_database_url(&url, &setting)?).application_name("multipass-reports"),
        )),
        None => None,
    };
    Ok(DatabaseSettings::Postgres {
        options: Box::new(verified(options).application_name("multipass-desktop")),
        max_connections,
        report_replica,
    })
}

/// Parses a `postgresql://` URL without ever echoing it: it may carry a password.
fn parse_database_url(raw: &str, setting: &str) -> Result<PgConnectOptions, ConfigError> {
    let parsed = url::Url::parse(raw.trim()).map_err(|e| {
        ConfigError::new(
            setting,
            format!(
                "is not a valid URL ({e}); expected postgresql://user:password@host:port/database"
            ),
        )
    })?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(ConfigError::new(
            setting,
            format!(
                "must start with postgresql:// (found a {}:// URL)",
                parsed.scheme()
            ),
        ));
    }
    PgConnectOptions::from_str(raw.trim()).map_err(|_| {
        ConfigError::new(
            setting,
            "is not a PostgreSQL connection URL that can be used; expected postgresql://user:password@host:port/database",
        )
    })
}

fn lockout_policy(source: &Sources<'_>, auth: &AuthSection) -> Result<LockoutPolicy, ConfigError> {
    let defaults = LockoutPolicy::default();
    let max = source.number(
        "MULTIPASS_MAX_FAILED_SIGN_INS",
        "auth.max_failed_attempts",
        auth.max_failed_attempts,
        "a whole number from 1 to 100",
    )?;
    let max_failed_attempts = match max {
        Some((n, _)) if policy::MAX_FAILED_SIGN_INS.contains(&n) => n,
        Some((n, setting)) => {
            return Err(ConfigError::new(
                setting,
                format!("expected 1 to 100, got {n}"),
            ));
        }
        None => defaults.max_failed_attempts,
    };
    let minutes = source.number(
        "MULTIPASS_LOCKOUT_MINUTES",
        "auth.lockout_minutes",
        auth.lockout_minutes,
        "a whole number of minutes (0 keeps accounts locked until an administrator unlocks them)",
    )?;
    let unlock_after = match minutes {
        Some((0, _)) => None,
        Some((m, _)) if policy::LOCKOUT_MINUTES.contains(&m) => {
            Some(Duration::minutes(i64::from(m)))
        }
        Some((m, setting)) => {
            return Err(ConfigError::new(
                setting,
                format!("expected 0 to 525600 minutes (a year), got {m}"),
            ));
        }
        None => defaults.unlock_after,
    };
    Ok(LockoutPolicy {
        max_failed_attempts,
        unlock_after,
    })
}

fn session_policy(source: &Sources<'_>, auth: &AuthSection) -> Result<SessionPolicy, ConfigError> {
    let hours = source.number(
        "MULTIPASS_SESSION_HOURS",
        "auth.session_hours",
        auth.session_hours,
        "a whole number of hours from 1 to 720",
    )?;
    let defaults = SessionPolicy::default();
    let absolute_lifetime = match hours {
        Some((h, _)) if policy::SESSION_HOURS.contains(&h) => Duration::hours(i64::from(h)),
        Some((h, setting)) => {
            return Err(ConfigError::new(
                setting,
                format!("expected 1 to 720 hours, got {h}"),
            ));
        }
        None => defaults.absolute_lifetime,
    };
    let idle = source.number(
        "MULTIPASS_SESSION_IDLE_MINUTES",
        "auth.session_idle_minutes",
        auth.session_idle_minutes,
        "a whole number of minutes from 0 to 1440 (0 turns the idle timeout off)",
    )?;
    let idle_timeout = match idle {
        Some((0, _)) => None,
        Some((m, _)) if policy::SESSION_IDLE_MINUTES.contains(&m) => {
            Some(Duration::minutes(i64::from(m)))
        }
        Some((m, setting)) => {
            return Err(ConfigError::new(
                setting,
                format!("expected 0 to 1440 minutes, got {m}"),
            ));
        }
        None => defaults.idle_timeout,
    };
    Ok(SessionPolicy {
        absolute_lifetime,
        idle_timeout,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportsSection {
    timeout_seconds: Option<u32>,
    cache_path: Option<String>,
    database_url: Option<String>,
}

/// The cache lives beside the embedded store's file (where that would be), so that one
/// person's data stays in one folder.
fn report_cache_path(
    source: &Sources<'_>,
    reports: &ReportsSection,
    store_path: Option<&Path>,
    default_data_dir: Option<&Path>,
) -> Option<PathBuf> {
    if let Some((path, _)) = source.text(
        "MULTIPASS_REPORT_CACHE",
        "reports.cache_path",
        reports.cache_path.as_ref(),
    ) {
        return Some(PathBuf::from(path.trim()));
    }
    let folder = match store_path {
        Some(path) => path.parent().unwrap_or(Path::new("")).to_owned(),
        None => default_data_dir?.to_owned(),
    };
    Some(folder.join(REPORT_CACHE_FILE_NAME))
}

fn report_policy(
    source: &Sources<'_>,
    reports: &ReportsSection,
) -> Result<crate::reports::ReportPolicy, ConfigError> {
    let seconds = source.number(
        "MULTIPASS_REPORT_TIMEOUT_SECONDS",
        "reports.timeout_seconds",
        reports.timeout_seconds,
        "a whole number of seconds from 1 to 3600",
    )?;
    match seconds {
        Some((s, _)) if policy::REPORT_TIMEOUT_SECONDS.contains(&s) => {
            Ok(crate::reports::ReportPolicy {
                timeout: std::time::Duration::from_secs(u64::from(s)),
            })
        }
        Some((s, setting)) => Err(ConfigError::new(
            setting,
            format!("expected 1 to 3600 seconds, got {s}"),
        )),
        None => Ok(crate::reports::ReportPolicy::default()),
    }
}

fn pass_policy(
    source: &Sources<'_>,
    passes: &PassesSection,
) -> Result<multipass_domain::pass::PassPolicy, ConfigError> {
    let seconds = source.number(
        "MULTIPASS_PASS_CHALLENGE_SECONDS",
        "passes.challenge_seconds",
        passes.challenge_seconds,
        "a whole number of seconds from 10 to 600",
    )?;
    match seconds {
        // Under 10 s nobody finds and touches their pass in time; over 10 minutes a captured
        // challenge stays useful for too long.
        Some((s, _)) if policy::PASS_CHALLENGE_SECONDS.contains(&s) => {
            Ok(multipass_domain::pass::PassPolicy {
                challenge_ttl: Duration::seconds(i64::from(s)),
            })
        }
        Some((s, setting)) => Err(ConfigError::new(
            setting,
            format!("expected 10 to 600 seconds, got {s}"),
        )),
        None => Ok(multipass_domain::pass::PassPolicy::default()),
    }
}

/// `MULTIPASS_RP_ID` / `passes.rp_id` and `MULTIPASS_PASS_UDP` / `passes.software_pass`.
fn ceremony_policy(
    source: &Sources<'_>,
    passes: &PassesSection,
) -> Result<crate::pass_ceremony::CeremonyPolicy, ConfigError> {
    let mut policy = crate::pass_ceremony::CeremonyPolicy::default();
    if let Some((rp_id, setting)) =
        source.text("MULTIPASS_RP_ID", "passes.rp_id", passes.rp_id.as_ref())
    {
        policy.rp_id = parse_rp_id(&rp_id).map_err(|reason| ConfigError::new(setting, reason))?;
    }
    if let Some((addr, setting)) = source.text(
        "MULTIPASS_PASS_UDP",
        "passes.software_pass",
        passes.software_pass.as_ref(),
    ) {
        let parsed: std::net::SocketAddr = addr.trim().parse().map_err(|_| {
            ConfigError::new(&setting, format!("expected 127.0.0.1:PORT, got {addr:?}"))
        })?;
        // The software pass is a test device: it must never be reachable from elsewhere.
        if !parsed.ip().is_loopback() || parsed.port() == 0 {
            return Err(ConfigError::new(
                setting,
                format!(
                    "expected a loopback address with a port, like 127.0.0.1:8111, got {addr:?}"
                ),
            ));
        }
        policy.software_pass = Some(parsed);
    }
    Ok(policy)
}

/// A relying-party ID is a host name: lower-case labels of a-z, 0-9 and '-', joined by dots.
fn parse_rp_id(raw: &str) -> Result<String, String> {
    let text = raw.trim().to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if text.len() <= 253 && text.split('.').all(label_ok) {
        Ok(text)
    } else {
        Err(format!(
            "expected a host name such as multipass.example.com, got {raw:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn data_dir() -> Option<PathBuf> {
        Some(PathBuf::from("/home/ada/.local/share/multipass"))
    }

    fn load(pairs: &[(&str, &str)], file: Option<&str>) -> Result<Settings, ConfigError> {
        let path = Path::new("/etc/multipass/settings.toml");
        Settings::from_sources(&env(pairs), file.map(|text| (path, text)), data_dir())
    }

    fn pg(settings: &Settings) -> (&PgConnectOptions, u32) {
        match &settings.database {
            DatabaseSettings::Postgres {
                options,
                max_connections,
                ..
            } => (options, *max_connections),
            DatabaseSettings::Embedded { path } => panic!(
                "expected PostgreSQL, got embedded store at {}",
                path.display()
            ),
        }
    }

    #[test]
    fn nothing_configured_means_the_embedded_store_in_the_data_folder() {
        let settings = load(&[], None).unwrap();
        match settings.database {
            DatabaseSettings::Embedded { path } => {
                assert_eq!(
                    path,
                    PathBuf::from("/home/ada/.local/share/multipass/multipass.db")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(settings.lockout, LockoutPolicy::default());
    }

    #[rstest]
    #[case::env_with_a_database(&[("DATABASE_URL", "postgresql://db.corp/ent"), ("MULTIPASS_MAX_FAILED_SIGN_INS", "1")], None, "MULTIPASS_MAX_FAILED_SIGN_INS")]
    #[case::file_with_a_database(&[("DATABASE_URL", "postgresql://db.corp/ent")], Some("[auth]\nlockout_minutes = 0\n"), "auth.lockout_minutes")]
    #[case::env_with_a_server(&[("MULTIPASS_SERVER_URL", "https://mp.corp"), ("MULTIPASS_SESSION_HOURS", "720")], None, "MULTIPASS_SESSION_HOURS")]
    #[case::file_with_a_server(&[("MULTIPASS_SERVER_URL", "https://mp.corp")], Some("[reports]\ntimeout_seconds = 3600\n"), "reports.timeout_seconds")]
    #[case::idle(&[("DATABASE_URL", "postgresql://db.corp/ent"), ("MULTIPASS_SESSION_IDLE_MINUTES", "0")], None, "MULTIPASS_SESSION_IDLE_MINUTES")]
    #[case::challenge(&[("DATABASE_URL", "postgresql://db.corp/ent")], Some("[passes]\nchallenge_seconds = 600\n"), "passes.challenge_seconds")]
    fn a_shared_database_refuses_a_local_security_policy(
        #[case] env: &[(&str, &str)],
        #[case] file: Option<&str>,
        #[case] setting: &str,
    ) {
        let err = load(env, file).unwrap_err();
        assert!(err.setting.starts_with(setting), "{err:?}");
        assert!(err.problem.contains("multipass policy set"), "{err:?}");
    }

    #[test]
    fn reports_may_run_on_a_replica_held_to_the_same_certificate_check() {
        let settings = load(
            &[
                ("DATABASE_URL", "postgresql://app@db.corp/ent"),
                ("DATABASE_SSL_ROOT_CERT", "/etc/corp-ca.pem"),
            ],
            Some("[reports]\ndatabase_url = \"postgresql://reader:pw@replica.corp:6432/ent\"\n"),
        )
        .unwrap();
        let DatabaseSettings::Postgres { report_replica, .. } = &settings.database else {
            panic!("{:?}", settings.database);
        };
        let replica = report_replica.as_ref().expect("a replica");
        assert_eq!(
            (replica.get_host(), replica.get_port()),
            ("replica.corp", 6432)
        );
        assert_eq!(replica.get_username(), "reader");
        assert!(matches!(
            replica.get_ssl_mode(),
            sqlx::postgres::PgSslMode::VerifyFull
        ));
        assert!(!format!("{settings:?}").contains("pw"), "{settings:?}");
    }

    #[rstest]
    #[case::without_a_database(&[("MULTIPASS_REPORTS_DATABASE_URL", "postgresql://replica/ent")])]
    #[case::not_postgres(&[("DATABASE_URL", "postgresql://db/ent"), ("MULTIPASS_REPORTS_DATABASE_URL", "mysql://replica/ent")])]
    fn a_replica_needs_a_shared_database_and_a_postgres_url(#[case] env: &[(&str, &str)]) {
        let err = load(env, None).unwrap_err();
        assert_eq!(err.setting, "MULTIPASS_REPORTS_DATABASE_URL", "{err:?}");
    }

    #[test]
    fn a_standalone_desktop_sets_its_own_security_policy() {
        let settings = load(&[("MULTIPASS_MAX_FAILED_SIGN_INS", "3")], None).unwrap();
        assert_eq!(settings.lockout.max_failed_attempts, 3);
    }

    #[test]
    fn store_path_in_the_file_overrides_the_data_folder() {
        let settings = load(&[], Some("[store]\npath = \"/srv/mp/store.db\"\n")).unwrap();
        assert!(
            matches!(settings.database, DatabaseSettings::Embedded { path } if path == Path::new("/srv/mp/store.db"))
        );
    }

    #[test]
    fn database_url_selects_postgres() {
        let settings = load(
            &[("DATABASE_URL", "postgresql://ada:pw@db.corp:6543/ent")],
            None,
        )
        .unwrap();
        let (options, max) = pg(&settings);
        assert_eq!(
            (
                options.get_host(),
                options.get_port(),
                options.get_database()
            ),
            ("db.corp", 6543, Some("ent"))
        );
        assert_eq!(options.get_username(), "ada");
        assert_eq!(max, DEFAULT_MAX_CONNECTIONS);
    }

    #[test]
    fn parts_use_the_seed_defaults() {
        let settings = load(&[("DATABASE_USER", "multipass")], None).unwrap();
        let (options, _) = pg(&settings);
        assert_eq!(
            (
                options.get_host(),
                options.get_port(),
                options.get_database(),
                options.get_username()
            ),
            ("localhost", 5432, Some("enterprise_db"), "multipass")
        );
    }

    #[test]
    fn environment_wins_over_the_file() {
        let file = "[database]\nhost = \"file-host\"\nport = 1111\nmax_connections = 3\n";
        let settings = load(
            &[
                ("DATABASE_HOST", "env-host"),
                ("DATABASE_MAX_CONNECTIONS", "20"),
            ],
            Some(file),
        )
        .unwrap();
        let (options, max) = pg(&settings);
        assert_eq!(
            (options.get_host(), options.get_port(), max),
            ("env-host", 1111, 20)
        );
    }

    #[rstest]
    #[case::port_not_a_number(&[("DATABASE_PORT", "fifty")], "DATABASE_PORT")]
    #[case::port_zero(&[("DATABASE_PORT", "0")], "DATABASE_PORT")]
    #[case::port_too_big(&[("DATABASE_PORT", "70000")], "DATABASE_PORT")]
    #[case::pool_zero(&[("DATABASE_MAX_CONNECTIONS", "0")], "DATABASE_MAX_CONNECTIONS")]
    #[case::pool_garbage(&[("DATABASE_MAX_CONNECTIONS", "ten")], "DATABASE_MAX_CONNECTIONS")]
    #[case::url_garbage(&[("DATABASE_URL", "not a url")], "DATABASE_URL")]
    #[case::url_wrong_scheme(&[("DATABASE_URL", "mysql://root:pw@db/x")], "DATABASE_URL")]
    #[case::lockout_zero_attempts(&[("MULTIPASS_MAX_FAILED_SIGN_INS", "0")], "MULTIPASS_MAX_FAILED_SIGN_INS")]
    #[case::session_hours_too_long(&[("MULTIPASS_SESSION_HOURS", "10000")], "MULTIPASS_SESSION_HOURS")]
    #[case::idle_minutes_too_long(&[("MULTIPASS_SESSION_IDLE_MINUTES", "1441")], "MULTIPASS_SESSION_IDLE_MINUTES")]
    #[case::idle_minutes_garbage(&[("MULTIPASS_SESSION_IDLE_MINUTES", "soon")], "MULTIPASS_SESSION_IDLE_MINUTES")]
    fn bad_values_name_the_setting(#[case] pairs: &[(&str, &str)], #[case] setting: &str) {
        let err = load(pairs, None).unwrap_err();
        assert_eq!(err.setting, setting, "{err}");
    }

    #[test]
    fn a_password_never_appears_in_an_error() {
        for url in [
            "postgresql://ada:S3cr3t-pw@db.corp:notaport/ent",
            "mysql://ada:S3cr3t-pw@db/x",
            "S3cr3t-pw",
        ] {
            let err = load(&[("DATABASE_URL", url)], None).unwrap_err();
            assert!(!err.to_string().contains("S3cr3t"), "{err}");
        }
        let file = "[database]\npassword = S3cr3t-pw-unquoted\n";
        let err = load(&[], Some(file)).unwrap_err();
        assert!(!err.to_string().contains("S3cr3t"), "{err}");
        assert!(err.setting.contains("settings.toml"), "{err}");
    }

    #[test]
    fn the_password_is_kept_out_of_debug_output() {
        let settings = load(
            &[("DATABASE_URL", "postgresql://ada:S3cr3t-pw@db.corp/ent")],
            None,
        )
        .unwrap();
        assert!(!format!("{settings:?}").contains("S3cr3t"));
    }

    #[test]
    fn a_database_ca_means_verify_full() {
        use sqlx::postgres::PgSslMode;
        let settings = load(
            &[
                (
                    "DATABASE_URL",
                    "postgresql://mp@db.corp.example/enterprise_db?sslmode=disable",
                ),
                ("DATABASE_SSL_ROOT_CERT", "/etc/ssl/db-ca.pem"),
            ],
            None,
        )
        .unwrap();
        assert!(matches!(
            pg(&settings).0.get_ssl_mode(),
            PgSslMode::VerifyFull
        ));
        assert_eq!(settings.database.unverified_remote_database(), None);
        let unchecked = load(&[("DATABASE_HOST", "db.corp.example")], None).unwrap();
        let warning = unchecked.database.unverified_remote_database().unwrap();
        assert!(warning.contains("DATABASE_SSL_ROOT_CERT"), "{warning}");
        let local = load(&[("DATABASE_HOST", "127.0.0.1")], None).unwrap();
        assert_eq!(local.database.unverified_remote_database(), None);
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let err = load(&[], Some("[database]\nhots = \"typo\"\n")).unwrap_err();
        assert!(err.problem.contains("hots"), "{err}");
    }

    #[test]
    fn auth_settings_come_from_the_file() {
        let file = "[auth]\nmax_failed_attempts = 3\nlockout_minutes = 0\nsession_hours = 2\n";
        let settings = load(&[], Some(file)).unwrap();
        assert_eq!(settings.lockout.max_failed_attempts, 3);
        assert_eq!(settings.lockout.unlock_after, None);
        assert_eq!(settings.session.absolute_lifetime, Duration::hours(2));
        assert_eq!(settings.session.idle_timeout, Some(Duration::minutes(30)));
    }

    #[rstest]
    #[case::default(&[], None, Some(30))]
    #[case::from_the_file(&[], Some("[auth]\nsession_idle_minutes = 5\n"), Some(5))]
    #[case::zero_turns_it_off(&[("MULTIPASS_SESSION_IDLE_MINUTES", "0")], None, None)]
    #[case::environment_wins(&[("MULTIPASS_SESSION_IDLE_MINUTES", "60")], Some("[auth]\nsession_idle_minutes = 5\n"), Some(60))]
    fn idle_timeout_setting(
        #[case] pairs: &[(&str, &str)],
        #[case] file: Option<&str>,
        #[case] minutes: Option<i64>,
    ) {
        let settings = load(pairs, file).unwrap();
        assert_eq!(
            settings.session.idle_timeout,
            minutes.map(Duration::minutes)
        );
    }

    #[rstest]
    #[case::default(&[], None, Some(30))]
    #[case::env(&[("MULTIPASS_REPORT_TIMEOUT_SECONDS", "5")], None, Some(5))]
    #[case::file(&[], Some("[reports]\ntimeout_seconds = 120\n"), Some(120))]
    #[case::zero(&[("MULTIPASS_REPORT_TIMEOUT_SECONDS", "0")], None, None)]
    #[case::too_long(&[], Some("[reports]\ntimeout_seconds = 3601\n"), None)]
    #[case::not_a_number(&[("MULTIPASS_REPORT_TIMEOUT_SECONDS", "soon")], None, None)]
    fn report_timeout_setting(
        #[case] vars: &[(&str, &str)],
        #[case] file: Option<&str>,
        #[case] seconds: Option<u64>,
    ) {
        match (load(vars, file), seconds) {
            (Ok(settings), Some(s)) => {
                assert_eq!(settings.policies().reports.timeout.as_secs(), s);
            }
            (Err(err), None) => assert!(
                err.setting.contains("MULTIPASS_REPORT_TIMEOUT_SECONDS")
                    || err.setting.contains("reports.timeout_seconds"),
                "{err}"
            ),
            (outcome, expected) => panic!("{outcome:?} but expected {expected:?}"),
        }
    }

    #[rstest]
    #[case::default(&[], None, "/home/ada/.local/share/multipass/report-cache.db")]
    #[case::beside_the_store_file(&[], Some("[store]\npath = \"/srv/mp/store.db\"\n"), "/srv/mp/report-cache.db")]
    #[case::file(&[], Some("[reports]\ncache_path = \"/srv/cache.db\"\n"), "/srv/cache.db")]
    #[case::environment_wins(&[("MULTIPASS_REPORT_CACHE", "/tmp/c.db")], Some("[reports]\ncache_path = \"/srv/cache.db\"\n"), "/tmp/c.db")]
    fn report_cache_setting(
        #[case] vars: &[(&str, &str)],
        #[case] file: Option<&str>,
        #[case] expected: &str,
    ) {
        let settings = load(vars, file).unwrap();
        assert_eq!(settings.report_cache, Some(PathBuf::from(expected)));
    }

    #[test]
    fn no_data_folder_and_no_setting_means_no_report_cache() {
        let settings = Settings::from_sources(
            &env(&[("DATABASE_URL", "postgresql://ada@db/ent")]),
            None,
            None,
        )
        .unwrap();
        assert_eq!(settings.report_cache, None);
    }

    #[rstest]
    #[case::default(&[], None, Some(120))]
    #[case::env(&[("MULTIPASS_PASS_CHALLENGE_SECONDS", "30")], None, Some(30))]
    #[case::file(&[], Some("[passes]\nchallenge_seconds = 300\n"), Some(300))]
    #[case::too_short(&[("MULTIPASS_PASS_CHALLENGE_SECONDS", "5")], None, None)]
    #[case::too_long(&[], Some("[passes]\nchallenge_seconds = 601\n"), None)]
    #[case::not_a_number(&[("MULTIPASS_PASS_CHALLENGE_SECONDS", "2m")], None, None)]
    fn challenge_lifetime_setting(
        #[case] vars: &[(&str, &str)],
        #[case] file: Option<&str>,
        #[case] seconds: Option<i64>,
    ) {
        match (load(vars, file), seconds) {
            (Ok(settings), Some(s)) => {
                assert_eq!(settings.policies().passes.challenge_ttl.num_seconds(), s);
            }
            (Err(err), None) => assert!(
                err.setting.contains("MULTIPASS_PASS_CHALLENGE_SECONDS")
                    || err.setting.contains("passes.challenge_seconds"),
                "{err}"
            ),
            (outcome, expected) => panic!("{outcome:?} but expected {expected:?}"),
        }
    }

    #[rstest]
    #[case::default(&[], None, Ok(("multipass.local", None)))]
    #[case::env(&[("MULTIPASS_RP_ID", "Desk.Example.com"), ("MULTIPASS_PASS_UDP", "127.0.0.1:8111")], None,
        Ok(("desk.example.com", Some("127.0.0.1:8111"))))]
    #[case::file(&[], Some("[passes]\nrp_id = \"corp.example\"\nsoftware_pass = \"[::1]:9000\"\n"),
        Ok(("corp.example", Some("[::1]:9000"))))]
    #[case::env_over_file(&[("MULTIPASS_RP_ID", "a.example")], Some("[passes]\nrp_id = \"b.example\"\n"),
        Ok(("a.example", None)))]
    #[case::rp_with_scheme(&[("MULTIPASS_RP_ID", "https://x.example")], None, Err("MULTIPASS_RP_ID"))]
    #[case::rp_empty_label(&[("MULTIPASS_RP_ID", "x..example")], None, Err("MULTIPASS_RP_ID"))]
    #[case::udp_not_loopback(&[("MULTIPASS_PASS_UDP", "10.0.0.5:8111")], None, Err("MULTIPASS_PASS_UDP"))]
    #[case::udp_no_port(&[("MULTIPASS_PASS_UDP", "127.0.0.1")], None, Err("MULTIPASS_PASS_UDP"))]
    #[case::udp_port_zero(&[("MULTIPASS_PASS_UDP", "127.0.0.1:0")], None, Err("MULTIPASS_PASS_UDP"))]
    fn ceremony_settings(
        #[case] pairs: &[(&str, &str)],
        #[case] file: Option<&str>,
        #[case] expected: Result<(&str, Option<&str>), &str>,
    ) {
        match (load(pairs, file), expected) {
            (Ok(settings), Ok((rp_id, udp))) => {
                assert_eq!(settings.ceremony.rp_id, rp_id);
                assert_eq!(
                    settings
                        .ceremony
                        .software_pass
                        .map(|a| a.to_string())
                        .as_deref(),
                    udp
                );
                assert_eq!(settings.policies().ceremony, settings.ceremony);
            }
            (Err(e), Err(setting)) => assert_eq!(e.setting, setting),
            (outcome, expected) => panic!("{outcome:?} but expected {expected:?}"),
        }
    }
}
