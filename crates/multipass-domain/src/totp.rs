//! TOTP (RFC 6238): HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch.
//!
//! These are the parameters every authenticator app supports; several apps ignore the
//! `algorithm`, `digits` and `period` fields of an otpauth URI and assume exactly these, so
//! anything else would produce codes that silently never match.
//!
//! Acceptance is a pure decision ([`verify`]) over the secret, the code, the time and the
//! last step accepted for the account. The store runs it under a row lock and records the
//! step it returns, which is what makes each code single-use.

use crate::secret::Secret;
use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use qrcode::QrCode;
use qrcode::render::svg;
use rand::CryptoRng;
use sha1::Sha1;
use std::fmt;
use zeroize::Zeroizing;

/// Length of a code.
pub const DIGITS: usize = 6;

/// Length of a time step, in seconds.
pub const STEP_SECONDS: u64 = 30;

/// Size of a generated secret: 160 bits, the length RFC 4226 recommends and the output size
/// of SHA-1, so HMAC uses the key without hashing or padding surprises across apps.
pub const SECRET_BYTES: usize = 20;

/// Steps either side of the current one that are still accepted. RFC 6238 section 5.2
/// recommends at most one step of allowance for clock drift and the time it takes to type.
pub const ACCEPTED_DRIFT_STEPS: u64 = 1;

/// A shared TOTP secret. `Debug` is redacted and the bytes are wiped on drop.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<[u8; SECRET_BYTES]>);

impl TotpSecret {
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(Zeroizing::new(bytes))
    }

    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Parses a secret written in base32, as shown to users and stored. Case and white space
    /// are ignored because people copy secrets by hand, often from grouped displays.
    pub fn parse(raw: &str) -> Result<Self, TotpSetupError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            raw.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let decoded = Zeroizing::new(
            BASE32_NOPAD
                .decode(cleaned.as_bytes())
                .map_err(|_| TotpSetupError::InvalidSecret)?,
        );
        let bytes: [u8; SECRET_BYTES] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| TotpSetupError::InvalidSecret)?;
        Ok(Self(Zeroizing::new(bytes)))
    }

    /// Base32 without padding (32 characters for 160 bits), the form authenticator apps
    /// accept when a secret is typed instead of scanned.
    pub fn to_base32(&self) -> Secret {
        Secret::new(BASE32_NOPAD.encode(&*self.0))
    }

    /// The raw key; the name makes every use easy to audit.
    pub fn expose(&self) -> &[u8; SECRET_BYTES] {
        &self.0
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

/// Why a secret could not be parsed or enrolment data could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpSetupError {
    #[error("That is not a valid authenticator secret.")]
    InvalidSecret,
    #[error("The issuer and account name must be non-empty and contain no colon.")]
    InvalidLabel,
    #[error("The QR code could not be drawn: {0}")]
    QrCode(String),
}

/// Why a code was not accepted. `Incorrect` and `Reused` are distinct so the store can log
/// them apart; the user may well be shown the same message for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("Enter the {DIGITS}-digit code from your authenticator app.")]
    Malformed,
    #[error("That code is not correct.")]
    Incorrect,
    #[error("That code has already been used. Wait for the next one.")]
    Reused,
}

/// The `otpauth://` URI that authenticator apps read from a QR code (Google's Key Uri
/// Format). It contains the secret, hence the return type.
///
/// The issuer goes both in the label and in the `issuer` parameter: older apps read only the
/// former, newer ones prefer the latter. Neither part may contain a colon, because apps
/// split the decoded label at the first one.
pub fn otpauth_uri(
    secret: &TotpSecret,
    issuer: &str,
    account: &str,
) -> Result<Secret, TotpSetupError> {
    if issuer.is_empty() || account.is_empty() || issuer.contains(':') || account.contains(':') {
        return Err(TotpSetupError::InvalidLabel);
    }
    let issuer = percent_encode(issuer);
    let account = percent_encode(account);
    let secret = secret.to_base32();
    Ok(Secret::new(format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        secret.expose()
    )))
}

/// Renders an otpauth URI as an SVG QR code. The image carries the secret just as the URI
/// does: it is for the enrolment screen only, never for logs or caches.
pub fn qr_svg(uri: &Secret) -> Result<String, TotpSetupError> {
    let code =
        QrCode::new(uri.expose().as_bytes()).map_err(|e| TotpSetupError::QrCode(e.to_string()))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build())
}

/// The time step containing `time`. Instants before the epoch (a badly wrong clock) count as
/// step 0 rather than failing: no code from that step is ever accepted in practice.
pub fn step_of(time: DateTime<Utc>) -> u64 {
    u64::try_from(time.timestamp()).unwrap_or(0) / STEP_SECONDS
}

/// The code for `step`, zero-padded to [`DIGITS`] digits.
pub fn code_at(secret: &TotpSecret, step: u64) -> String {
    hotp_digits(secret.expose(), step, DIGITS)
}

/// Decides whether `code` is acceptable at `now`, and if so returns the step it belongs to,
/// which the caller must record as the new last accepted step.
///
/// A code is accepted for the current step or one step either side. A code whose step is at
/// or before `last_accepted_step` is refused as reused: RFC 6238 section 5.2 forbids accepting
/// the same code twice, and refusing older steps too means a code seen over someone's
/// shoulder is worthless once a later one has been used.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: DateTime<Utc>,
    last_accepted_step: Option<u64>,
) -> Result<u64, TotpError> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Malformed);
    }
    let current = step_of(now);
    let mut fresh = None;
    let mut reused = false;
    // Every step in the window is computed and compared, with no early exit, so the time
    // taken does not depend on which step (if any) matched.
    for step in current.saturating_sub(ACCEPTED_DRIFT_STEPS)..=current + ACCEPTED_DRIFT_STEPS {
        let expected = Zeroizing::new(code_at(secret, step));
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            if last_accepted_step.is_some_and(|last| step <= last) {
                reused = true;
            } else {
                // Ascending order, so when two steps share a code (one chance in a million)
                // the later step wins and the reuse barrier moves as far as possible.
                fresh = Some(step);
            }
        }
    }
    match (fresh, reused) {
        (Some(step), _) => Ok(step),
        (None, true) => Err(TotpError::Reused),
        (None, false) => Err(TotpError::Incorrect),
    }
}

/// HOTP (RFC 4226 section 5.3) truncated to `digits` decimal digits, zero-padded. Takes any
/// key and digit count so the RFC test vectors, which use 8 digits, can be checked in full.
pub(crate) fn hotp_digits(key: &[u8], counter: u64, digits: usize) -> String {
    debug_assert!((1..=9).contains(&digits), "31 bits hold at most 9 digits");
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        // HMAC accepts keys of any length (long ones are hashed first), so this never runs.
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let modulus = 10u32.pow(u32::try_from(digits).unwrap_or(9));
    format!("{:0digits$}", binary % modulus)
}

/// Compares two byte strings in time that depends only on their lengths, so a guesser cannot
/// learn how many leading digits were right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Percent-encodes everything outside RFC 3986's unreserved set, byte by byte over UTF-8.
/// Spaces become `%20`, never `+`, which the Key Uri Format calls out explicitly.
fn percent_encode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rstest::rstest;

    /// The key of RFC 4226 Appendix D and of the SHA-1 rows of RFC 6238 Appendix B.
    const RFC_KEY: &[u8; 20] = b"12345678901234567890";

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*RFC_KEY)
    }

    fn at(unix_seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(unix_seconds, 0).unwrap()
    }

    #[rstest]
    #[case(0, "755224")]
    #[case(1, "287082")]
    #[case(2, "359152")]
    #[case(3, "969429")]
    #[case(4, "338314")]
    #[case(5, "254676")]
    #[case(6, "287922")]
    #[case(7, "162583")]
    #[case(8, "399871")]
    #[case(9, "520489")]
    fn rfc_4226_hotp_vectors(#[case] counter: u64, #[case] expected: &str) {
        assert_eq!(hotp_digits(RFC_KEY, counter, 6), expected);
        assert_eq!(code_at(&rfc_secret(), counter), expected);
    }

    #[rstest]
    #[case(59, 1, "94287082")]
    #[case(1_111_111_109, 37_037_036, "07081804")]
    #[case(1_111_111_111, 37_037_037, "14050471")]
    #[case(1_234_567_890, 41_152_263, "89005924")]
    #[case(2_000_000_000, 66_666_666, "69279037")]
    #[case(20_000_000_000, 666_666_666, "65353130")]
    fn rfc_6238_sha1_vectors(
        #[case] unix_seconds: i64,
        #[case] step: u64,
        #[case] eight_digits: &str,
    ) {
        let time = at(unix_seconds);
        assert_eq!(step_of(time), step);
        assert_eq!(hotp_digits(RFC_KEY, step, 8), eight_digits);
        assert_eq!(code_at(&rfc_secret(), step), eight_digits[2..]);
        assert_eq!(
            verify(&rfc_secret(), &eight_digits[2..], time, None),
            Ok(step)
        );
    }

    #[rstest]
    #[case::epoch(0, 0)]
    #[case::end_of_first_step(29, 0)]
    #[case::start_of_second_step(30, 1)]
    #[case::end_of_second_step(59, 1)]
    #[case::before_the_epoch(-1, 0)]
    fn steps_are_30_seconds_from_the_epoch(#[case] unix_seconds: i64, #[case] step: u64) {
        assert_eq!(step_of(at(unix_seconds)), step);
    }

    #[test]
    fn codes_are_zero_padded() {
        // RFC 6238's vector at 1111111109 has a leading zero in its 8-digit form.
        assert_eq!(hotp_digits(RFC_KEY, 37_037_036, 8), "07081804");
        let mut rng = StdRng::seed_from_u64(3);
        let secret = TotpSecret::generate(&mut rng);
        for step in 0..2_000 {
            let code = code_at(&secret, step);
            assert_eq!(code.len(), DIGITS, "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
    }

    #[rstest]
    #[case::two_steps_behind(-2, false)]
    #[case::one_step_behind(-1, true)]
    #[case::current_step(0, true)]
    #[case::one_step_ahead(1, true)]
    #[case::two_steps_ahead(2, false)]
    fn drift_of_one_step_is_accepted(#[case] offset: i64, #[case] accepted: bool) {
        let secret = rfc_secret();
        // Mid-step, so the outcome cannot depend on rounding at a step boundary.
        let now = at(1_700_000_015);
        let current = step_of(now);
        let step = current.checked_add_signed(offset).unwrap();
        let expected = if accepted {
            Ok(step)
        } else {
            Err(TotpError::Incorrect)
        };
        assert_eq!(
            verify(&secret, &code_at(&secret, step), now, None),
            expected
        );
        // The edges of the current step behave the same way.
        let step_start = at(i64::try_from(current * STEP_SECONDS).unwrap());
        let step_end = step_start + Duration::seconds(29);
        for now in [step_start, step_end] {
            assert_eq!(
                verify(&secret, &code_at(&secret, step), now, None),
                expected
            );
        }
    }

    #[rstest]
    #[case::nothing_accepted_yet(None, Ok(0))]
    #[case::an_older_step_accepted(Some(-1), Ok(0))]
    #[case::this_step_accepted(Some(0), Err(TotpError::Reused))]
    #[case::a_later_step_accepted(Some(1), Err(TotpError::Reused))]
    fn codes_at_or_before_the_last_accepted_step_are_reused(
        #[case] last_accepted: Option<i64>,
        #[case] expected: Result<i64, TotpError>,
    ) {
        let secret = rfc_secret();
        let now = at(1_700_000_015);
        let current = step_of(now);
        let relative = |offset: i64| current.checked_add_signed(offset).unwrap();
        assert_eq!(
            verify(
                &secret,
                &code_at(&secret, current),
                now,
                last_accepted.map(relative)
            ),
            expected.map(relative)
        );
    }

    #[test]
    fn each_code_is_accepted_once_and_older_codes_die_with_it() {
        let secret = rfc_secret();
        let now = at(1_700_000_015);
        let current = step_of(now);
        let ahead = code_at(&secret, current + 1);
        let accepted = verify(&secret, &ahead, now, None).unwrap();
        assert_eq!(accepted, current + 1);
        assert_eq!(
            verify(&secret, &ahead, now, Some(accepted)),
            Err(TotpError::Reused)
        );
        for older in [current - 1, current] {
            assert_eq!(
                verify(&secret, &code_at(&secret, older), now, Some(accepted)),
                Err(TotpError::Reused)
            );
        }
        // Once time moves on, the next step's code is fresh again.
        let later = now + Duration::seconds(60);
        assert_eq!(
            verify(
                &secret,
                &code_at(&secret, current + 2),
                later,
                Some(accepted)
            ),
            Ok(current + 2)
        );
    }

    #[test]
    fn a_wrong_code_is_incorrect() {
        let secret = rfc_secret();
        let now = at(1_700_000_015);
        let window: Vec<String> = (step_of(now) - 1..=step_of(now) + 1)
            .map(|step| code_at(&secret, step))
            .collect();
        let wrong = (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|code| !window.contains(code))
            .unwrap();
        assert_eq!(
            verify(&secret, &wrong, now, None),
            Err(TotpError::Incorrect)
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::five_digits("12345")]
    #[case::seven_digits("1234567")]
    #[case::letter("12345a")]
    #[case::leading_space(" 123456")]
    #[case::inner_space("123 456")]
    #[case::sign("+12345")]
    #[case::arabic_indic_digits("١٢٣٤٥٦")]
    #[case::fullwidth_digits("１２３４５６")]
    fn codes_that_are_not_six_ascii_digits_are_malformed(#[case] code: &str) {
        let now = at(1_700_000_015);
        assert_eq!(
            verify(&rfc_secret(), code, now, None),
            Err(TotpError::Malformed)
        );
    }

    #[test]
    fn generated_secrets_are_160_random_bits() {
        let mut rng = StdRng::seed_from_u64(11);
        let a = TotpSecret::generate(&mut rng);
        let b = TotpSecret::generate(&mut rng);
        assert_ne!(a.expose(), b.expose());
        let base32 = a.to_base32();
        assert_eq!(base32.expose().len(), 32);
        assert!(!base32.expose().contains('='));
        assert_eq!(
            TotpSecret::parse(base32.expose()).unwrap().expose(),
            a.expose()
        );
    }

    #[rstest]
    #[case::canonical("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")]
    #[case::lower_case("gezdgnbvgy3tqojqgezdgnbvgy3tqojq")]
    #[case::grouped_with_spaces("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")]
    #[case::surrounding_white_space(" \tGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n")]
    fn secrets_parse_ignoring_case_and_spaces(#[case] raw: &str) {
        assert_eq!(TotpSecret::parse(raw).unwrap().expose(), RFC_KEY);
    }

    #[rstest]
    #[case::empty("")]
    #[case::too_short("GEZDGNBVGY3TQOJQ")]
    #[case::too_long("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBV")]
    #[case::not_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1")]
    #[case::hyphenated("GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ")]
    fn malformed_secrets_are_refused(#[case] raw: &str) {
        assert_eq!(
            TotpSecret::parse(raw).unwrap_err(),
            TotpSetupError::InvalidSecret
        );
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes in proptest::array::uniform20(any::<u8>()), lower in any::<bool>()) {
            let secret = TotpSecret::from_bytes(bytes);
            let encoded = secret.to_base32();
            let shown = if lower {
                encoded.expose().to_lowercase()
            } else {
                encoded.expose().to_owned()
            };
            let parsed = TotpSecret::parse(&shown).unwrap();
            prop_assert_eq!(parsed.expose(), &bytes);
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let secret = rfc_secret();
        let debug = format!("{secret:?}");
        assert_eq!(debug, "TotpSecret([redacted])");
        assert!(!format!("{:?}", secret.to_base32()).contains("GEZD"));
    }

    #[test]
    fn otpauth_uri_follows_the_key_uri_format() {
        let uri = otpauth_uri(&rfc_secret(), "Multipass", "ada@example.com").unwrap();
        assert_eq!(
            uri.expose(),
            "otpauth://totp/Multipass:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Multipass&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{uri:?}"), "[redacted]");
    }

    #[rstest]
    #[case::space_is_percent_20("Acme Corp", "ada", "Acme%20Corp:ada", "issuer=Acme%20Corp")]
    #[case::unreserved_kept("a-b.c_d~e", "x.y", "a-b.c_d~e:x.y", "issuer=a-b.c_d~e")]
    #[case::reserved_escaped("A&B", "a+b/c?d", "A%26B:a%2Bb%2Fc%3Fd", "issuer=A%26B")]
    #[case::utf8_bytes("Zoë", "Ångström", "Zo%C3%AB:%C3%85ngstr%C3%B6m", "issuer=Zo%C3%AB")]
    fn issuer_and_account_are_percent_encoded(
        #[case] issuer: &str,
        #[case] account: &str,
        #[case] label: &str,
        #[case] issuer_parameter: &str,
    ) {
        let uri = otpauth_uri(&rfc_secret(), issuer, account).unwrap();
        let uri = uri.expose();
        assert!(
            uri.starts_with(&format!("otpauth://totp/{label}?")),
            "{uri}"
        );
        assert!(uri.contains(&format!("&{issuer_parameter}&")), "{uri}");
    }

    #[rstest]
    #[case::empty_issuer("", "ada")]
    #[case::empty_account("Multipass", "")]
    #[case::colon_in_issuer("Multi:pass", "ada")]
    #[case::colon_in_account("Multipass", "ada:admin")]
    fn labels_that_apps_would_misread_are_refused(#[case] issuer: &str, #[case] account: &str) {
        assert_eq!(
            otpauth_uri(&rfc_secret(), issuer, account).unwrap_err(),
            TotpSetupError::InvalidLabel
        );
    }

    #[test]
    fn qr_code_is_an_svg_document() {
        let uri = otpauth_uri(&rfc_secret(), "Multipass", "ada@example.com").unwrap();
        let svg = qr_svg(&uri).unwrap();
        assert!(
            svg.starts_with("<?xml") || svg.starts_with("<svg"),
            "{}",
            &svg[..40]
        );
        assert!(svg.contains("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn constant_time_comparison_is_still_a_comparison() {
        assert!(constant_time_eq(b"123456", b"123456"));
        assert!(!constant_time_eq(b"123456", b"123457"));
        assert!(!constant_time_eq(b"023456", b"123456"));
        assert!(!constant_time_eq(b"12345", b"123456"));
    }
}
