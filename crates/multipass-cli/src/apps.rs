//! `multipass apps ...`: the application module registry and SSO tokens.
//!
//! Registering, updating, enabling, disabling and rotating the signing key need the admin
//! role; installing, consenting, revoking, uninstalling, events and tokens act for the
//! signed-in user. `jwks` prints the public keys and needs no sign-in.

use crate::output::Output;
use crate::session::current_token;
use clap::{Args, Subcommand};
use multipass_api::app_views::{
    AppChangeView, ModuleView, RegisterModuleRequest, UpdateModuleRequest,
};
use multipass_api::{ApiError, ErrorCode};
use multipass_client::Connection;

#[derive(Debug, Args)]
pub struct AppsArgs {
    #[command(subcommand)]
    pub command: AppsCommand,
}

#[derive(Debug, Args)]
pub struct ModuleArg {
    /// The module's name, e.g. payroll-export.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    pub name: String,
    #[arg(long)]
    pub display_name: String,
    #[arg(long)]
    pub description: Option<String>,
    /// finance, trading, identity, compliance, reporting, productivity, communication or other.
    #[arg(long)]
    pub category: String,
    /// https://..., or http:// on localhost, 127.0.0.0/8 or ::1.
    #[arg(long)]
    pub api_base_url: String,
    /// A scope the module requests (resource:action[:qualifier]); repeat or separate with commas.
    #[arg(long = "scope", value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// A semantic version; 1.0.0 when left out.
    #[arg(long)]
    pub version: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub name: String,
    #[arg(long)]
    pub display_name: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub api_base_url: Option<String>,
    /// Replaces the requested scopes; repeat or separate with commas.
    #[arg(long = "scope", value_delimiter = ',')]
    pub scopes: Option<Vec<String>>,
    #[arg(long)]
    pub version: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScopedArgs {
    pub name: String,
    /// Only these scopes (all the module requests, or all consented, when left out).
    #[arg(long = "scope", value_delimiter = ',')]
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this module's events.
    #[arg(long)]
    pub module: Option<String>,
    /// The `nextCursor` of the previous page.
    #[arg(long)]
    pub cursor: Option<String>,
    /// Events per page (1-100, default 20).
    #[arg(long)]
    pub limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Include disabled modules (admins).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The module the token must be for.
    #[arg(long)]
    pub audience: String,
    /// A scope the token must carry.
    #[arg(long)]
    pub scope: Option<String>,
    pub token: String,
}

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Register a module (admin).
    Register(RegisterArgs),
    /// Change a module's fields (admin).
    Update(UpdateArgs),
    /// Enable a module (admin).
    Enable(ModuleArg),
    /// Disable a module and revoke its open SSO tokens (admin).
    Disable(ModuleArg),
    /// The modules you can use, with what you installed and consented to.
    List(ListArgs),
    Install(ModuleArg),
    /// Consent to a module's scopes.
    Authorize(ScopedArgs),
    /// Withdraw consent; the module's open tokens are revoked.
    Revoke(ModuleArg),
    Uninstall(ModuleArg),
    /// Your module events, newest first.
    Events(EventsArgs),
    /// An SSO token for a module you consented to (valid 10 minutes).
    Token(ScopedArgs),
    /// The JWKS that modules verify SSO tokens with.
    Jwks,
    /// Make a new signing key current on this machine; the old one stays published until its tokens expire (admin).
    RotateKey,
    /// Check an SSO token online (signature, expiry, audience, scope, revocation).
    Verify(VerifyArgs),
}

fn module_output(module: &ModuleView) -> Output {
    let state = if module.enabled {
        "enabled"
    } else {
        "disabled"
    };
    let text = format!(
        "{} ({}) {} [{}] {} scopes: {}",
        module.name,
        module.display_name,
        module.version,
        state,
        module.api_base_url,
        module.required_scopes.join(" ")
    );
    Output::from_view(module, text)
}

fn change_output(change: &AppChangeView, verb: &str) -> Output {
    let text = if change.changed {
        format!(
            "{verb} {}; installed: {}, consented: {}",
            change.module,
            change.installed,
            if change.consented_scopes.is_empty() {
                "nothing".to_owned()
            } else {
                change.consented_scopes.join(" ")
            }
        )
    } else {
        format!("{}: nothing to change", change.module)
    };
    Output::from_view(change, text)
}

pub async fn run(api: &Connection, args: AppsArgs) -> Result<Output, ApiError> {
    match args.command {
        AppsCommand::Jwks => {
            let jwks = api.sso_jwks().await?;
            let text = serde_json::to_string_pretty(&jwks).unwrap_or_default();
            Ok(Output::from_view(&jwks, text))
        }
        AppsCommand::Verify(args) => {
            let verified = api
                .verify_sso_token(&args.token, &args.audience, args.scope.as_deref())
                .await?;
            let text = format!(
                "valid: subject {}, audience {}, scopes {}, until {}",
                verified.subject,
                verified.audience,
                verified.scopes.join(" "),
                verified.expires_at
            );
            Ok(Output::from_view(&verified, text))
        }
        command => run_signed_in(api, command).await,
    }
}

async fn run_signed_in(api: &Connection, command: AppsCommand) -> Result<Output, ApiError> {
    let token = current_token()?;
    match command {
        AppsCommand::Register(args) => {
            let request = RegisterModuleRequest {
                name: args.name,
                display_name: args.display_name,
                description: args.description,
                category: args.category,
                api_base_url: args.api_base_url,
                required_scopes: args.scopes,
                version: args.version,
            };
            Ok(module_output(&api.register_module(&token, request).await?))
        }
        AppsCommand::Update(args) => {
            let request = UpdateModuleRequest {
                display_name: args.display_name,
                description: args.description,
                category: args.category,
                api_base_url: args.api_base_url,
                required_scopes: args.scopes,
                version: args.version,
            };
            Ok(module_output(
                &api.update_module(&token, &args.name, request).await?,
            ))
        }
        AppsCommand::Enable(module) => Ok(module_output(
            &api.set_module_enabled(&token, &module.name, true).await?,
        )),
        AppsCommand::Disable(module) => Ok(module_output(
            &api.set_module_enabled(&token, &module.name, false).await?,
        )),
        AppsCommand::List(args) => {
            let modules = api.list_modules(&token, args.all).await?;
            let text = modules
                .iter()
                .map(|m| {
                    let mine = match (m.installed, m.consented_scopes.is_empty()) {
                        (false, _) => "not installed".to_owned(),
                        (true, true) => "installed".to_owned(),
                        (true, false) => format!("authorized: {}", m.consented_scopes.join(" ")),
                    };
                    format!("{}\n    {mine}", module_output(&m.module).text)
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::from_view(&modules, text))
        }
        AppsCommand::Install(module) => Ok(change_output(
            &api.install_module(&token, &module.name).await?,
            "installed",
        )),
        AppsCommand::Authorize(args) => Ok(change_output(
            &api.authorize_module(&token, &args.name, args.scopes)
                .await?,
            "authorized",
        )),
        AppsCommand::Revoke(module) => Ok(change_output(
            &api.revoke_module(&token, &module.name).await?,
            "revoked consent for",
        )),
        AppsCommand::Uninstall(module) => Ok(change_output(
            &api.uninstall_module(&token, &module.name).await?,
            "uninstalled",
        )),
        AppsCommand::Events(args) => {
            let page = api
                .app_events(
                    &token,
                    args.module.as_deref(),
                    args.cursor.as_deref(),
                    args.limit,
                )
                .await?;
            let mut lines: Vec<String> = page
                .events
                .iter()
                .map(|e| {
                    format!(
                        "{}  {:<11} {} {}",
                        e.created_at,
                        e.event_type,
                        e.module,
                        e.scopes.join(" ")
                    )
                })
                .collect();
            if let Some(cursor) = &page.next_cursor {
                lines.push(format!("more: --cursor {cursor}"));
            }
            Ok(Output::from_view(&page, lines.join("\n")))
        }
        AppsCommand::Token(args) => {
            let issued = api.issue_sso_token(&token, &args.name, args.scopes).await?;
            // The token alone on the first line, so scripts can take it with `head -1`.
            let text = format!(
                "{}\naudience {}, scopes {}, key {}, expires {}",
                issued.token,
                issued.audience,
                issued.scopes.join(" "),
                issued.kid,
                issued.expires_at
            );
            Ok(Output::from_view(&issued, text))
        }
        AppsCommand::RotateKey => {
            let rotated = api.rotate_sso_key(&token).await?;
            let text = match &rotated.retired_kid {
                Some(old) => format!(
                    "signing with key {}; key {old} retired, published until its tokens expire",
                    rotated.kid
                ),
                None => format!("signing with key {}", rotated.kid),
            };
            Ok(Output::from_view(&rotated, text))
        }
        AppsCommand::Jwks | AppsCommand::Verify(_) => Err(ApiError::new(
            ErrorCode::Internal,
            "This command does not act as the signed-in user.",
        )),
    }
}
