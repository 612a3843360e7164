//! The hardware-pass registry's rules: what a pass record may hold, its status machine,
//! challenges and the sign counter. The FIDO2 protocol itself lives elsewhere.

use crate::identity::ValidationError;
use chrono::Duration;
use serde::Serialize;
use std::fmt;

/// `hardware_passes.device_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    Fido2Usb,
    Fido2Nfc,
    SoftwarePass,
}

impl DeviceType {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text.trim() {
            "fido2_usb" => Ok(Self::Fido2Usb),
            "fido2_nfc" => Ok(Self::Fido2Nfc),
            "software_pass" => Ok(Self::SoftwarePass),
            _ => Err(ValidationError::new(
                "deviceType",
                "A device type is one of fido2_usb, fido2_nfc or software_pass.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fido2Usb => "fido2_usb",
            Self::Fido2Nfc => "fido2_nfc",
            Self::SoftwarePass => "software_pass",
        }
    }
}

/// The COSE algorithm of a pass's key (`hardware_passes.algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PassAlgorithm {
    /// ECDSA with P-256 and SHA-256, COSE -7.
    Es256,
    /// Ed25519, COSE -8.
    EdDsa,
}

impl PassAlgorithm {
    pub fn from_cose(id: i64) -> Result<Self, ValidationError> {
        match id {
            -7 => Ok(Self::Es256),
            -8 => Ok(Self::EdDsa),
            _ => Err(ValidationError::new(
                "algorithm",
                "The key algorithm must be COSE -7 (ES256) or -8 (EdDSA).",
            )),
        }
    }

    pub fn cose(self) -> i32 {
        match self {
            Self::Es256 => -7,
            Self::EdDsa => -8,
        }
    }
}

fn base64url(
    field: &'static str,
    what: &str,
    raw: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let text = raw.trim();
    let alphabet_ok = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    // 4n+1 characters can never come from whole bytes.
    if text.is_empty() || text.len() > max || !alphabet_ok || text.len() % 4 == 1 {
        return Err(ValidationError::new(
            field,
            format!("The {what} must be 1 to {max} characters of unpadded base64url."),
        ));
    }
    Ok(text.to_owned())
}

/// A FIDO2 credential id, unpadded base64url, 1 to 1400 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PassCredentialId(String);

impl PassCredentialId {
    pub const MAX_LEN: usize = 1400;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        base64url("credentialId", "credential id", raw, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A COSE public key, unpadded base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CosePublicKey(String);

impl CosePublicKey {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        base64url("publicKey", "public key", raw, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the holder calls the pass ("blue key"): at most 100 characters, may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassLabel(String);

impl PassLabel {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = raw.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "label",
                format!("A label can be at most {} characters.", Self::MAX_CHARS),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "label",
                "A label cannot contain control characters.",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the device can do (`pin`, `uv`, `nfc`, ...): up to 16 names of `a-z 0-9 _ -`,
/// 1 to 32 characters each, kept sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities(Vec<String>);

impl Capabilities {
    pub const MAX_COUNT: usize = 16;

    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, ValidationError> {
        let mut names = Vec::with_capacity(raw.len());
        for item in raw {
            let name = item.as_ref().trim().to_ascii_lowercase();
            let ok = (1..=32).contains(&name.len())
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !ok {
                return Err(ValidationError::new(
                    "capabilities",
                    format!(
                        "{:?} is not a capability name (1 to 32 of a-z, 0-9, '_', '-').",
                        item.as_ref()
                    ),
                ));
            }
            names.push(name);
        }
        names.sort();
        names.dedup();
        if names.len() > Self::MAX_COUNT {
            return Err(ValidationError::new(
                "capabilities",
                format!("A pass can list at most {} capabilities.", Self::MAX_COUNT),
            ));
        }
        Ok(Self(names))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// `hardware_passes.status`. Only an active pass changes, and every change is final: a pass
/// that was revoked, reported lost or expired never becomes active again (a found key is
/// enrolled anew, so its history stays readable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassStatus {
    Active,
    Revoked,
    Lost,
    Expired,
}

/// What can happen to a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassEvent {
    Revoke,
    ReportLost,
    Expire,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} pass cannot be {}", event_past(*.event))]
pub struct PassTransitionError {
    pub from: PassStatus,
    pub event: PassEvent,
}

fn event_past(event: PassEvent) -> &'static str {
    match event {
        PassEvent::Revoke => "revoked",
        PassEvent::ReportLost => "reported lost",
        PassEvent::Expire => "expired",
    }
}

impl PassStatus {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "active" => Ok(Self::Active),
            "revoked" => Ok(Self::Revoked),
            "lost" => Ok(Self::Lost),
            "expired" => Ok(Self::Expired),
            _ => Err(ValidationError::new(
                "status",
                "A pass status is one of active, revoked, lost or expired.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Lost => "lost",
            Self::Expired => "expired",
        }
    }

    pub fn apply(self, event: PassEvent) -> Result<Self, PassTransitionError> {
        match (self, event) {
            (Self::Active, PassEvent::Revoke) => Ok(Self::Revoked),
            (Self::Active, PassEvent::ReportLost) => Ok(Self::Lost),
            (Self::Active, PassEvent::Expire) => Ok(Self::Expired),
            (from, event) => Err(PassTransitionError { from, event }),
        }
    }

    /// The one status transitions start from, for the store's conditional updates.
    pub const CHANGEABLE: Self = Self::Active;
}

impl fmt::Display for PassStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `hardware_challenges.purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengePurpose {
    EnrolmentTest,
    SignIn,
}

impl ChallengePurpose {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text.trim() {
            "enrolment_test" => Ok(Self::EnrolmentTest),
            "sign_in" => Ok(Self::SignIn),
            _ => Err(ValidationError::new(
                "purpose",
                "A challenge purpose is enrolment_test or sign_in.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnrolmentTest => "enrolment_test",
            Self::SignIn => "sign_in",
        }
    }
}

/// A challenge: at least [`Challenge::MIN_BYTES`] random bytes, as lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Challenge(String);

impl Challenge {
    pub const MIN_BYTES: usize = 32;

    /// From the caller's random bytes (randomness is passed in).
    pub fn from_random(bytes: [u8; Self::MIN_BYTES]) -> Self {
        Self(hex::encode(bytes))
    }

    /// A challenge as presented back by a client. Upper-case hex is folded.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = raw.trim().to_ascii_lowercase();
        let ok = text.len() >= 2 * Self::MIN_BYTES
            && text.len().is_multiple_of(2)
            && text.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(ValidationError::new(
                "challenge",
                format!(
                    "A challenge is at least {} bytes of hex ({} characters).",
                    Self::MIN_BYTES,
                    2 * Self::MIN_BYTES
                ),
            ));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a challenge may be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassPolicy {
    pub challenge_ttl: Duration,
}

impl Default for PassPolicy {
    fn default() -> Self {
        Self {
            challenge_ttl: Duration::minutes(2),
        }
    }
}

/// The signature counter rule of WebAuthn §6.1.1: a new count must be greater than the
/// stored one, except that authenticators without a counter report 0 every time. A count
/// that does not advance suggests a cloned authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignCountCheck {
    Advanced,
    /// Both zero: the device keeps no counter.
    NoCounter,
    Regressed {
        stored: u64,
        presented: u64,
    },
}

pub fn check_sign_count(stored: u64, presented: u64) -> SignCountCheck {
    if stored == 0 && presented == 0 {
        SignCountCheck::NoCounter
    } else if presented > stored {
        SignCountCheck::Advanced
    } else {
        SignCountCheck::Regressed { stored, presented }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    use PassEvent::{Expire, ReportLost, Revoke};
    use PassStatus::{Active, Expired, Lost, Revoked};

    #[rstest]
    #[case(Active, Revoke, Ok(Revoked))]
    #[case(Active, ReportLost, Ok(Lost))]
    #[case(Active, Expire, Ok(Expired))]
    #[case(Revoked, Revoke, Err(PassTransitionError { from: Revoked, event: Revoke }))]
    #[case(Revoked, ReportLost, Err(PassTransitionError { from: Revoked, event: ReportLost }))]
    #[case(Revoked, Expire, Err(PassTransitionError { from: Revoked, event: Expire }))]
    #[case(Lost, Revoke, Err(PassTransitionError { from: Lost, event: Revoke }))]
    #[case(Lost, Expire, Err(PassTransitionError { from: Lost, event: Expire }))]
    #[case(Expired, Revoke, Err(PassTransitionError { from: Expired, event: Revoke }))]
    #[case(Expired, ReportLost, Err(PassTransitionError { from: Expired, event: ReportLost }))]
    fn status_machine(
        #[case] from: PassStatus,
        #[case] event: PassEvent,
        #[case] to: Result<PassStatus, PassTransitionError>,
    ) {
        assert_eq!(from.apply(event), to);
    }

    #[test]
    fn no_event_leads_back_to_active_and_only_active_changes() {
        for from in [Active, Revoked, Lost, Expired] {
            for event in [Revoke, ReportLost, Expire] {
                let to = from.apply(event);
                assert_ne!(to, Ok(Active));
                assert_eq!(to.is_ok(), from == PassStatus::CHANGEABLE);
            }
        }
    }

    #[test]
    fn transition_errors_read_well() {
        let err = Revoked.apply(ReportLost).unwrap_err();
        assert_eq!(err.to_string(), "a revoked pass cannot be reported lost");
    }

    #[rstest]
    #[case("active")]
    #[case("revoked")]
    #[case("lost")]
    #[case("expired")]
    fn status_round_trips(#[case] text: &str) {
        assert_eq!(PassStatus::parse(text).unwrap().as_str(), text);
    }

    #[rstest]
    #[case("fido2_usb", Some(DeviceType::Fido2Usb))]
    #[case("fido2_nfc", Some(DeviceType::Fido2Nfc))]
    #[case("software_pass", Some(DeviceType::SoftwarePass))]
    #[case("usb", None)]
    #[case("", None)]
    fn device_types(#[case] text: &str, #[case] expected: Option<DeviceType>) {
        assert_eq!(DeviceType::parse(text).ok(), expected);
        if let Some(kind) = expected {
            assert_eq!(kind.as_str(), text);
        }
    }

    #[rstest]
    #[case(-7, Some(PassAlgorithm::Es256))]
    #[case(-8, Some(PassAlgorithm::EdDsa))]
    #[case(-257, None)]
    #[case(0, None)]
    fn algorithms(#[case] id: i64, #[case] expected: Option<PassAlgorithm>) {
        assert_eq!(PassAlgorithm::from_cose(id).ok(), expected);
        if let Some(alg) = expected {
            assert_eq!(i64::from(alg.cose()), id);
        }
    }

    #[rstest]
    #[case::typical("AAECAwQFBgcICQ", true)]
    #[case::url_safe_chars("ab-_cd", true)]
    #[case::longest(&"A".repeat(1400), true)]
    #[case::too_long(&"A".repeat(1404), false)]
    #[case::padded("AAE=", false)]
    #[case::standard_alphabet("ab+/", false)]
    #[case::impossible_length("AAAAA", false)]
    #[case::empty("", false)]
    fn credential_ids(#[case] raw: &str, #[case] valid: bool) {
        let parsed = PassCredentialId::parse(raw);
        assert_eq!(parsed.is_ok(), valid);
        if let Err(e) = parsed {
            assert_eq!(e.field, "credentialId");
        }
    }

    #[rstest]
    #[case::ok("pQECAyYgASFYIA", true)]
    #[case::empty("", false)]
    #[case::spaces("pQEC AyYg", false)]
    fn public_keys(#[case] raw: &str, #[case] valid: bool) {
        assert_eq!(CosePublicKey::parse(raw).is_ok(), valid);
    }

    #[rstest]
    #[case::empty("", Some(""))]
    #[case::trimmed(" blue key ", Some("blue key"))]
    #[case::too_long(&"x".repeat(101), None)]
    #[case::control("a\nb", None)]
    fn labels(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            PassLabel::parse(raw).ok().as_ref().map(PassLabel::as_str),
            expected
        );
    }

    #[rstest]
    #[case::sorted_deduplicated(&["uv", "PIN", "pin"], Some(vec!["pin", "uv"]))]
    #[case::none(&[], Some(vec![]))]
    #[case::bad_char(&["p in"], None)]
    #[case::empty_name(&[""], None)]
    #[case::too_many(&["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"], None)]
    fn capabilities(#[case] raw: &[&str], #[case] expected: Option<Vec<&str>>) {
        let parsed = Capabilities::parse(raw).ok();
        assert_eq!(
            parsed
                .as_ref()
                .map(|c| c.as_slice().iter().map(String::as_str).collect::<Vec<_>>()),
            expected
        );
    }

    #[rstest]
    #[case("enrolment_test", Some(ChallengePurpose::EnrolmentTest))]
    #[case("sign_in", Some(ChallengePurpose::SignIn))]
    #[case("login", None)]
    fn purposes(#[case] text: &str, #[case] expected: Option<ChallengePurpose>) {
        assert_eq!(ChallengePurpose::parse(text).ok(), expected);
    }

    #[rstest]
    #[case::exact(&"ab".repeat(32), true)]
    #[case::longer(&"ab".repeat(48), true)]
    #[case::upper_folds(&"AB".repeat(32), true)]
    #[case::too_short(&"ab".repeat(31), false)]
    #[case::odd(&format!("{}a", "ab".repeat(32)), false)]
    #[case::not_hex(&"zz".repeat(32), false)]
    fn challenges(#[case] raw: &str, #[case] valid: bool) {
        assert_eq!(Challenge::parse(raw).is_ok(), valid);
    }

    #[test]
    fn a_fresh_challenge_parses_back() {
        let fresh = Challenge::from_random([0xa5; 32]);
        assert_eq!(fresh.as_str().len(), 64);
        assert_eq!(Challenge::parse(fresh.as_str()).unwrap(), fresh);
    }

    #[rstest]
    #[case::advanced(5, 6, SignCountCheck::Advanced)]
    #[case::from_zero(0, 1, SignCountCheck::Advanced)]
    #[case::no_counter(0, 0, SignCountCheck::NoCounter)]
    #[case::repeated(5, 5, SignCountCheck::Regressed { stored: 5, presented: 5 })]
    #[case::backwards(5, 2, SignCountCheck::Regressed { stored: 5, presented: 2 })]
    #[case::back_to_zero(5, 0, SignCountCheck::Regressed { stored: 5, presented: 0 })]
    fn sign_counts(#[case] stored: u64, #[case] presented: u64, #[case] check: SignCountCheck) {
        assert_eq!(check_sign_count(stored, presented), check);
    }

    #[test]
    fn challenges_last_two_minutes_by_default() {
        assert_eq!(PassPolicy::default().challenge_ttl, Duration::minutes(2));
    }
}
