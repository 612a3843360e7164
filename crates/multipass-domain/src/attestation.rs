//! Attestations: a signed-off claim about an identity, kept as a canonical serialization and
//! its SHA3-256 digest, so that anyone can recompute the digest from the stored claim.
//!
//! # The canonical form
//!
//! The claim is serialised as RFC 8785 (JSON Canonicalization Scheme) restricted to the
//! values for which JCS and a plain integer/string writer agree exactly:
//! - object members sorted by their keys compared as UTF-16 code units (JCS §3.2.3), written
//!   `{"key":value,...}` with no white space anywhere;
//! - strings escaped as JCS requires: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other
//!   characters below U+0020 as `\u00xx` (lower-case hex), everything else as raw UTF-8;
//! - numbers: integers between -(2^53 - 1) and 2^53 - 1 only, written in plain decimal.
//!   Fractions and larger integers are refused at parse time, because JCS writes them with
//!   ECMAScript's number formatting, which serde_json does not reproduce;
//! - `true`, `false`, `null` and arrays as in JSON, arrays keeping their order.
//!
//! `proof_hash` is the lower-case hex SHA3-256 of the UTF-8 bytes of that text. Test vector:
//! `{"b":[1,true,null],"a":"x\ny"}` canonicalises to `{"a":"x\ny","b":[1,true,null]}` (with
//! the escape `\n` written as two characters), whose digest is
//! `b9e8ddc69b02a4d99b81565feba4f2caa37ae1236406bcd114abacba15b2e80c`.

use crate::identity::ValidationError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha3::{Digest, Sha3_256};
use std::fmt::Write as _;

/// The largest integer JCS writes exactly (ECMAScript's `Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A claim: a JSON object within the limits above, with its canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    canonical: String,
}

impl Claim {
    pub const MAX_BYTES: usize = 16 * 1024;

    pub fn parse(value: &serde_json::Value) -> Result<Self, ValidationError> {
        if !value.is_object() {
            return Err(ValidationError::new(
                "claim",
                "A claim must be a JSON object, like {\"over18\": true}.",
            ));
        }
        let mut canonical = String::new();
        write_canonical(value, &mut canonical)?;
        if canonical.len() > Self::MAX_BYTES {
            return Err(ValidationError::new(
                "claim",
                format!(
                    "This claim is too large; the limit is {} KiB.",
                    Self::MAX_BYTES / 1024
                ),
            ));
        }
        Ok(Self { canonical })
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn proof_hash(&self) -> String {
        proof_hash_of(&self.canonical)
    }
}

/// SHA3-256 of `text`'s bytes, lower-case hex.
pub fn proof_hash_of(text: &str) -> String {
    hex::encode(Sha3_256::digest(text.as_bytes()))
}

fn write_canonical(value: &serde_json::Value, out: &mut String) -> Result<(), ValidationError> {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let safe = n
                .as_i64()
                .filter(|i| (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(i));
            let Some(i) = safe else {
                return Err(ValidationError::new(
                    "claim",
                    format!(
                        "Numbers in a claim must be whole numbers between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}; \
                         write {n} as a string instead."
                    ),
                ));
            };
            let _ = write!(out, "{i}");
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<_> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether an attestation still proves its claim. Checked in this order, the first failure
/// being the answer: the digest (an altered claim proves nothing, whatever else holds),
/// revocation, expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationState {
    Valid,
    /// The stored claim no longer hashes to the stored `proof_hash`.
    Tampered,
    Revoked,
    Expired,
}

/// What verification looks at, as stored.
#[derive(Debug, Clone, Copy)]
pub struct StoredAttestation<'a> {
    pub claim: &'a str,
    pub proof_hash: &'a str,
    pub revoked_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn verify(stored: StoredAttestation<'_>, now: DateTime<Utc>) -> AttestationState {
    if proof_hash_of(stored.claim) != stored.proof_hash {
        AttestationState::Tampered
    } else if stored.revoked_at.is_some_and(|at| at <= now) {
        AttestationState::Revoked
    } else if stored.expires_at.is_some_and(|at| at <= now) {
        AttestationState::Expired
    } else {
        AttestationState::Valid
    }
}

/// Where the digest is anchored. Anchoring on a chain is a later step; until then every
/// attestation is [`AnchorState::NotAnchored`] and `chain_anchor_tx` stays empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorState {
    NotAnchored,
    Anchored,
}

impl AnchorState {
    pub fn of(chain_anchor_tx: Option<&str>) -> Self {
        match chain_anchor_tx {
            Some(tx) if !tx.is_empty() => Self::Anchored,
            _ => Self::NotAnchored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::sorted_no_space(json!({"b": [1, true, null], "a": "x\ny"}), r#"{"a":"x\ny","b":[1,true,null]}"#)]
    #[case::nested_sorted(json!({"z": {"d": 1, "c": {}}, "a": []}), r#"{"a":[],"z":{"c":{},"d":1}}"#)]
    #[case::escapes(json!({"s": "q\"b\\\u{1}\t\u{7f}é"}), "{\"s\":\"q\\\"b\\\\\\u0001\\t\u{7f}é\"}")]
    #[case::negative(json!({"n": -9007199254740991_i64}), r#"{"n":-9007199254740991}"#)]
    // U+E000 sorts before U+1F600 by code point but after it in UTF-16 (a surrogate pair
    // starts with 0xD83D): JCS orders by UTF-16.
    #[case::utf16_order(json!({"\u{e000}": 1, "\u{1f600}": 2}), "{\"\u{1f600}\":2,\"\u{e000}\":1}")]
    fn canonical_form(#[case] claim: serde_json::Value, #[case] expected: &str) {
        assert_eq!(Claim::parse(&claim).unwrap().canonical(), expected);
    }

    #[test]
    fn test_vector() {
        let claim = Claim::parse(&json!({"b": [1, true, null], "a": "x\ny"})).unwrap();
        assert_eq!(
            claim.proof_hash(),
            "b9e8ddc69b02a4d99b81565feba4f2caa37ae1236406bcd114abacba15b2e80c"
        );
        // The digest of the empty string, as a check that this is SHA3-256.
        assert_eq!(
            proof_hash_of(""),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        );
    }

    #[rstest]
    #[case::array(json!([1]))]
    #[case::string(json!("x"))]
    #[case::fraction(json!({"x": 1.5}))]
    #[case::unsafe_integer(json!({"x": 9007199254740992_i64}))]
    #[case::huge(json!({"x": u64::MAX}))]
    #[case::too_large(json!({"x": "y".repeat(Claim::MAX_BYTES)}))]
    fn refused_claims(#[case] claim: serde_json::Value) {
        assert_eq!(Claim::parse(&claim).unwrap_err().field, "claim");
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    const CLAIM: &str = r#"{"over18":true}"#;

    #[rstest]
    #[case::valid(CLAIM, None, None, AttestationState::Valid)]
    #[case::valid_until_later(CLAIM, None, Some(1), AttestationState::Valid)]
    #[case::tampered(r#"{"over18":false}"#, None, None, AttestationState::Tampered)]
    #[case::tampered_beats_revoked(r#"{"over18":false}"#, Some(-1), None, AttestationState::Tampered)]
    #[case::revoked(CLAIM, Some(-1), None, AttestationState::Revoked)]
    #[case::revoked_beats_expired(CLAIM, Some(-1), Some(-1), AttestationState::Revoked)]
    #[case::expired(CLAIM, None, Some(-1), AttestationState::Expired)]
    #[case::expires_now(CLAIM, None, Some(0), AttestationState::Expired)]
    fn verification(
        #[case] claim: &str,
        #[case] revoked_hours: Option<i64>,
        #[case] expires_hours: Option<i64>,
        #[case] state: AttestationState,
    ) {
        let stored = StoredAttestation {
            claim,
            proof_hash: &proof_hash_of(CLAIM),
            revoked_at: revoked_hours.map(|h| now() + Duration::hours(h)),
            expires_at: expires_hours.map(|h| now() + Duration::hours(h)),
        };
        assert_eq!(verify(stored, now()), state);
    }

    #[rstest]
    #[case(None, AnchorState::NotAnchored)]
    #[case(Some(""), AnchorState::NotAnchored)]
    #[case(Some("0xabc"), AnchorState::Anchored)]
    fn anchoring(#[case] tx: Option<&str>, #[case] state: AnchorState) {
        assert_eq!(AnchorState::of(tx), state);
    }
}
