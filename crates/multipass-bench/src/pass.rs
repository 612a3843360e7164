//! Challenge-response sign-in against the software pass, touch excluded (it approves at
//! once): the round trip of one ceremony (open the pass, INIT, getInfo, getAssertion, verify,
//! close, as the app does for every sign-in), and the whole API sign-in on the embedded
//! store. The baseline is a bare UDP exchange of the same number of 64-byte datagrams each
//! way, so the ratio is what CTAPHID, CBOR and the signatures cost over the wire itself.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use multipass_pass::ctaphid::frame::Report;
use multipass_pass::transport::{Transport, TransportError, UdpTransport};
use multipass_pass::{GetAssertionRequest, Interaction, MakeCredentialRequest, Pass};
use serde::Serialize;

use crate::stats::{Summary, ratio};

pub const DEFAULT_RUNS: usize = 300;
const WARM_UP: usize = 20;
const RP_ID: &str = "multipass.local";
pub const GOAL_MEDIAN_MS: f64 = 5.0;

#[derive(Debug, Serialize)]
pub struct PassReport {
    /// Datagrams per ceremony, host to pass and back.
    pub datagrams_sent: usize,
    pub datagrams_received: usize,
    pub ceremony_ms: Summary,
    pub ceremony_p99_ms: f64,
    pub api_sign_in_ms: Summary,
    pub api_sign_in_p99_ms: f64,
    pub bare_udp_ms: Summary,
    pub bare_udp_p99_ms: f64,
    pub ceremony_over_bare_udp: Option<f64>,
    pub goal_median_ms_max: f64,
}

/// Counts the datagrams of a ceremony.
#[derive(Debug)]
struct Counting {
    inner: UdpTransport,
    sent: Arc<AtomicUsize>,
    received: Arc<AtomicUsize>,
}

impl Transport for Counting {
    fn send(&mut self, report: &Report) -> Result<(), TransportError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.inner.send(report)
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<Report>, TransportError> {
        let got = self.inner.recv(timeout)?;
        if got.is_some() {
            self.received.fetch_add(1, Ordering::Relaxed);
        }
        Ok(got)
    }
}

fn millis(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn p99(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (samples.len() * 99)
        .div_ceil(100)
        .clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}

fn summary(samples: &[f64]) -> Result<(Summary, f64)> {
    Ok((Summary::of(samples).context("no samples")?, p99(samples)))
}

fn ceremony(addr: SocketAddr, credential: &[u8], key: &multipass_pass::PublicKey) -> Result<()> {
    let mut pass = Pass::open_udp(addr)?;
    let request = GetAssertionRequest {
        rp_id: RP_ID.to_owned(),
        client_data_hash: rand::random(),
        allow_list: vec![credential.to_vec()],
    };
    let assertion = pass.get_assertion(&request, None, &mut Interaction::default())?;
    assertion.verify(key, &request, 0)?;
    Ok(())
}

/// A UDP peer that answers every `sent` datagrams with `received` datagrams of 64 bytes.
fn bare_peer(
    sent: usize,
    received: usize,
    stop: Arc<AtomicBool>,
) -> Result<(SocketAddr, std::thread::JoinHandle<()>)> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    let addr = socket.local_addr()?;
    let handle = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let mut count = 0;
        while !stop.load(Ordering::Relaxed) {
            let Ok((_, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            count += 1;
            if count == sent {
                count = 0;
                for _ in 0..received {
                    if socket.send_to(&buf, from).is_err() {
                        break;
                    }
                }
            }
        }
    });
    Ok((addr, handle))
}

fn bare_exchange(socket: &UdpSocket, sent: usize, received: usize) -> Result<()> {
    let report = [0x55u8; 64];
    let mut buf = [0u8; 64];
    for _ in 0..sent {
        socket.send(&report)?;
    }
    for _ in 0..received {
        socket.recv(&mut buf)?;
    }
    Ok(())
}

pub fn run(runs: usize) -> Result<PassReport> {
    let dir = tempfile::tempdir()?;
    let pass = multipass_softpass::spawn(multipass_softpass::Config::new(
        dir.path().join("pass.json"),
    ))?;
    let addr = pass.addr();

    let sent = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let mut device = Pass::open_udp(addr)?;
    let registration = device.make_credential(
        &MakeCredentialRequest::new(rand::random(), RP_ID, b"bench-user", "bench"),
        None,
        &mut Interaction::default(),
    )?;
    drop(device);
    let (credential, key) = (registration.credential_id, registration.public_key);

    // One counted ceremony gives the packet shape of the baseline.
    {
        let transport = Counting {
            inner: UdpTransport::connect(addr)?,
            sent: Arc::clone(&sent),
            received: Arc::clone(&received),
        };
        let mut counted = Pass::open(Box::new(transport))?;
        let request = GetAssertionRequest {
            rp_id: RP_ID.to_owned(),
            client_data_hash: rand::random(),
            allow_list: vec![credential.clone()],
        };
        counted.get_assertion(&request, None, &mut Interaction::default())?;
    }
    let (n_sent, n_received) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
    );
    if n_sent == 0 || n_received == 0 {
        bail!("the counted ceremony exchanged no datagrams");
    }

    let stop = Arc::new(AtomicBool::new(false));
    let (peer, peer_thread) = bare_peer(n_sent, n_received, Arc::clone(&stop))?;
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.connect(peer)?;
    socket.set_read_timeout(Some(Duration::from_secs(2)))?;

    // Interleaved, so a busy neighbour on the shared machine hits both series alike.
    let mut ceremony_ms = Vec::with_capacity(runs);
    let mut bare_ms = Vec::with_capacity(runs);
    for i in 0..runs + WARM_UP {
        let start = Instant::now();
        ceremony(addr, &credential, &key)?;
        let c = millis(start);
        let start = Instant::now();
        bare_exchange(&socket, n_sent, n_received)?;
        let b = millis(start);
        if i >= WARM_UP {
            ceremony_ms.push(c);
            bare_ms.push(b);
        }
    }
    stop.store(true, Ordering::Relaxed);
    if peer_thread.join().is_err() {
        bail!("the UDP peer thread panicked");
    }

    let api_ms = api_sign_ins(addr, runs)?;
    let (ceremony_summary, ceremony_p99) = summary(&ceremony_ms)?;
    let (bare_summary, bare_p99) = summary(&bare_ms)?;
    let (api_summary, api_p99) = summary(&api_ms)?;
    Ok(PassReport {
        datagrams_sent: n_sent,
        datagrams_received: n_received,
        ceremony_over_bare_udp: ratio(ceremony_summary.median, bare_summary.median),
        ceremony_ms: ceremony_summary,
        ceremony_p99_ms: ceremony_p99,
        api_sign_in_ms: api_summary,
        api_sign_in_p99_ms: api_p99,
        bare_udp_ms: bare_summary,
        bare_udp_p99_ms: bare_p99,
        goal_median_ms_max: GOAL_MEDIAN_MS,
    })
}

/// The whole sign-in through the API on a fresh embedded store: challenges written,
/// ceremony, verification, single use, counter and session.
fn api_sign_ins(addr: SocketAddr, runs: usize) -> Result<Vec<f64>> {
    use multipass_api::pass_ceremony::{
        CeremonyControl, CeremonyPolicy, DeskEnrolmentRequest, DeviceRef, PassSignInRequest,
    };
    use multipass_api::{MultipassApi, Policies, SessionKind, SystemClock};

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let samples = Arc::new(Mutex::new(Vec::with_capacity(runs)));
    runtime.block_on(async {
        let store = multipass_store_sqlite::SqliteStore::open(
            &dir.path().join("store.db"),
            multipass_store::OpenMode::Migrate,
        )
        .await?;
        let policies = Policies {
            ceremony: CeremonyPolicy {
                software_pass: Some(addr),
                ..Default::default()
            },
            ..Default::default()
        };
        let api = MultipassApi::new(Arc::new(store), policies, Arc::new(SystemClock));
        let outcome = api
            .sign_up(
                multipass_api::dto::SignUpRequest {
                    full_name: "Bench Mark".to_owned(),
                    email: "bench@example.com".to_owned(),
                    username: "bench".to_owned(),
                    password: "correct horse battery staple".to_owned(),
                },
                SessionKind::Cli,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        api.enrol_pass_at_desk(
            &outcome.token,
            DeskEnrolmentRequest {
                username: "bench".to_owned(),
                device: DeviceRef::Software,
                label: String::new(),
                pin: None,
                expires_at: None,
            },
            &CeremonyControl::new(),
        )
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
        for i in 0..runs + WARM_UP {
            let request = PassSignInRequest {
                username: "bench".to_owned(),
                device: DeviceRef::Software,
                pin: None,
            };
            let start = Instant::now();
            api.sign_in_with_pass(request, SessionKind::Cli, &CeremonyControl::new())
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            if i >= WARM_UP {
                samples
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(millis(start));
            }
        }
        anyhow::Ok(())
    })?;
    let samples = samples
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    Ok(samples)
}

pub fn render(r: &PassReport) -> String {
    format!(
        "pass sign-in (software pass, touch excluded; {} datagrams out, {} back per ceremony)\n\
         ceremony      median {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  (goal: median under {} ms)\n\
         API sign-in   median {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  (embedded store)\n\
         bare UDP      median {:.3} ms  p90 {:.3} ms  p99 {:.3} ms\n\
         ceremony / bare UDP: {}\n",
        r.datagrams_sent,
        r.datagrams_received,
        r.ceremony_ms.median,
        r.ceremony_ms.p90,
        r.ceremony_p99_ms,
        r.goal_median_ms_max,
        r.api_sign_in_ms.median,
        r.api_sign_in_ms.p90,
        r.api_sign_in_p99_ms,
        r.bare_udp_ms.median,
        r.bare_udp_ms.p90,
        r.bare_udp_p99_ms,
        r.ceremony_over_bare_udp
            .map_or_else(|| "n/a".to_owned(), |x| format!("{x:.1}x")),
    )
}
