//! How a software pass behaves: where it listens, its state file, PIN, touch and faults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// When the simulated touch happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    /// Every request is approved at once.
    Immediate,
    /// Approved after this long, with UPNEEDED keepalives meanwhile.
    After(Duration),
    /// Approved when a `touch` control datagram arrives.
    Manual,
}

impl std::str::FromStr for Touch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Immediate),
            "manual" => Ok(Self::Manual),
            other => other
                .strip_prefix("after:")
                .and_then(|ms| ms.parse::<u64>().ok())
                .map(|ms| Self::After(Duration::from_millis(ms)))
                .ok_or_else(|| {
                    format!("touch mode must be auto, manual or after:MILLISECONDS, not {other:?}")
                }),
        }
    }
}

/// Deliberate misbehaviour, for testing hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Answer this many CBOR requests with CHANNEL_BUSY before serving them.
    pub busy: u32,
    /// Number the first continuation packet of every multi-packet answer wrongly.
    pub bad_seq: bool,
    /// Sign assertions over the wrong client data hash.
    pub bad_signature: bool,
    /// Count signatures down instead of up.
    pub sign_count_backwards: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub state_path: PathBuf,
    /// Sets (or replaces) the PIN at start, with full retries.
    pub pin: Option<String>,
    /// PIN/UV auth protocols offered in getInfo (`[1]` acts like a CTAP 2.0 key).
    pub pin_protocols: Vec<u64>,
    pub touch: Touch,
    /// How long a touch is waited for before the request fails.
    pub touch_timeout: Duration,
    pub faults: Faults,
}

/// The control datagram that simulates a touch.
pub const TOUCH_DATAGRAM: &[u8] = b"touch";

impl Config {
    pub fn new(state_path: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_path,
            pin: None,
            pin_protocols: vec![2, 1],
            touch: Touch::Immediate,
            touch_timeout: Duration::from_secs(30),
            faults: Faults::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("auto", Ok(Touch::Immediate))]
    #[case("manual", Ok(Touch::Manual))]
    #[case("after:250", Ok(Touch::After(Duration::from_millis(250))))]
    #[case("after:", Err(()))]
    #[case("after:-1", Err(()))]
    #[case("sometimes", Err(()))]
    fn touch_modes(#[case] text: &str, #[case] expected: Result<Touch, ()>) {
        assert_eq!(text.parse::<Touch>().map_err(|_| ()), expected);
    }
}
