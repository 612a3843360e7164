//! What the software pass keeps between runs, in one JSON file: the master secret that
//! credential IDs are derived from, the signature counter and the PIN.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const PIN_RETRIES: u8 = 8;

#[derive(Debug, Error)]
pub enum StateError {
    #[error("cannot read or write the pass state file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the pass state file {path} is damaged: {reason}")]
    Damaged { path: PathBuf, reason: String },
}

#[derive(Clone, Serialize, Deserialize)]
struct OnDisk {
    /// Hex; 32 bytes.
    master_secret: String,
    sign_count: u32,
    /// Hex of LEFT(SHA-256(pin), 16), when a PIN is set.
    pin_hash: Option<String>,
    pin_retries: u8,
}

#[derive(Clone)]
pub struct State {
    path: PathBuf,
    pub master_secret: [u8; 32],
    pub sign_count: u32,
    pub pin_hash: Option<[u8; 16]>,
    pub pin_retries: u8,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("path", &self.path)
            .field("sign_count", &self.sign_count)
            .field("pin_set", &self.pin_hash.is_some())
            .field("pin_retries", &self.pin_retries)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_owned(),
        source,
    }
}

fn decode_hex<const N: usize>(text: &str, path: &Path, what: &str) -> Result<[u8; N], StateError> {
    let damaged = || StateError::Damaged {
        path: path.to_owned(),
        reason: format!("{what} is not {N} hex bytes"),
    };
    hex::decode(text)
        .map_err(|_| damaged())?
        .try_into()
        .map_err(|_| damaged())
}

impl State {
    /// Loads the state, or creates a new pass (fresh master secret) when the file is absent.
    pub fn load_or_create(path: &Path, fresh_secret: [u8; 32]) -> Result<Self, StateError> {
        if !path.exists() {
            let state = Self {
                path: path.to_owned(),
                master_secret: fresh_secret,
                sign_count: 0,
                pin_hash: None,
                pin_retries: PIN_RETRIES,
            };
            state.save()?;
            return Ok(state);
        }
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        let disk: OnDisk = serde_json::from_str(&text).map_err(|e| StateError::Damaged {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            path: path.to_owned(),
            master_secret: decode_hex(&disk.master_secret, path, "master_secret")?,
            sign_count: disk.sign_count,
            pin_hash: disk
                .pin_hash
                .as_deref()
                .map(|h| decode_hex(h, path, "pin_hash"))
                .transpose()?,
            pin_retries: disk.pin_retries.min(PIN_RETRIES),
        })
    }

    /// Writes the whole state to a temporary file and renames it over the old one, so a
    /// crash never leaves half a file.
    pub fn save(&self) -> Result<(), StateError> {
        let disk = OnDisk {
            master_secret: hex::encode(self.master_secret),
            sign_count: self.sign_count,
            pin_hash: self.pin_hash.map(hex::encode),
            pin_retries: self.pin_retries,
        };
        let text = serde_json::to_string_pretty(&disk).map_err(|e| StateError::Damaged {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(io(&self.path))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[test]
    fn state_round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let mut state = State::load_or_create(&path, [3; 32]).unwrap();
        state.sign_count = 41;
        state.pin_hash = Some([7; 16]);
        state.pin_retries = 5;
        state.save().unwrap();
        let again = State::load_or_create(&path, [9; 32]).unwrap();
        assert_eq!(again.master_secret, [3; 32]);
        assert_eq!(
            (again.sign_count, again.pin_hash, again.pin_retries),
            (41, Some([7; 16]), 5)
        );
    }

    #[rstest]
    #[case::not_json("nonsense")]
    #[case::short_secret(
        r#"{"master_secret":"00","sign_count":0,"pin_hash":null,"pin_retries":8}"#
    )]
    #[case::bad_pin_hash(r#"{"master_secret":"0000000000000000000000000000000000000000000000000000000000000000","sign_count":0,"pin_hash":"zz","pin_retries":8}"#)]
    fn damaged_files_are_named(#[case] text: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, text).unwrap();
        let err = State::load_or_create(&path, [0; 32]).unwrap_err();
        assert!(matches!(err, StateError::Damaged { .. }), "{err:?}");
        assert!(err.to_string().contains("s.json"));
    }
}
