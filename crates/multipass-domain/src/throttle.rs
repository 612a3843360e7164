//! Failed sign-ins counted per username and per source address, on top of the account
//! lockout: the lockout protects one account, these slow down guessing across accounts
//! (one address trying many names) and against names that have no account to lock.
//! Keycloak's brute-force detection is the model; its defaults (30 failures, waits up to
//! 15 minutes) set the per-username limit.
//!
//! Each key counts failures in a fixed window that starts at its first failure: once the
//! window has passed, the next failure starts a new one. At the limit, sign-ins for that
//! key are refused until the window ends. The store applies the window in one atomic
//! statement with the cutoff this module computes, so concurrent failures on several
//! server instances all count.

use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;

/// How many failures a key may have within one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimit {
    pub max_failures: u32,
    pub window: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInThrottle {
    pub per_username: ThrottleLimit,
    pub per_source: ThrottleLimit,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self {
            per_username: ThrottleLimit {
                max_failures: 30,
                window: Duration::minutes(15),
            },
            // An office behind one NAT address shares this, so it is generous; it stops a
            // single machine spraying passwords over many names.
            per_source: ThrottleLimit {
                max_failures: 100,
                window: Duration::minutes(15),
            },
        }
    }
}

/// What failures are counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThrottleKey {
    /// The name as typed, trimmed and lower-cased, whether or not an account has it.
    Username(String),
    /// The address the request came from; IPv6 addresses by their /64, which one host
    /// usually holds whole.
    Source(IpAddr),
}

impl ThrottleKey {
    pub fn username(typed: &str) -> Self {
        Self::Username(typed.trim().to_lowercase())
    }

    /// The stored form: `user:<name>` or `addr:<address>`.
    pub fn stored(&self) -> String {
        match self {
            Self::Username(name) => format!("user:{name}"),
            Self::Source(IpAddr::V4(v4)) => format!("addr:{v4}"),
            Self::Source(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => format!("addr:{v4}"),
                None => {
                    let s = v6.segments();
                    format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

/// A key's failures in its current window, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    pub failures: u32,
    pub started_at: DateTime<Utc>,
}

impl SignInThrottle {
    pub fn limit(&self, key: &ThrottleKey) -> ThrottleLimit {
        match key {
            ThrottleKey::Username(_) => self.per_username,
            ThrottleKey::Source(_) => self.per_source,
        }
    }

    /// Seconds until `key` may try again, or `None` when it may now.
    pub fn retry_after(
        &self,
        key: &ThrottleKey,
        window: Option<FailureWindow>,
        now: DateTime<Utc>,
    ) -> Option<u32> {
        let window = window?;
        let limit = self.limit(key);
        let ends = window.started_at + limit.window;
        if window.failures < limit.max_failures || ends <= now {
            return None;
        }
        // Whole seconds, rounded up: a wait shown as shorter than it is would be refused.
        let seconds = ((ends - now).num_milliseconds() + 999)
            .div_euclid(1000)
            .max(1);
        Some(u32::try_from(seconds).unwrap_or(u32::MAX))
    }

    /// Windows that started at or before this instant have passed: the store starts a new
    /// one at the next failure.
    pub fn window_cutoff(&self, key: &ThrottleKey, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.limit(key).window
    }

    /// Counts whose window started at or before this have ended under either limit.
    pub fn ended_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.per_username.window.max(self.per_source.window)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    #[rstest]
    #[case::nothing_yet(None, 0, None)]
    #[case::under_the_limit(Some((29, 0)), 60, None)]
    #[case::at_the_limit(Some((30, 0)), 60, Some(840))]
    #[case::over_the_limit(Some((31, 0)), 899, Some(1))]
    #[case::window_over(Some((30, 0)), 900, None)]
    fn the_username_limit_refuses_until_the_window_ends(
        #[case] stored: Option<(u32, i64)>,
        #[case] now: i64,
        #[case] expected: Option<u32>,
    ) {
        let throttle = SignInThrottle::default();
        let window = stored.map(|(failures, start)| FailureWindow {
            failures,
            started_at: at(start),
        });
        let key = ThrottleKey::username("Ada");
        assert_eq!(throttle.retry_after(&key, window, at(now)), expected);
        assert_eq!(throttle.window_cutoff(&key, at(now)), at(now - 900));
    }

    #[test]
    fn keys_name_their_kind_and_group_ipv6_by_its_prefix() {
        assert_eq!(ThrottleKey::username("  Ada ").stored(), "user:ada");
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(ThrottleKey::Source(v4).stored(), "addr:203.0.113.9");
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(ThrottleKey::Source(mapped).stored(), "addr:203.0.113.9");
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(
            ThrottleKey::Source(a).stored(),
            ThrottleKey::Source(b).stored()
        );
        assert_eq!(ThrottleKey::Source(a).stored(), "addr:2001:db8:1:2::/64");
        let limits = SignInThrottle::default();
        assert_eq!(limits.limit(&ThrottleKey::Source(a)).max_failures, 100);
    }
}
