//! Signing the command line in and out, and finding the session token for the commands that
//! act as someone.
//!
//! `multipass sign-in` opens a `cli` session and keeps its token in a file only the user
//! can read (`<data dir>/multipass/cli-session`); `MULTIPASS_TOKEN` overrides the file, so
//! scripts can hold a token without touching the disk. The password comes from
//! `MULTIPASS_PASSWORD` or from the first line of standard input, never from an argument,
//! which other users could read in the process list. A second factor (`--totp` or
//! `--backup-code`) comes the same way: `MULTIPASS_TOTP_CODE` / `MULTIPASS_BACKUP_CODE`, or
//! the next line of standard input.

use crate::output::Output;
use clap::Args;
use multipass_api::auth_views::SecondFactor;
use multipass_api::dto::{SignInRequest, SignUpRequest};
use multipass_api::{ApiError, ErrorCode, SessionKind};
use multipass_client::Connection;
use multipass_domain::SessionToken;
use std::io::{BufRead, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SignInArgs {
    #[arg(long)]
    pub username: String,
    /// Also send the authenticator code (from MULTIPASS_TOTP_CODE or the next stdin line).
    #[arg(long, conflicts_with = "backup_code")]
    pub totp: bool,
    /// Also send a backup code (from MULTIPASS_BACKUP_CODE or the next stdin line).
    #[arg(long)]
    pub backup_code: bool,
}

#[derive(Debug, Args)]
pub struct SignUpArgs {
    #[arg(long)]
    pub full_name: String,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub username: String,
}

/// Where the CLI keeps its session token.
pub fn token_file() -> Result<PathBuf, ApiError> {
    if let Some(path) = std::env::var_os("MULTIPASS_TOKEN_FILE") {
        return Ok(PathBuf::from(path));
    }
    dirs::data_local_dir()
        .map(|dir| dir.join("multipass").join("cli-session"))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Config,
                "No data folder is known for this user; set MULTIPASS_TOKEN_FILE.",
            )
        })
}

/// The token of the signed-in CLI user: `MULTIPASS_TOKEN`, else the token file.
pub fn current_token() -> Result<SessionToken, ApiError> {
    if let Ok(token) = std::env::var("MULTIPASS_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(SessionToken::from_presented(token.trim().to_owned()));
    }
    let path = token_file()?;
    match std::fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => {
            Ok(SessionToken::from_presented(token.trim().to_owned()))
        }
        Ok(_) | Err(_) => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "You are signed out. Run `multipass sign-in --username NAME` first, or set MULTIPASS_TOKEN.",
        )),
    }
}

fn read_password() -> Result<String, ApiError> {
    read_secret("MULTIPASS_PASSWORD", "password", "password")
}

/// A secret from `env_var`, or else the next line of standard input.
pub fn read_secret(env_var: &str, what: &str, field: &str) -> Result<String, ApiError> {
    if let Ok(value) = std::env::var(env_var) {
        return Ok(value);
    }
    let stdin = std::io::stdin();
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("Could not read the {what} from standard input: {e}"),
        )
    })?;
    let value = line.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("No {what} given: set {env_var} or write it on standard input."),
        )
        .with_field(field));
    }
    Ok(value)
}

fn save_token(token: &SessionToken) -> Result<PathBuf, ApiError> {
    let path = token_file()?;
    let failed = |e: std::io::Error| {
        ApiError::new(
            ErrorCode::Config,
            format!("Could not save the session to {}: {e}", path.display()),
        )
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(failed)?;
    file.write_all(token.expose().as_bytes()).map_err(failed)?;
    Ok(path)
}

pub(crate) fn signed_in_output(outcome: multipass_api::SignInOutcome) -> Result<Output, ApiError> {
    let path = save_token(&outcome.token)?;
    let identity = &outcome.signed_in.identity;
    Ok(Output::new(
        serde_json::json!({
            "identity": identity,
            "expiresAt": outcome.signed_in.expires_at,
            "tokenFile": path,
        }),
        format!(
            "signed in as {} ({}) until {}\nsession kept in {}",
            identity.username,
            identity.email,
            outcome.signed_in.expires_at,
            path.display()
        ),
    ))
}

pub async fn sign_in(api: &Connection, args: SignInArgs) -> Result<Output, ApiError> {
    let password = read_password()?;
    let factor = if args.totp {
        Some(SecondFactor::Totp(read_secret(
            "MULTIPASS_TOTP_CODE",
            "authenticator code",
            "totpCode",
        )?))
    } else if args.backup_code {
        Some(SecondFactor::BackupCode(read_secret(
            "MULTIPASS_BACKUP_CODE",
            "backup code",
            "backupCode",
        )?))
    } else {
        None
    };
    let outcome = api
        .sign_in_with(
            SignInRequest {
                username: args.username,
                password,
            },
            factor,
            SessionKind::Cli,
        )
        .await
        .map_err(|err| {
            if err.code == ErrorCode::SecondFactorRequired {
                ApiError {
                    message: format!("{} Run again with --totp or --backup-code.", err.message),
                    ..err
                }
            } else {
                err
            }
        })?;
    signed_in_output(outcome)
}

pub async fn sign_up(api: &Connection, args: SignUpArgs) -> Result<Output, ApiError> {
    let password = read_password()?;
    let outcome = api
        .sign_up(
            SignUpRequest {
                full_name: args.full_name,
                email: args.email,
                username: args.username,
                password,
            },
            SessionKind::Cli,
        )
        .await?;
    signed_in_output(outcome)
}

pub async fn sign_out(api: &Connection) -> Result<Output, ApiError> {
    let token = current_token()?;
    api.sign_out(&token).await?;
    if std::env::var_os("MULTIPASS_TOKEN").is_none() {
        let path = token_file()?;
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(ApiError::new(
                ErrorCode::Config,
                format!("Signed out, but could not remove {}: {e}", path.display()),
            ));
        }
    }
    Ok(Output::new(
        serde_json::json!({ "signedOut": true }),
        "signed out".to_owned(),
    ))
}

pub async fn whoami(api: &Connection) -> Result<Output, ApiError> {
    let identity = api.identity_for(&current_token()?).await?;
    let text = format!(
        "{} ({}), KYC level {}",
        identity.username, identity.email, identity.kyc_level
    );
    Ok(Output::from_view(&identity, text))
}
