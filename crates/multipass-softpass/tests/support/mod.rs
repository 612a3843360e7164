//! Starting software passes for tests, each with its own state file.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use multipass_pass::{GetAssertionRequest, Interaction, MakeCredentialRequest, Pass};
use multipass_softpass::{Config, Running, TOUCH_DATAGRAM};

pub const RP: &str = "multipass.example";

pub struct TestPass {
    pub running: Running,
    pub dir: tempfile::TempDir,
}

pub fn config(dir: &tempfile::TempDir) -> Config {
    Config::new(dir.path().join("pass.json"))
}

pub fn start(adjust: impl FnOnce(&mut Config)) -> TestPass {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&dir);
    adjust(&mut config);
    let running = multipass_softpass::spawn(config).unwrap();
    TestPass { running, dir }
}

impl TestPass {
    pub fn open(&self) -> Pass {
        Pass::open_udp(self.running.addr()).unwrap()
    }

    pub fn touch(&self) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.send_to(TOUCH_DATAGRAM, self.running.addr()).unwrap();
    }
}

pub fn enrol_request(seed: u8) -> MakeCredentialRequest {
    MakeCredentialRequest::new([seed; 32], RP, b"user-1", "ann@multipass.example")
}

pub fn sign_in_request(seed: u8, allow: &[u8]) -> GetAssertionRequest {
    GetAssertionRequest {
        rp_id: RP.into(),
        client_data_hash: [seed; 32],
        allow_list: vec![allow.to_vec()],
    }
}

pub fn quick() -> Interaction<'static> {
    Interaction::new(Duration::from_secs(10))
}

/// The built `multipass-softpass` binary on a free port; killed on drop.
pub struct SoftPassProcess {
    child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl SoftPassProcess {
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("pass.json");
        let mut child = Command::new(env!("CARGO_BIN_EXE_multipass-softpass"))
            .args(["--listen", "127.0.0.1:0", "--state"])
            .arg(&state)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
        Self {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for SoftPassProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
