//! `multipass-softpass`: a FIDO2 security key in software, over CTAPHID-in-UDP.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use multipass_softpass::{Config, Faults, Server, Touch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Fault {
    /// Answer the first CBOR requests with CHANNEL_BUSY (see --busy-count).
    Busy,
    /// Misnumber the first continuation packet of multi-packet answers.
    BadSeq,
    /// Sign assertions over the wrong data.
    BadSignature,
    /// Count signatures down.
    SignCountBackwards,
}

/// A software FIDO2 pass on UDP; a `touch` datagram to its port simulates a touch.
#[derive(Debug, Parser)]
#[command(name = "multipass-softpass", version)]
struct Args {
    /// Where to listen (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8111")]
    listen: SocketAddr,
    /// The file holding the pass's secret, counter and PIN (created when absent).
    #[arg(long)]
    state: PathBuf,
    /// Set this PIN at start.
    #[arg(long, env = "MULTIPASS_SOFTPASS_PIN")]
    pin: Option<String>,
    /// PIN/UV auth protocols to offer (1 alone behaves like a CTAP 2.0 key).
    #[arg(long, value_delimiter = ',', default_value = "2,1")]
    pin_protocols: Vec<u64>,
    /// auto (approve at once), manual (wait for a touch datagram) or after:MILLISECONDS.
    #[arg(long, default_value = "auto")]
    touch: Touch,
    /// Seconds to wait for a touch.
    #[arg(long, default_value_t = 30)]
    touch_timeout: u64,
    /// Faults to inject (repeatable).
    #[arg(long, value_enum)]
    fault: Vec<Fault>,
    /// How many CBOR requests the busy fault refuses.
    #[arg(long, default_value_t = 3)]
    busy_count: u32,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(bad) = args.pin_protocols.iter().find(|p| !matches!(p, 1 | 2)) {
        anyhow::bail!("PIN protocol {bad} does not exist; use 1, 2 or both");
    }
    let faults = Faults {
        busy: if args.fault.contains(&Fault::Busy) {
            args.busy_count
        } else {
            0
        },
        bad_seq: args.fault.contains(&Fault::BadSeq),
        bad_signature: args.fault.contains(&Fault::BadSignature),
        sign_count_backwards: args.fault.contains(&Fault::SignCountBackwards),
    };
    let config = Config {
        listen: args.listen,
        state_path: args.state,
        pin: args.pin,
        pin_protocols: args.pin_protocols,
        touch: args.touch,
        touch_timeout: Duration::from_secs(args.touch_timeout),
        faults,
    };
    let mut server = Server::new(config).context("starting the software pass")?;
    let addr = server.local_addr()?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "multipass-softpass listening on {addr}")?;
    stdout.flush()?;
    server.run(&AtomicBool::new(false));
    Ok(())
}
