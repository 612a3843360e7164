//! Session tokens and their lifetime rules.

use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::CryptoRng;
use sha3::{Digest, Sha3_256};
use std::fmt;

/// Random bytes in a session token: 256 bits, beyond any guessing attack.
pub const TOKEN_BYTES: usize = 32;

/// A bearer token as handed to the client. Only its [`TokenHash`] is ever stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken(Secret);

impl SessionToken {
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token presented by a client. Shape is not checked here: an unknown token simply
    /// has no matching hash.
    pub fn from_presented(token: String) -> Self {
        Self(Secret::new(token))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.0.expose().as_bytes())
    }
}

/// SHA3-256 of a token, lower-case hex, as stored in `multipass_sessions.token_hash`.
/// A fast hash is right here (unlike for passwords): the token already carries 256 bits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha3_256::digest(bytes)))
    }

    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The first bytes are enough to correlate log lines without making them a lookup key.
        write!(f, "TokenHash({}…)", &self.0[..self.0.len().min(8)])
    }
}

/// How often `last_seen_at` is written at most. Bumping it on every request would turn
/// every read into a write on a row many requests share; a minute's precision is plenty for
/// an idle timeout counted in minutes.
pub const LAST_SEEN_GRANULARITY: Duration = Duration::seconds(60);

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Hard limit from sign-in, whatever the activity.
    pub absolute_lifetime: Duration,
    /// A session unused for this long ends; `None` lets it live until its absolute limit.
    pub idle_timeout: Option<Duration>,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            absolute_lifetime: Duration::hours(12),
            idle_timeout: Some(Duration::minutes(30)),
        }
    }
}

impl SessionPolicy {
    pub fn expires_at(&self, signed_in_at: DateTime<Utc>) -> DateTime<Utc> {
        signed_in_at + self.absolute_lifetime
    }

    /// Sessions last seen at or before this instant are idle and no longer authenticate.
    /// `None` when there is no idle timeout. The store applies it in its query.
    pub fn idle_cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.idle_timeout.map(|idle| now - idle)
    }

    /// Whether a session last seen at `last_seen_at` should have that time moved to `now`.
    pub fn needs_touch(last_seen_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen_at >= LAST_SEEN_GRANULARITY
    }

    /// Whether a session is still usable at `now`, counting its idle time too.
    pub fn is_usable(
        &self,
        expires_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        Self::is_active(expires_at, revoked_at, now)
            && self
                .idle_cutoff(now)
                .is_none_or(|cutoff| last_seen_at > cutoff)
    }

    /// Whether a stored session still authenticates its bearer at `now`.
    pub fn is_active(
        expires_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        revoked_at.is_none() && now < expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rstest::rstest;

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = SessionToken::generate(&mut rng);
        let b = SessionToken::generate(&mut rng);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose()).unwrap().len(), 32);
        assert_ne!(a, b);
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn token_hash_is_sha3_256_hex() {
        // SHA3-256("abc") from FIPS 202's example values.
        assert_eq!(
            TokenHash::of(b"abc").as_str(),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        );
        let token = SessionToken::from_presented("abc".into());
        assert_eq!(token.hash(), TokenHash::of(b"abc"));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = SessionToken::from_presented("super-secret-token".into());
        assert!(!format!("{token:?}").contains("super-secret"));
    }

    #[rstest]
    #[case::fresh(0, None, true)]
    #[case::one_second_before_expiry(43_199, None, true)]
    #[case::at_expiry(43_200, None, false)]
    #[case::revoked(10, Some(5), false)]
    fn session_activity(
        #[case] seconds_after_sign_in: i64,
        #[case] revoked_after: Option<i64>,
        #[case] active: bool,
    ) {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let expires = SessionPolicy::default().expires_at(start);
        let revoked = revoked_after.map(|s| start + Duration::seconds(s));
        let now = start + Duration::seconds(seconds_after_sign_in);
        assert_eq!(SessionPolicy::is_active(expires, revoked, now), active);
    }

    #[rstest]
    #[case::just_used(0, Some(30), true)]
    #[case::idle_just_under(29, Some(30), true)]
    #[case::idle_exactly(30, Some(30), false)]
    #[case::idle_long(600, Some(30), false)]
    #[case::no_idle_timeout(600, None, true)]
    #[case::no_idle_timeout_but_expired(720, None, false)]
    fn idle_timeout(
        #[case] idle_minutes: i64,
        #[case] timeout_minutes: Option<i64>,
        #[case] usable: bool,
    ) {
        let policy = SessionPolicy {
            absolute_lifetime: Duration::hours(12),
            idle_timeout: timeout_minutes.map(Duration::minutes),
        };
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let now = start + Duration::minutes(idle_minutes);
        assert_eq!(
            policy.is_usable(policy.expires_at(start), start, None, now),
            usable
        );
    }

    #[rstest]
    #[case::same_instant(0, false)]
    #[case::under_a_minute(59, false)]
    #[case::a_minute(60, true)]
    #[case::later(3_600, true)]
    fn last_seen_is_written_at_most_once_a_minute(#[case] seconds: i64, #[case] touch: bool) {
        let seen = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(
            SessionPolicy::needs_touch(seen, seen + Duration::seconds(seconds)),
            touch
        );
    }
}
