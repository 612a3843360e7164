//! KYC verifications: what kinds exist, the level each proves, the review state machine and
//! the KYC level a set of verifications adds up to.

use crate::identity::ValidationError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// `kyc_verifications.verification_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationType {
    GovernmentId,
    ProofOfAddress,
    Selfie,
    Biometric,
}

impl VerificationType {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text.trim() {
            "government_id" => Ok(Self::GovernmentId),
            "proof_of_address" => Ok(Self::ProofOfAddress),
            "selfie" => Ok(Self::Selfie),
            "biometric" => Ok(Self::Biometric),
            _ => Err(ValidationError::new(
                "verificationType",
                "A verification type is one of government_id, proof_of_address, selfie or biometric.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GovernmentId => "government_id",
            Self::ProofOfAddress => "proof_of_address",
            Self::Selfie => "selfie",
            Self::Biometric => "biometric",
        }
    }

    /// The level this verification stands for (`kyc_verifications.kyc_level`): an identity
    /// document is level 1, an address on top of it level 2, a likeness check on top of
    /// both level 3. See [`KycLevel::from_facts`] for why the levels only add up in order.
    pub fn proves_level(self) -> KycLevel {
        match self {
            Self::GovernmentId => KycLevel(1),
            Self::ProofOfAddress => KycLevel(2),
            Self::Selfie | Self::Biometric => KycLevel(3),
        }
    }
}

/// `kyc_verifications.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KycStatus {
    Pending,
    Approved,
    Rejected,
    Expired,
}

/// A change to a verification that its current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KycTransitionError {
    #[error("only a pending verification can be reviewed; this one is {0}")]
    NotPending(KycStatus),
    #[error("a {0} verification cannot expire")]
    CannotExpire(KycStatus),
}

impl KycStatus {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "rejected" => Ok(Self::Rejected),
            "expired" => Ok(Self::Expired),
            _ => Err(ValidationError::new(
                "status",
                "A verification status is one of pending, approved, rejected or expired.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    /// An admin's decision: pending becomes approved or rejected; nothing else is reviewable.
    pub fn review(self, approve: bool) -> Result<Self, KycTransitionError> {
        match (self, approve) {
            (Self::Pending, true) => Ok(Self::Approved),
            (Self::Pending, false) => Ok(Self::Rejected),
            (other, _) => Err(KycTransitionError::NotPending(other)),
        }
    }

    /// Reaching `expires_at`: an approved verification lapses, and so does a pending one
    /// nobody reviewed in time (the schema allows an unreviewed expiry). A rejected or
    /// already expired one stays as it is.
    pub fn expire(self) -> Result<Self, KycTransitionError> {
        match self {
            Self::Pending | Self::Approved => Ok(Self::Expired),
            other => Err(KycTransitionError::CannotExpire(other)),
        }
    }

    /// The statuses [`KycStatus::expire`] accepts, for the store's sweep to select on.
    pub const EXPIRABLE: [Self; 2] = [Self::Pending, Self::Approved];
}

impl fmt::Display for KycStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The KYC level of a profile, 0 (nothing proven) to 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct KycLevel(u8);

impl KycLevel {
    pub const NONE: Self = Self(0);
    pub const MAX: u8 = 3;

    pub fn new(level: u8) -> Result<Self, ValidationError> {
        if level > Self::MAX {
            return Err(ValidationError::new(
                "kycLevel",
                "A KYC level is 0, 1, 2 or 3.",
            ));
        }
        Ok(Self(level))
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// The level proven by the approved verifications that have not expired at `now`:
    /// 1 with a government ID, 2 with a proof of address as well, 3 with a selfie or a
    /// biometric check as well. A higher proof without the lower ones proves nothing more,
    /// because an address or a likeness is only worth something tied to a checked identity.
    pub fn from_facts(facts: &[KycFact], now: DateTime<Utc>) -> Self {
        let holds = |kinds: &[VerificationType]| {
            facts.iter().any(|f| {
                kinds.contains(&f.kind)
                    && f.status == KycStatus::Approved
                    && f.expires_at.is_none_or(|at| at > now)
            })
        };
        let steps = [
            holds(&[VerificationType::GovernmentId]),
            holds(&[VerificationType::ProofOfAddress]),
            holds(&[VerificationType::Selfie, VerificationType::Biometric]),
        ];
        let level = steps.iter().take_while(|held| **held).count();
        Self(u8::try_from(level).unwrap_or(Self::MAX))
    }
}

/// What the level rules need to know about one verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KycFact {
    pub kind: VerificationType,
    pub status: KycStatus,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Free text given with a decision or a revocation: 1 to 500 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason(String);

impl Reason {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(ValidationError::new(field, "Give a reason."));
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!("A reason can be at most {} characters.", Self::MAX_CHARS),
            ));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ValidationError::new(
                field,
                "A reason cannot contain control characters.",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short provider or issuer name: 1 to `max` characters, trimmed, no control characters.
pub fn short_text(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ValidationError::new(field, "This cannot be empty."));
    }
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("This can be at most {max} characters."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "This cannot contain control characters.",
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("government_id", VerificationType::GovernmentId, 1)]
    #[case("proof_of_address", VerificationType::ProofOfAddress, 2)]
    #[case("selfie", VerificationType::Selfie, 3)]
    #[case("biometric", VerificationType::Biometric, 3)]
    fn verification_types(#[case] text: &str, #[case] kind: VerificationType, #[case] level: u8) {
        assert_eq!(VerificationType::parse(text).unwrap(), kind);
        assert_eq!(kind.as_str(), text);
        assert_eq!(kind.proves_level().value(), level);
    }

    #[rstest]
    #[case("passport")]
    #[case("Selfie")]
    #[case("")]
    fn unknown_verification_types(#[case] text: &str) {
        assert_eq!(
            VerificationType::parse(text).unwrap_err().field,
            "verificationType"
        );
    }

    use KycStatus::{Approved, Expired, Pending, Rejected};

    #[rstest]
    #[case::approve(Pending, true, Ok(Approved))]
    #[case::reject(Pending, false, Ok(Rejected))]
    #[case::approve_twice(Approved, true, Err(KycTransitionError::NotPending(Approved)))]
    #[case::reject_approved(Approved, false, Err(KycTransitionError::NotPending(Approved)))]
    #[case::revisit_rejection(Rejected, true, Err(KycTransitionError::NotPending(Rejected)))]
    #[case::review_expired(Expired, true, Err(KycTransitionError::NotPending(Expired)))]
    fn reviews(
        #[case] from: KycStatus,
        #[case] approve: bool,
        #[case] to: Result<KycStatus, KycTransitionError>,
    ) {
        assert_eq!(from.review(approve), to);
    }

    #[rstest]
    #[case(Pending, Ok(Expired))]
    #[case(Approved, Ok(Expired))]
    #[case(Rejected, Err(KycTransitionError::CannotExpire(Rejected)))]
    #[case(Expired, Err(KycTransitionError::CannotExpire(Expired)))]
    fn expiry(#[case] from: KycStatus, #[case] to: Result<KycStatus, KycTransitionError>) {
        assert_eq!(from.expire(), to);
        assert_eq!(KycStatus::EXPIRABLE.contains(&from), to.is_ok());
    }

    #[rstest]
    #[case("pending")]
    #[case("approved")]
    #[case("rejected")]
    #[case("expired")]
    fn status_round_trips(#[case] text: &str) {
        assert_eq!(KycStatus::parse(text).unwrap().as_str(), text);
    }

    #[rstest]
    #[case::zero(0, true)]
    #[case::three(3, true)]
    #[case::four(4, false)]
    fn levels(#[case] level: u8, #[case] valid: bool) {
        assert_eq!(KycLevel::new(level).is_ok(), valid);
    }

    #[rstest]
    #[case::ok("Document is blurred", true)]
    #[case::multi_line("Blurred.\nPlease rescan.", true)]
    #[case::blank("  ", false)]
    #[case::too_long(&"x".repeat(501), false)]
    #[case::control("bell\u{7}", false)]
    fn reasons(#[case] raw: &str, #[case] valid: bool) {
        assert_eq!(Reason::parse("reason", raw).is_ok(), valid);
    }

    #[rstest]
    #[case::ok("Onfido", 200, true)]
    #[case::blank(" ", 200, false)]
    #[case::too_long("abcd", 3, false)]
    #[case::control("a\tb", 200, false)]
    fn short_texts(#[case] raw: &str, #[case] max: usize, #[case] valid: bool) {
        assert_eq!(short_text("provider", raw, max).is_ok(), valid);
    }
}
