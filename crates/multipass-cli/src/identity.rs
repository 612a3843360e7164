//! `multipass identity ...` and `multipass admin bootstrap`: profiles, KYC, attestations and
//! roles, acting as the signed-in CLI user.

use crate::output::Output;
use crate::session::current_token;
use clap::{Args, Subcommand, ValueEnum};
use multipass_api::attestations::{AttestRequest, AttestationView};
use multipass_api::identity::{ProfileView, UpdateProfileRequest};
use multipass_api::kyc::{
    KycListRequest, KycReviewDecision, KycReviewRequest, KycSubmitRequest, KycView,
};
use multipass_api::{ApiError, ErrorCode};
use multipass_client::Connection;

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Show a profile (your own, or --user for desk staff and admins).
    Show(UserArg),
    /// Change profile fields; an empty value clears phone, country or date of birth.
    Update(UpdateArgs),
    /// Submit a KYC document: only its SHA3-256 digest leaves this machine.
    KycSubmit(KycSubmitArgs),
    /// List KYC verifications.
    KycList(KycListArgs),
    /// Approve or reject a pending verification (admins).
    KycReview(KycReviewArgs),
    /// Expire the verifications past their expiry date (admins; safe to repeat).
    KycExpire,
    /// Issue an attestation about someone (admins).
    Attest(AttestArgs),
    /// List attestations (your own, or --user for desk staff and admins).
    Attestations(UserArg),
    /// Recompute an attestation's proof hash and check revocation and expiry.
    VerifyAttestation { id: String },
    /// Revoke an attestation (admins).
    RevokeAttestation {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Suspend someone's verification status, or lift it with --lift (admins).
    Suspend {
        #[arg(long)]
        user: String,
        #[arg(long)]
        lift: bool,
    },
    /// Deactivate an account (its sessions end), or undo it with --reactivate (admins).
    Deactivate {
        #[arg(long)]
        user: String,
        #[arg(long)]
        reactivate: bool,
    },
    /// Give someone the role user, desk or admin (admins).
    GrantRole {
        #[arg(long)]
        user: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make the signed-in user admin; works only while the store has no admin.
    Bootstrap,
}

#[derive(Debug, Args)]
pub struct UserArg {
    /// A username; yourself when left out.
    #[arg(long)]
    user: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[arg(long)]
    user: Option<String>,
    #[arg(long)]
    full_name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// E.164, e.g. "+44 20 7946 0958".
    #[arg(long)]
    phone: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. DE.
    #[arg(long)]
    country: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    date_of_birth: Option<String>,
    /// A JSON object; replaces the metadata.
    #[arg(long)]
    metadata: Option<String>,
}

#[derive(Debug, Args)]
pub struct KycSubmitArgs {
    #[arg(long)]
    user: Option<String>,
    /// government_id, proof_of_address, selfie or biometric.
    #[arg(long = "type")]
    verification_type: String,
    /// The document file; it is hashed here and never uploaded.
    #[arg(long)]
    document: String,
    #[arg(long)]
    provider: String,
    /// RFC 3339.
    #[arg(long)]
    expires_at: Option<String>,
}

#[derive(Debug, Args)]
pub struct KycListArgs {
    #[arg(long)]
    user: Option<String>,
    /// pending, approved, rejected or expired.
    #[arg(long)]
    status: Option<String>,
    /// Everyone's (admins).
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Args)]
pub struct KycReviewArgs {
    id: String,
    #[arg(long, value_enum)]
    decision: Decision,
    /// Required when rejecting; shown to the person.
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct AttestArgs {
    #[arg(long)]
    user: String,
    #[arg(long = "type")]
    attestation_type: String,
    #[arg(long)]
    issuer: String,
    /// A JSON object, e.g. '{"over18": true}'.
    #[arg(long)]
    claim: String,
    #[arg(long)]
    expires_at: Option<String>,
}

fn json_arg(field: &str, raw: &str) -> Result<serde_json::Value, ApiError> {
    serde_json::from_str(raw).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("--{field} is not valid JSON: {e}"),
        )
        .with_field(field)
    })
}

fn profile_text(p: &ProfileView) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    format!(
        "{} ({}) <{}>\nrole {}, KYC level {}, {}{}\nphone {}, country {}, born {}",
        p.full_name,
        p.username,
        p.email,
        p.role,
        p.kyc_level,
        p.verification_status,
        if p.is_active { "" } else { ", deactivated" },
        or_dash(&p.phone),
        or_dash(&p.country),
        or_dash(&p.date_of_birth)
    )
}

fn kyc_line(k: &KycView) -> String {
    format!(
        "{}  {:<16} {:<8} level {}  sha3 {}{}",
        k.id,
        k.verification_type,
        k.status,
        k.kyc_level,
        k.document_hash,
        k.rejection_reason
            .as_ref()
            .map(|r| format!("  ({r})"))
            .unwrap_or_default()
    )
}

fn attestation_line(a: &AttestationView) -> String {
    format!(
        "{}  {} by {}  {}  {}{}",
        a.id,
        a.attestation_type,
        a.issuer,
        a.claim,
        serde_json::to_value(a.anchor)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        if a.revoked_at.is_some() {
            ", revoked"
        } else {
            ""
        }
    )
}

fn lines<T>(items: &[T], line: fn(&T) -> String, none: &str) -> String {
    if items.is_empty() {
        return none.to_owned();
    }
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

pub async fn run(api: &Connection, command: IdentityCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    match command {
        IdentityCommand::Show(args) => {
            let profile = api.profile(&token, args.user.as_deref()).await?;
            Ok(Output::from_view(&profile, profile_text(&profile)))
        }
        IdentityCommand::Update(args) => {
            let metadata = args
                .metadata
                .as_deref()
                .map(|raw| json_arg("metadata", raw))
                .transpose()?;
            let profile = api
                .update_profile(
                    &token,
                    UpdateProfileRequest {
                        username: args.user,
                        full_name: args.full_name,
                        email: args.email,
                        phone: args.phone,
                        country: args.country,
                        date_of_birth: args.date_of_birth,
                        metadata,
                    },
                )
                .await?;
            Ok(Output::from_view(&profile, profile_text(&profile)))
        }
        IdentityCommand::KycSubmit(args) => {
            let submitted = api
                .submit_kyc(
                    &token,
                    KycSubmitRequest {
                        username: args.user,
                        verification_type: args.verification_type,
                        document_path: args.document,
                        provider: args.provider,
                        expires_at: args.expires_at,
                    },
                )
                .await?;
            let text = format!(
                "submitted {}\nstatus now {}",
                kyc_line(&submitted.verification),
                submitted.profile.verification_status
            );
            Ok(Output::from_view(&submitted, text))
        }
        IdentityCommand::KycList(args) => {
            let list = api
                .kyc_verifications(
                    &token,
                    KycListRequest {
                        username: args.user,
                        status: args.status,
                        all: args.all,
                    },
                )
                .await?;
            let text = lines(&list, kyc_line, "no verifications");
            Ok(Output::from_view(&list, text))
        }
        IdentityCommand::KycReview(args) => {
            let reviewed = api
                .review_kyc(
                    &token,
                    KycReviewRequest {
                        verification_id: args.id,
                        decision: match args.decision {
                            Decision::Approve => KycReviewDecision::Approve,
                            Decision::Reject => KycReviewDecision::Reject,
                        },
                        reason: args.reason,
                    },
                )
                .await?;
            let text = format!(
                "{}\n{} is now {} at KYC level {}",
                kyc_line(&reviewed.verification),
                reviewed.profile.username,
                reviewed.profile.verification_status,
                reviewed.profile.kyc_level
            );
            Ok(Output::from_view(&reviewed, text))
        }
        IdentityCommand::KycExpire => {
            let expired = api.expire_due_kyc(&token).await?;
            let text = format!("{} verification(s) expired", expired.len());
            Ok(Output::from_view(&expired, text))
        }
        IdentityCommand::Attest(args) => {
            let attestation = api
                .attest(
                    &token,
                    AttestRequest {
                        username: args.user,
                        attestation_type: args.attestation_type,
                        issuer: args.issuer,
                        claim: json_arg("claim", &args.claim)?,
                        expires_at: args.expires_at,
                    },
                )
                .await?;
            let text = format!(
                "{}\nproof hash {}",
                attestation_line(&attestation),
                attestation.proof_hash
            );
            Ok(Output::from_view(&attestation, text))
        }
        IdentityCommand::Attestations(args) => {
            let list = api.attestations(&token, args.user.as_deref()).await?;
            let text = lines(&list, attestation_line, "no attestations");
            Ok(Output::from_view(&list, text))
        }
        IdentityCommand::VerifyAttestation { id } => {
            let check = api.verify_attestation(&token, &id).await?;
            let text = format!("{}\nproof hash {}", check.message, check.proof_hash);
            Ok(Output::from_view(&check, text))
        }
        IdentityCommand::RevokeAttestation { id, reason } => {
            let attestation = api.revoke_attestation(&token, &id, &reason).await?;
            let text = attestation_line(&attestation);
            Ok(Output::from_view(&attestation, text))
        }
        IdentityCommand::Suspend { user, lift } => {
            let profile = api.set_suspended(&token, &user, !lift).await?;
            Ok(Output::from_view(&profile, profile_text(&profile)))
        }
        IdentityCommand::Deactivate { user, reactivate } => {
            let profile = api.set_active(&token, &user, reactivate).await?;
            Ok(Output::from_view(&profile, profile_text(&profile)))
        }
        IdentityCommand::GrantRole { user, role } => {
            let grant = api.grant_role(&token, &user, &role).await?;
            let text = if grant.changed {
                format!(
                    "{} is now {} (was {})",
                    grant.username, grant.role, grant.previous_role
                )
            } else {
                format!("{} already has the role {}", grant.username, grant.role)
            };
            Ok(Output::from_view(&grant, text))
        }
    }
}

pub async fn run_admin(api: &Connection, command: AdminCommand) -> Result<Output, ApiError> {
    match command {
        AdminCommand::Bootstrap => {
            let grant = api.bootstrap_admin(&current_token()?).await?;
            let text = format!("{} is now the first admin", grant.username);
            Ok(Output::from_view(&grant, text))
        }
    }
}
