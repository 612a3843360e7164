//! `multipass passes ...`: the hardware-pass registry, acting as the signed-in CLI user.

use crate::output::Output;
use crate::session::current_token;
use clap::Subcommand;
use multipass_api::passes::PassView;
use multipass_api::{ApiError, MultipassApi};

#[derive(Debug, Subcommand)]
pub enum PassesCommand {
    /// List passes (your own, or --user for desk staff and admins).
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a pass for good.
    Revoke {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Report a pass lost; like revocation this is final.
    Lost {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Expire the passes past their expiry date (admins; safe to repeat).
    Expire,
}

fn pass_line(p: &PassView) -> String {
    format!(
        "{}  {:<13} {:<7} {:?}  alg {}  count {}{}",
        p.id,
        p.device_type,
        p.status,
        p.label,
        p.algorithm,
        p.sign_count,
        p.expires_at
            .as_ref()
            .map(|at| format!("  expires {at}"))
            .unwrap_or_default()
    )
}

fn listing(passes: &[PassView], none: &str) -> String {
    if passes.is_empty() {
        return none.to_owned();
    }
    passes.iter().map(pass_line).collect::<Vec<_>>().join("\n")
}

pub async fn run(api: &MultipassApi, command: PassesCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    match command {
        PassesCommand::List { user } => {
            let passes = api.passes(&token, user.as_deref()).await?;
            let text = listing(&passes, "no passes");
            Ok(Output::from_view(&passes, text))
        }
        PassesCommand::Revoke { id, reason } => {
            let pass = api.revoke_pass(&token, &id, reason.as_deref()).await?;
            let text = pass_line(&pass);
            Ok(Output::from_view(&pass, text))
        }
        PassesCommand::Lost { id, reason } => {
            let pass = api.report_pass_lost(&token, &id, reason.as_deref()).await?;
            let text = pass_line(&pass);
            Ok(Output::from_view(&pass, text))
        }
        PassesCommand::Expire => {
            let expired = api.expire_due_passes(&token).await?;
            let text = format!("{} pass(es) expired", expired.len());
            Ok(Output::from_view(&expired, text))
        }
    }
}
