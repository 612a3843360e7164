//! The parts of a profile beyond name and email: phone, country, date of birth, free-form
//! metadata, and the verification status and KYC level that only rules may change.

use crate::identity::ValidationError;
use crate::kyc::{KycFact, KycLevel, KycStatus};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use std::fmt;

/// A phone number in E.164 form: `+`, a country code not starting with 0, at most 15 digits.
/// Spaces, dots, hyphens and parentheses people write for readability are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "phone",
                "Enter the phone number in international form, like +44 20 7946 0958.",
            )
        };
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').ok_or_else(invalid)?;
        let well_formed = (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The officially assigned ISO 3166-1 alpha-2 codes, sorted. Embedded rather than taken from
/// a crate: the list changes about once a decade, and a dependency for 249 two-letter strings
/// would bring more to review than it saves.
const ISO_3166_ALPHA2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A country as its ISO 3166-1 alpha-2 code, upper-case (`de` is read as `DE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Country(String);

impl Country {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let code = raw.trim().to_ascii_uppercase();
        if ISO_3166_ALPHA2.binary_search(&code.as_str()).is_err() {
            return Err(ValidationError::new(
                "country",
                "Enter the country as its two-letter ISO 3166 code, like DE or GB.",
            ));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A date of birth: a real calendar date, not after today and at most
/// [`DateOfBirth::MAX_AGE_YEARS`] years ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    pub const MAX_AGE_YEARS: i32 = 130;

    /// `raw` is `YYYY-MM-DD`; `today` is the caller's current date.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        let date = (raw.len() == 10)
            .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
            .flatten()
            .ok_or_else(|| {
                ValidationError::new(
                    "dateOfBirth",
                    "Enter the date of birth as YYYY-MM-DD, like 1990-04-23.",
                )
            })?;
        if date > today {
            return Err(ValidationError::new(
                "dateOfBirth",
                "A date of birth cannot be in the future.",
            ));
        }
        if today.year() - date.year() > Self::MAX_AGE_YEARS {
            return Err(ValidationError::new(
                "dateOfBirth",
                format!(
                    "A date of birth more than {} years ago is not plausible.",
                    Self::MAX_AGE_YEARS
                ),
            ));
        }
        Ok(Self(date))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl fmt::Display for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// Free-form metadata of a profile: a JSON object of at most [`JsonObject::MAX_BYTES`]
/// serialised bytes, so one profile cannot grow without bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct JsonObject(serde_json::Value);

impl JsonObject {
    pub const MAX_BYTES: usize = 16 * 1024;

    pub fn parse(field: &'static str, value: serde_json::Value) -> Result<Self, ValidationError> {
        if !value.is_object() {
            return Err(ValidationError::new(
                field,
                "This must be a JSON object, like {\"team\": \"treasury\"}.",
            ));
        }
        if value.to_string().len() > Self::MAX_BYTES {
            return Err(ValidationError::new(
                field,
                format!(
                    "This JSON object is too large; the limit is {} KiB.",
                    Self::MAX_BYTES / 1024
                ),
            ));
        }
        Ok(Self(value))
    }

    pub fn empty() -> Self {
        Self(serde_json::Value::Object(serde_json::Map::new()))
    }

    pub fn as_value(&self) -> &serde_json::Value {
        &self.0
    }
}

/// `identity_profiles.verification_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Unverified,
    Pending,
    Verified,
    Rejected,
    Suspended,
}

impl VerificationStatus {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "unverified" => Ok(Self::Unverified),
            "pending" => Ok(Self::Pending),
            "verified" => Ok(Self::Verified),
            "rejected" => Ok(Self::Rejected),
            "suspended" => Ok(Self::Suspended),
            _ => Err(ValidationError::new(
                "verificationStatus",
                "A verification status is one of unverified, pending, verified, rejected or suspended.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
        }
    }
}

/// A profile's verification status and KYC level, which are never set directly: they are
/// derived from its verifications each time one of them, or the suspension, changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KycStanding {
    pub status: VerificationStatus,
    pub level: KycLevel,
}

impl KycStanding {
    /// The rules, in order: a suspended profile stays suspended (its level is still kept
    /// current) until an admin lifts the suspension; a verification awaiting review makes
    /// it pending; a level above 0 makes it verified; a rejection with nothing approved
    /// makes it rejected; otherwise it is unverified.
    pub fn derive(suspended: bool, facts: &[KycFact], now: DateTime<Utc>) -> Self {
        let level = KycLevel::from_facts(facts, now);
        let status = if suspended {
            VerificationStatus::Suspended
        } else if facts.iter().any(|f| f.status == KycStatus::Pending) {
            VerificationStatus::Pending
        } else if level > KycLevel::NONE {
            VerificationStatus::Verified
        } else if facts.iter().any(|f| f.status == KycStatus::Rejected) {
            VerificationStatus::Rejected
        } else {
            VerificationStatus::Unverified
        };
        Self { status, level }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kyc::VerificationType;
    use chrono::Duration;
    use rstest::rstest;

    #[rstest]
    #[case::plain("+442079460958", Some("+442079460958"))]
    #[case::spaced("+44 20 7946 0958", Some("+442079460958"))]
    #[case::punctuated("+1 (555) 010-9999", Some("+15550109999"))]
    #[case::shortest("+12", Some("+12"))]
    #[case::fifteen_digits("+123456789012345", Some("+123456789012345"))]
    #[case::sixteen_digits("+1234567890123456", None)]
    #[case::no_plus("442079460958", None)]
    #[case::leading_zero("+0442079460958", None)]
    #[case::letters("+44 20 CALL ME", None)]
    #[case::one_digit("+1", None)]
    #[case::empty("", None)]
    fn phone_parsing(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(Phone::parse(raw).ok().as_ref().map(Phone::as_str), expected);
    }

    #[rstest]
    #[case::upper("DE", Some("DE"))]
    #[case::lower_folds("gb", Some("GB"))]
    #[case::trimmed(" fr ", Some("FR"))]
    #[case::aland("AX", Some("AX"))]
    #[case::user_assigned("XK", None)]
    #[case::unassigned("ZZ", None)]
    #[case::alpha3("DEU", None)]
    #[case::one_letter("D", None)]
    #[case::empty("", None)]
    fn country_parsing(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            Country::parse(raw).ok().as_ref().map(Country::as_str),
            expected
        );
    }

    #[test]
    fn the_country_list_is_sorted_and_unique_for_binary_search() {
        assert!(ISO_3166_ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ISO_3166_ALPHA2
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[rstest]
    #[case::ordinary("1990-04-23", true)]
    #[case::today("2026-12-01", true)]
    #[case::leap_day("2000-02-29", true)]
    #[case::oldest_plausible("1896-01-01", true)]
    #[case::tomorrow("2026-12-02", false)]
    #[case::too_old("1895-12-31", false)]
    #[case::not_a_leap_year("2001-02-29", false)]
    #[case::month_13("1990-13-01", false)]
    #[case::unpadded("1990-4-23", false)]
    #[case::other_order("23.04.1990", false)]
    #[case::empty("", false)]
    fn date_of_birth_parsing(#[case] raw: &str, #[case] valid: bool) {
        let parsed = DateOfBirth::parse(raw, day("2026-12-01"));
        assert_eq!(parsed.is_ok(), valid, "{parsed:?}");
        if let Err(e) = parsed {
            assert_eq!(e.field, "dateOfBirth");
        }
    }

    #[rstest]
    #[case::object(serde_json::json!({"team": "treasury"}), true)]
    #[case::empty_object(serde_json::json!({}), true)]
    #[case::array(serde_json::json!(["a"]), false)]
    #[case::string(serde_json::json!("a"), false)]
    #[case::null(serde_json::Value::Null, false)]
    #[case::too_large(serde_json::json!({"x": "y".repeat(JsonObject::MAX_BYTES)}), false)]
    fn json_object_parsing(#[case] value: serde_json::Value, #[case] valid: bool) {
        assert_eq!(JsonObject::parse("metadata", value).is_ok(), valid);
    }

    #[rstest]
    #[case("unverified")]
    #[case("pending")]
    #[case("verified")]
    #[case("rejected")]
    #[case("suspended")]
    fn verification_status_round_trips(#[case] text: &str) {
        assert_eq!(VerificationStatus::parse(text).unwrap().as_str(), text);
    }

    fn fact(kind: VerificationType, status: KycStatus, expires_in_days: Option<i64>) -> KycFact {
        KycFact {
            kind,
            status,
            expires_at: expires_in_days.map(|d| now() + Duration::days(d)),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    use KycStatus::{Approved, Expired, Pending, Rejected};
    use VerificationStatus as S;
    use VerificationType::{Biometric, GovernmentId, ProofOfAddress, Selfie};

    #[rstest]
    #[case::nothing(false, vec![], S::Unverified, 0)]
    #[case::submitted(false, vec![fact(GovernmentId, Pending, None)], S::Pending, 0)]
    #[case::approved_id(false, vec![fact(GovernmentId, Approved, None)], S::Verified, 1)]
    #[case::id_and_address(false, vec![fact(GovernmentId, Approved, None), fact(ProofOfAddress, Approved, Some(30))], S::Verified, 2)]
    #[case::all_three(false, vec![fact(GovernmentId, Approved, None), fact(ProofOfAddress, Approved, None), fact(Selfie, Approved, None)], S::Verified, 3)]
    #[case::biometric_counts_as_selfie(false, vec![fact(GovernmentId, Approved, None), fact(ProofOfAddress, Approved, None), fact(Biometric, Approved, None)], S::Verified, 3)]
    #[case::address_without_id_proves_nothing(false, vec![fact(ProofOfAddress, Approved, None)], S::Unverified, 0)]
    #[case::selfie_without_address_stops_at_1(false, vec![fact(GovernmentId, Approved, None), fact(Selfie, Approved, None)], S::Verified, 1)]
    #[case::more_pending_while_verified(false, vec![fact(GovernmentId, Approved, None), fact(ProofOfAddress, Pending, None)], S::Pending, 1)]
    #[case::rejected(false, vec![fact(GovernmentId, Rejected, None)], S::Rejected, 0)]
    #[case::rejected_then_approved(false, vec![fact(GovernmentId, Rejected, None), fact(GovernmentId, Approved, None)], S::Verified, 1)]
    #[case::expired_status(false, vec![fact(GovernmentId, Expired, None)], S::Unverified, 0)]
    #[case::approved_but_past_its_expiry(false, vec![fact(GovernmentId, Approved, Some(-1))], S::Unverified, 0)]
    #[case::address_expiry_lowers_to_1(false, vec![fact(GovernmentId, Approved, None), fact(ProofOfAddress, Expired, None), fact(Selfie, Approved, None)], S::Verified, 1)]
    #[case::suspended_keeps_level(true, vec![fact(GovernmentId, Approved, None)], S::Suspended, 1)]
    #[case::suspended_even_when_pending(true, vec![fact(GovernmentId, Pending, None)], S::Suspended, 0)]
    fn standing(
        #[case] suspended: bool,
        #[case] facts: Vec<KycFact>,
        #[case] status: VerificationStatus,
        #[case] level: u8,
    ) {
        let standing = KycStanding::derive(suspended, &facts, now());
        assert_eq!(
            (standing.status, standing.level.value()),
            (status, level),
            "{facts:?}"
        );
    }
}
