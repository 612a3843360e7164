//! Starting software passes for tests, each with its own state file.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::UdpSocket;
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
