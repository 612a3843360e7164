//! `multipass policy ...`: the security policy in force (admins). On a shared database an
//! admin changes it here for every server, desktop and tool at once; a standalone desktop
//! takes it from its settings file.

use crate::output::Output;
use crate::session::current_token;
use clap::{Args, Subcommand};
use multipass_api::ApiError;
use multipass_api::policy::SecurityPolicyView;
use multipass_client::Connection;
use multipass_domain::policy::SecurityPolicy;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the policy in force and where it comes from.
    Show,
    /// Change the values given; the others stay as they are.
    Set(PolicyChanges),
}

#[derive(Debug, Args)]
pub struct PolicyChanges {
    /// Consecutive wrong passwords that lock an account (1-100).
    #[arg(long)]
    max_failed_sign_ins: Option<u32>,
    /// How long a lock lasts; 0 keeps it until an admin unlocks the account.
    #[arg(long)]
    lockout_minutes: Option<u32>,
    /// A session's hard limit (1-720).
    #[arg(long)]
    session_hours: Option<u32>,
    /// A session unused this long ends (0-1440; 0 turns it off).
    #[arg(long)]
    session_idle_minutes: Option<u32>,
    /// How long a pass challenge may be answered (10-600).
    #[arg(long)]
    pass_challenge_seconds: Option<u32>,
    /// How long a report query may run (1-3600).
    #[arg(long)]
    report_timeout_seconds: Option<u32>,
    /// Failed sign-ins allowed per username within a window (1-10000).
    #[arg(long)]
    sign_in_failures_per_username: Option<u32>,
    /// Failed sign-ins allowed per source address within a window (1-10000).
    #[arg(long)]
    sign_in_failures_per_address: Option<u32>,
    /// The window those limits count in (1-1440).
    #[arg(long)]
    sign_in_failure_window_minutes: Option<u32>,
}

impl PolicyChanges {
    fn apply_to(&self, mut policy: SecurityPolicy) -> SecurityPolicy {
        let fields = [
            (self.max_failed_sign_ins, &mut policy.max_failed_sign_ins),
            (self.lockout_minutes, &mut policy.lockout_minutes),
            (self.session_hours, &mut policy.session_hours),
            (self.session_idle_minutes, &mut policy.session_idle_minutes),
            (
                self.pass_challenge_seconds,
                &mut policy.pass_challenge_seconds,
            ),
            (
                self.report_timeout_seconds,
                &mut policy.report_timeout_seconds,
            ),
            (
                self.sign_in_failures_per_username,
                &mut policy.sign_in_failures_per_username,
            ),
            (
                self.sign_in_failures_per_address,
                &mut policy.sign_in_failures_per_address,
            ),
            (
                self.sign_in_failure_window_minutes,
                &mut policy.sign_in_failure_window_minutes,
            ),
        ];
        for (change, field) in fields {
            if let Some(value) = change {
                *field = value;
            }
        }
        policy
    }
}

pub async fn run(api: &Connection, command: PolicyCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    let view = match command {
        PolicyCommand::Show => api.security_policy(&token).await?,
        PolicyCommand::Set(changes) => {
            let current = api.security_policy(&token).await?;
            let wanted = changes.apply_to(current.policy);
            api.update_security_policy(&token, wanted).await?
        }
    };
    Ok(Output::from_view(&view, describe(&view)))
}

fn describe(view: &SecurityPolicyView) -> String {
    let p = &view.policy;
    let off_or = |value: u32, unit: &str, off: &str| {
        if value == 0 {
            off.to_owned()
        } else {
            format!("{value} {unit}")
        }
    };
    let mut lines = vec![
        format!(
            "lockout:         after {} wrong passwords, for {}",
            p.max_failed_sign_ins,
            off_or(
                p.lockout_minutes,
                "minutes",
                "good (until an admin unlocks)"
            )
        ),
        format!(
            "sessions:        {} hours at most, idle timeout {}",
            p.session_hours,
            off_or(p.session_idle_minutes, "minutes", "off")
        ),
        format!("pass challenges: {} seconds", p.pass_challenge_seconds),
        format!("report queries:  {} seconds", p.report_timeout_seconds),
        format!(
            "sign-in limits:  {} failures per username, {} per address, per {} minutes",
            p.sign_in_failures_per_username,
            p.sign_in_failures_per_address,
            p.sign_in_failure_window_minutes
        ),
        format!("source:          {}", view.source),
    ];
    if let Some(at) = view.updated_at {
        lines.push(format!("changed:         {at}"));
    }
    lines.join("\n")
}
