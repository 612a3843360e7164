//! `multipass passes ...`: the hardware-pass registry, acting as the signed-in CLI user, and
//! the ceremonies with a connected pass. A PIN comes from `MULTIPASS_PASS_PIN` or standard
//! input, never from the arguments; "Touch your pass" goes to standard error.

use crate::output::Output;
use crate::session::{current_token, read_secret, signed_in_output};
use clap::Subcommand;
use multipass_api::pass_ceremony::{
    CeremonyControl, ConnectedPass, DeskEnrolmentRequest, DeviceRef, HidDeviceView,
    PassSignInRequest, sign_in_with_pass,
};
use multipass_api::passes::PassView;
use multipass_api::{ApiError, ErrorCode, SessionKind};
use multipass_client::Connection;

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
    /// List the HID devices, which are FIDO passes and whether each can be opened, and the
    /// connected passes (with the software pass when MULTIPASS_PASS_UDP is set).
    Devices,
    /// Make a pass blink.
    Wink {
        /// A device path from `passes devices`, or `udp` for the software pass.
        #[arg(long)]
        device: Option<String>,
    },
    /// Enrol the connected pass for someone (desk staff), with one test challenge.
    Enrol {
        #[arg(long)]
        username: String,
        /// A device path from `passes devices`, or `udp` for the software pass.
        #[arg(long)]
        device: Option<String>,
        #[arg(long, default_value = "")]
        label: String,
        /// RFC 3339 time from which the pass no longer signs in.
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// Sign the command line in with a pass.
    SignIn {
        #[arg(long)]
        username: String,
        #[arg(long)]
        device: Option<String>,
    },
}

fn parse_device(raw: &str) -> DeviceRef {
    match raw.trim() {
        "udp" => DeviceRef::Software,
        path => DeviceRef::Hid {
            path: path.to_owned(),
        },
    }
}

/// The named device, or the only connected one.
async fn pick(
    api: &Connection,
    device: Option<String>,
) -> Result<(DeviceRef, Option<ConnectedPass>), ApiError> {
    let connected = api.pass_reader().connected_passes().await?;
    let wanted = match device {
        Some(raw) => parse_device(&raw),
        None => match connected.as_slice() {
            [only] => only.device.clone(),
            [] => {
                return Err(ApiError::new(
                    ErrorCode::NotFound,
                    "No pass is connected. Plug one in, or set MULTIPASS_PASS_UDP for the software pass.",
                )
                .with_field("device"));
            }
            _ => {
                return Err(ApiError::new(
                    ErrorCode::InvalidInput,
                    "Several passes are connected; choose one with --device (see `multipass passes devices`).",
                )
                .with_field("device"));
            }
        },
    };
    let found = connected.into_iter().find(|c| c.device == wanted);
    Ok((wanted, found))
}

/// The PIN, read only when the pass has one set.
fn pin_for(pass: Option<&ConnectedPass>) -> Result<Option<String>, ApiError> {
    let has_pin = pass
        .and_then(|p| p.info.as_ref())
        .and_then(|i| i.pin_set)
        .unwrap_or(false);
    if has_pin || std::env::var_os("MULTIPASS_PASS_PIN").is_some() {
        read_secret("MULTIPASS_PASS_PIN", "pass PIN", "pin").map(Some)
    } else {
        Ok(None)
    }
}

fn progress() -> CeremonyControl {
    CeremonyControl::new().on_progress(|p| eprintln!("{}", p.message()))
}

/// Runs a ceremony with Ctrl-C wired to its Cancel: the pass is sent CANCEL and stops
/// blinking, instead of the process dying while the pass still waits for a touch.
async fn cancellable<T>(control: &CeremonyControl, ceremony: impl Future<Output = T>) -> T {
    let button = control.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Cancelling…");
            button.cancel();
        }
    });
    let outcome = ceremony.await;
    watcher.abort();
    outcome
}

fn device_name(device: &DeviceRef) -> &str {
    match device {
        DeviceRef::Hid { path } => path,
        DeviceRef::Software => "udp",
    }
}

fn hid_line(d: &HidDeviceView) -> String {
    format!(
        "{}  {}:{}  page {} usage {}  {}{}{}",
        d.path,
        d.vendor_id,
        d.product_id,
        d.usage_page,
        d.usage,
        d.product.as_deref().unwrap_or("?"),
        if d.is_fido_pass { "  [FIDO pass]" } else { "" },
        match &d.problem {
            Some(problem) => format!("\n    cannot open: {problem}"),
            None => String::new(),
        }
    )
}

fn connected_line(c: &ConnectedPass) -> String {
    let info = match (&c.info, &c.problem) {
        (Some(info), _) => format!(
            "aaguid {}  {}  PIN {}",
            info.aaguid,
            info.versions.join(","),
            match info.pin_set {
                Some(true) => "set",
                Some(false) => "not set",
                None => "unsupported",
            }
        ),
        (None, Some(problem)) => format!("unusable: {problem}"),
        (None, None) => String::new(),
    };
    format!(
        "{}  {}{}  {}",
        device_name(&c.device),
        c.product.as_deref().unwrap_or("?"),
        if c.test_device {
            " (test/demo device)"
        } else {
            ""
        },
        info
    )
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

pub async fn run(api: &Connection, command: PassesCommand) -> Result<Output, ApiError> {
    match command {
        PassesCommand::List { user } => {
            let passes = api.passes(&current_token()?, user.as_deref()).await?;
            let text = listing(&passes, "no passes");
            Ok(Output::from_view(&passes, text))
        }
        PassesCommand::Revoke { id, reason } => {
            let pass = api
                .revoke_pass(&current_token()?, &id, reason.as_deref())
                .await?;
            let text = pass_line(&pass);
            Ok(Output::from_view(&pass, text))
        }
        PassesCommand::Lost { id, reason } => {
            let pass = api
                .report_pass_lost(&current_token()?, &id, reason.as_deref())
                .await?;
            let text = pass_line(&pass);
            Ok(Output::from_view(&pass, text))
        }
        PassesCommand::Expire => {
            let expired = api.expire_due_passes(&current_token()?).await?;
            let text = format!("{} pass(es) expired", expired.len());
            Ok(Output::from_view(&expired, text))
        }
        PassesCommand::Devices => devices(api).await,
        PassesCommand::Wink { device } => {
            let (device, _) = pick(api, device).await?;
            api.pass_reader().wink_pass(device.clone()).await?;
            let text = format!("{} blinks", device_name(&device));
            Ok(Output::new(serde_json::json!({ "winked": device }), text))
        }
        PassesCommand::Enrol {
            username,
            device,
            label,
            expires_at,
        } => {
            let token = current_token()?;
            let (device, found) = pick(api, device).await?;
            let request = DeskEnrolmentRequest {
                username,
                device,
                label,
                pin: pin_for(found.as_ref())?,
                expires_at,
            };
            let control = progress();
            let enrolled = cancellable(
                &control,
                api.in_process()?
                    .enrol_pass_at_desk(&token, request, &control),
            )
            .await?;
            let text = format!("enrolled and tested\n{}", pass_line(&enrolled.pass));
            Ok(Output::from_view(&enrolled, text))
        }
        PassesCommand::SignIn { username, device } => {
            let (device, found) = pick(api, device).await?;
            let request = PassSignInRequest {
                username,
                device,
                pin: pin_for(found.as_ref())?,
            };
            let control = progress();
            let outcome = cancellable(
                &control,
                sign_in_with_pass(
                    &**api,
                    api.pass_reader(),
                    request,
                    SessionKind::Cli,
                    &control,
                ),
            )
            .await?;
            signed_in_output(outcome)
        }
    }
}

async fn devices(api: &Connection) -> Result<Output, ApiError> {
    let diagnostics = api.pass_reader().pass_diagnostics().await?;
    let connected = api.pass_reader().connected_passes().await?;
    let mut text = vec![format!(
        "relying party {}; {} HID device(s) on {}",
        diagnostics.rp_id,
        diagnostics.devices.len(),
        diagnostics.os
    )];
    text.extend(diagnostics.devices.iter().map(hid_line));
    text.push(if connected.is_empty() {
        "no pass can be used".to_owned()
    } else {
        "passes:".to_owned()
    });
    text.extend(connected.iter().map(connected_line));
    Ok(Output::new(
        serde_json::json!({ "diagnostics": diagnostics, "passes": connected }),
        text.join("\n"),
    ))
}
