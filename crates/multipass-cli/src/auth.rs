//! `multipass auth ...`: second factors, sessions, password change, unlocking and the
//! security audit trail, acting as the signed-in CLI user.
//!
//! Codes and passwords come from environment variables or standard input, never from
//! arguments: `MULTIPASS_TOTP_CODE`, `MULTIPASS_PASSWORD`, `MULTIPASS_NEW_PASSWORD`.

use crate::output::Output;
use crate::session::{current_token, read_secret};
use clap::{Subcommand, ValueEnum};
use multipass_api::auth_views::{AccountProof, ChangePasswordRequest, SecondFactorStatus};
use multipass_api::{ApiError, ErrorCode};
use multipass_client::Connection;
use multipass_domain::{IdentityId, SessionId, SessionToken};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Show which second factors the account has.
    Status,
    /// Start setting up an authenticator app: prints the secret and its otpauth:// URI.
    TotpEnrol {
        /// Also write the QR code as an SVG file (readable only by you).
        #[arg(long)]
        qr: Option<PathBuf>,
    },
    /// Finish the set-up with a first code from the app (MULTIPASS_TOTP_CODE or stdin).
    TotpConfirm,
    /// Turn the authenticator app off, proved by a current code or the password.
    TotpDisable {
        #[arg(long, value_enum, default_value_t = Proof::Totp)]
        with: Proof,
    },
    /// Make ten new backup codes, replacing the old ones, and print them once. Confirmed with
    /// the password (`MULTIPASS_PASSWORD` or a prompt) or a current authenticator code.
    BackupCodes {
        #[arg(long, value_enum, default_value_t = Proof::Password)]
        with: Proof,
    },
    /// Require a second factor at sign-in (for yourself, or as an admin for `--username`).
    Require2fa {
        #[arg(value_enum)]
        setting: OnOff,
        #[arg(long)]
        username: Option<String>,
    },
    /// List your open sessions; the one in use is marked.
    Sessions {
        /// Someone else's (admins).
        #[arg(long)]
        username: Option<String>,
    },
    /// End one of your sessions, or as an admin one of `--username`'s.
    RevokeSession {
        session_id: String,
        #[arg(long)]
        username: Option<String>,
    },
    /// Change your password (current one from MULTIPASS_PASSWORD or stdin line 1, new one
    /// from MULTIPASS_NEW_PASSWORD or the next line). Your other sessions are signed out.
    ChangePassword,
    /// Unlock an account that failed sign-ins locked (admins).
    Unlock {
        #[arg(long)]
        username: String,
    },
    /// List security events: yours, or as an admin someone else's.
    Events {
        #[arg(long)]
        username: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Proof {
    Totp,
    Password,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

fn totp_code() -> Result<String, ApiError> {
    read_secret("MULTIPASS_TOTP_CODE", "authenticator code", "code")
}

/// The fresh proof of `--with`, read from the environment or a prompt.
fn account_proof(with: Proof) -> Result<AccountProof, ApiError> {
    Ok(match with {
        Proof::Totp => AccountProof::Totp(totp_code()?),
        Proof::Password => {
            AccountProof::Password(read_secret("MULTIPASS_PASSWORD", "password", "password")?)
        }
    })
}

fn status_output(status: &SecondFactorStatus) -> Output {
    let text = format!(
        "authenticator app: {}\nsecond factor required: {}\nbackup codes left: {}",
        if status.totp_enabled {
            "on"
        } else if status.totp_pending {
            "set-up not confirmed yet"
        } else {
            "off"
        },
        if status.require_2fa { "yes" } else { "no" },
        status.backup_codes_left
    );
    Output::from_view(status, text)
}

fn parse_uuid(raw: &str, field: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("{raw:?} is not an id; ids look like 0b7e7c1a-2f4e-4d55-9a51-3b8f0c7d1e22."),
        )
        .with_field(field)
    })
}

async fn identity_named(
    api: &Connection,
    token: &SessionToken,
    username: Option<&str>,
) -> Result<Option<IdentityId>, ApiError> {
    match username {
        Some(name) => Ok(Some(api.identity_id_of(token, name).await?)),
        None => Ok(None),
    }
}

fn write_private(path: &PathBuf, contents: &str) -> Result<(), ApiError> {
    let failed = |e: std::io::Error| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("Could not write {}: {e}", path.display()),
        )
        .with_field("qr")
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .map_err(failed)
}

pub async fn run(api: &Connection, command: AuthCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    match command {
        AuthCommand::Status => Ok(status_output(&api.second_factor_status(&token).await?)),
        AuthCommand::TotpEnrol { qr } => {
            let enrolment = api.totp_enrol(&token).await?;
            if let Some(path) = &qr {
                write_private(path, &enrolment.qr_svg)?;
            }
            let json = serde_json::json!({
                "secret": enrolment.secret,
                "otpauthUri": enrolment.otpauth_uri,
                "qrFile": qr,
            });
            let text = format!(
                "secret: {}\nURI:    {}\n{}then run `multipass auth totp-confirm` with a code from the app",
                enrolment.secret,
                enrolment.otpauth_uri,
                qr.map(|p| format!("QR code written to {}\n", p.display()))
                    .unwrap_or_default()
            );
            Ok(Output::new(json, text))
        }
        AuthCommand::TotpConfirm => Ok(status_output(
            &api.totp_confirm(&token, &totp_code()?).await?,
        )),
        AuthCommand::TotpDisable { with } => Ok(status_output(
            &api.totp_disable(&token, account_proof(with)?).await?,
        )),
        AuthCommand::BackupCodes { with } => {
            let codes = api
                .regenerate_backup_codes(&token, account_proof(with)?)
                .await?;
            let text = format!(
                "{}\nEach code works once. Keep them somewhere safe; they are not shown again.",
                codes.codes.join("\n")
            );
            Ok(Output::from_view(&codes, text))
        }
        AuthCommand::Require2fa { setting, username } => {
            let target = identity_named(api, &token, username.as_deref()).await?;
            let required = matches!(setting, OnOff::On);
            Ok(status_output(
                &api.set_require_2fa(&token, target, required).await?,
            ))
        }
        AuthCommand::Sessions { username } => {
            let target = identity_named(api, &token, username.as_deref()).await?;
            let sessions = api.sessions(&token, target).await?;
            let text = sessions
                .iter()
                .map(|s| {
                    format!(
                        "{}{}  {:<7} {:<20} last seen {}  expires {}",
                        if s.current { "* " } else { "  " },
                        s.id,
                        s.kind,
                        s.auth_method,
                        s.last_seen_at,
                        s.expires_at
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::from_view(&sessions, text))
        }
        AuthCommand::RevokeSession {
            session_id,
            username,
        } => {
            let id = SessionId::from_uuid(parse_uuid(&session_id, "sessionId")?);
            let target = identity_named(api, &token, username.as_deref()).await?;
            api.revoke_session(&token, target, id).await?;
            Ok(Output::new(
                serde_json::json!({ "revoked": id }),
                format!("session {id} revoked"),
            ))
        }
        AuthCommand::ChangePassword => {
            let current_password =
                read_secret("MULTIPASS_PASSWORD", "current password", "currentPassword")?;
            let new_password =
                read_secret("MULTIPASS_NEW_PASSWORD", "new password", "newPassword")?;
            let revoked = api
                .change_password(
                    &token,
                    ChangePasswordRequest {
                        current_password,
                        new_password,
                    },
                )
                .await?;
            Ok(Output::new(
                serde_json::json!({ "passwordChanged": true, "otherSessionsRevoked": revoked }),
                format!("password changed; {revoked} other session(s) signed out"),
            ))
        }
        AuthCommand::Unlock { username } => {
            let identity = api.identity_id_of(&token, &username).await?;
            api.unlock(&token, identity).await?;
            Ok(Output::new(
                serde_json::json!({ "unlocked": username }),
                format!("{username} unlocked"),
            ))
        }
        AuthCommand::Events { username, limit } => {
            let target = identity_named(api, &token, username.as_deref()).await?;
            let events = api.security_events(&token, target, limit).await?;
            let text = events
                .iter()
                .map(|e| format!("{}  {:<32} {}", e.created_at, e.event_type, e.detail))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::from_view(&events, text))
        }
    }
}
