//! The deployment's security policy as admins set it: whole numbers in the units people
//! think in, each within a range that keeps the rule meaningful. On a shared PostgreSQL it
//! is one row of `security_policy` (whose CHECKs repeat these ranges), changed only by
//! admins; a standalone desktop takes it from its settings, which check the same ranges.

use crate::LockoutPolicy;
use crate::pass::PassPolicy;
use crate::session::SessionPolicy;
use crate::throttle::{SignInThrottle, ThrottleLimit};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;
use ts_rs::TS;

pub const MAX_FAILED_SIGN_INS: RangeInclusive<u32> = 1..=100;
/// 0 keeps a locked account locked until an admin unlocks it; at most a year.
pub const LOCKOUT_MINUTES: RangeInclusive<u32> = 0..=525_600;
pub const SESSION_HOURS: RangeInclusive<u32> = 1..=720;
/// 0 turns the idle timeout off.
pub const SESSION_IDLE_MINUTES: RangeInclusive<u32> = 0..=1440;
/// Under 10 s nobody finds and touches their pass in time; over 10 minutes a captured
/// challenge stays useful for too long.
pub const PASS_CHALLENGE_SECONDS: RangeInclusive<u32> = 10..=600;
pub const REPORT_TIMEOUT_SECONDS: RangeInclusive<u32> = 1..=3600;
pub const SIGN_IN_FAILURES: RangeInclusive<u32> = 1..=10_000;
pub const SIGN_IN_FAILURE_WINDOW_MINUTES: RangeInclusive<u32> = 1..=1440;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityPolicy {
    /// Consecutive failed sign-ins that lock an account.
    pub max_failed_sign_ins: u32,
    /// How long a lock lasts; 0 keeps it until an admin unlocks the account.
    pub lockout_minutes: u32,
    /// A session's hard limit from sign-in.
    pub session_hours: u32,
    /// A session unused this long ends; 0 turns this off.
    pub session_idle_minutes: u32,
    /// How long a pass challenge may be answered.
    pub pass_challenge_seconds: u32,
    /// A report query running longer is cancelled.
    pub report_timeout_seconds: u32,
    /// Failed sign-ins allowed per username within one window.
    pub sign_in_failures_per_username: u32,
    /// Failed sign-ins allowed per source address within one window.
    pub sign_in_failures_per_address: u32,
    pub sign_in_failure_window_minutes: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            max_failed_sign_ins: 5,
            lockout_minutes: 15,
            session_hours: 12,
            session_idle_minutes: 30,
            pass_challenge_seconds: 120,
            report_timeout_seconds: 30,
            sign_in_failures_per_username: 30,
            sign_in_failures_per_address: 100,
            sign_in_failure_window_minutes: 15,
        }
    }
}

/// A value outside its range: which field, and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be from {} to {}, got {value}", range.start(), range.end())]
pub struct PolicyValueError {
    pub field: &'static str,
    pub value: u32,
    pub range: RangeInclusive<u32>,
}

/// Checks one setting against its range.
pub fn check_value(
    field: &'static str,
    value: u32,
    range: RangeInclusive<u32>,
) -> Result<u32, PolicyValueError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(PolicyValueError {
            field,
            value,
            range,
        })
    }
}

impl SecurityPolicy {
    /// The first field outside its range, in declaration order.
    pub fn check(&self) -> Result<(), PolicyValueError> {
        check_value(
            "maxFailedSignIns",
            self.max_failed_sign_ins,
            MAX_FAILED_SIGN_INS,
        )?;
        check_value("lockoutMinutes", self.lockout_minutes, LOCKOUT_MINUTES)?;
        check_value("sessionHours", self.session_hours, SESSION_HOURS)?;
        check_value(
            "sessionIdleMinutes",
            self.session_idle_minutes,
            SESSION_IDLE_MINUTES,
        )?;
        check_value(
            "passChallengeSeconds",
            self.pass_challenge_seconds,
            PASS_CHALLENGE_SECONDS,
        )?;
        check_value(
            "reportTimeoutSeconds",
            self.report_timeout_seconds,
            REPORT_TIMEOUT_SECONDS,
        )?;
        check_value(
            "signInFailuresPerUsername",
            self.sign_in_failures_per_username,
            SIGN_IN_FAILURES,
        )?;
        check_value(
            "signInFailuresPerAddress",
            self.sign_in_failures_per_address,
            SIGN_IN_FAILURES,
        )?;
        check_value(
            "signInFailureWindowMinutes",
            self.sign_in_failure_window_minutes,
            SIGN_IN_FAILURE_WINDOW_MINUTES,
        )?;
        Ok(())
    }

    /// The policy that sets `rules`, in whole units (rounded down), for showing rules that
    /// came from elsewhere (a standalone desktop's settings).
    pub fn from_rules(rules: &PolicyRules) -> Self {
        let whole = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        Self {
            max_failed_sign_ins: rules.lockout.max_failed_attempts,
            lockout_minutes: rules
                .lockout
                .unlock_after
                .map_or(0, |d| whole(d.num_minutes())),
            session_hours: whole(rules.session.absolute_lifetime.num_hours()),
            session_idle_minutes: rules
                .session
                .idle_timeout
                .map_or(0, |d| whole(d.num_minutes())),
            pass_challenge_seconds: whole(rules.passes.challenge_ttl.num_seconds()),
            report_timeout_seconds: u32::try_from(rules.report_timeout.as_secs())
                .unwrap_or(u32::MAX),
            sign_in_failures_per_username: rules.throttle.per_username.max_failures,
            sign_in_failures_per_address: rules.throttle.per_source.max_failures,
            sign_in_failure_window_minutes: whole(rules.throttle.per_username.window.num_minutes()),
        }
    }

    /// The rules this policy sets, as the services apply them.
    pub fn rules(&self) -> PolicyRules {
        let minutes = |m: u32| Duration::minutes(i64::from(m));
        let window = minutes(self.sign_in_failure_window_minutes);
        PolicyRules {
            lockout: LockoutPolicy {
                max_failed_attempts: self.max_failed_sign_ins,
                unlock_after: (self.lockout_minutes > 0).then(|| minutes(self.lockout_minutes)),
            },
            session: SessionPolicy {
                absolute_lifetime: Duration::hours(i64::from(self.session_hours)),
                idle_timeout: (self.session_idle_minutes > 0)
                    .then(|| minutes(self.session_idle_minutes)),
            },
            passes: PassPolicy {
                challenge_ttl: Duration::seconds(i64::from(self.pass_challenge_seconds)),
            },
            report_timeout: std::time::Duration::from_secs(u64::from(self.report_timeout_seconds)),
            throttle: SignInThrottle {
                per_username: ThrottleLimit {
                    max_failures: self.sign_in_failures_per_username,
                    window,
                },
                per_source: ThrottleLimit {
                    max_failures: self.sign_in_failures_per_address,
                    window,
                },
            },
        }
    }
}

/// The security rules in force for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyRules {
    pub lockout: LockoutPolicy,
    pub session: SessionPolicy,
    pub passes: PassPolicy,
    pub report_timeout: std::time::Duration,
    pub throttle: SignInThrottle,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_the_rules_default() {
        let rules = SecurityPolicy::default().rules();
        assert_eq!(rules.lockout, LockoutPolicy::default());
        assert_eq!(rules.session, SessionPolicy::default());
        assert_eq!(rules.passes, PassPolicy::default());
        assert_eq!(rules.throttle, SignInThrottle::default());
        assert_eq!(rules.report_timeout, std::time::Duration::from_secs(30));
        assert_eq!(SecurityPolicy::default().check(), Ok(()));
        assert_eq!(
            SecurityPolicy::from_rules(&rules),
            SecurityPolicy::default()
        );
    }

    #[test]
    fn zero_means_off_for_the_lock_lapse_and_the_idle_timeout() {
        let rules = SecurityPolicy {
            lockout_minutes: 0,
            session_idle_minutes: 0,
            ..SecurityPolicy::default()
        }
        .rules();
        assert_eq!(rules.lockout.unlock_after, None);
        assert_eq!(rules.session.idle_timeout, None);
    }

    /// A field's name, how to set it, and a value just below and just above its range.
    type RangeCase = (&'static str, fn(&mut SecurityPolicy, u32), u32, u32);

    #[test]
    fn each_field_is_held_to_its_range() {
        let cases: [RangeCase; 9] = [
            ("maxFailedSignIns", |p, v| p.max_failed_sign_ins = v, 0, 101),
            (
                "lockoutMinutes",
                |p, v| p.lockout_minutes = v,
                525_601,
                525_601,
            ),
            ("sessionHours", |p, v| p.session_hours = v, 0, 721),
            (
                "sessionIdleMinutes",
                |p, v| p.session_idle_minutes = v,
                1441,
                1441,
            ),
            (
                "passChallengeSeconds",
                |p, v| p.pass_challenge_seconds = v,
                9,
                601,
            ),
            (
                "reportTimeoutSeconds",
                |p, v| p.report_timeout_seconds = v,
                0,
                3601,
            ),
            (
                "signInFailuresPerUsername",
                |p, v| p.sign_in_failures_per_username = v,
                0,
                10_001,
            ),
            (
                "signInFailuresPerAddress",
                |p, v| p.sign_in_failures_per_address = v,
                0,
                10_001,
            ),
            (
                "signInFailureWindowMinutes",
                |p, v| p.sign_in_failure_window_minutes = v,
                0,
                1441,
            ),
        ];
        for (field, set, below, above) in cases {
            for value in [below, above] {
                let mut policy = SecurityPolicy::default();
                set(&mut policy, value);
                let err = policy.check().expect_err(field);
                assert_eq!((err.field, err.value), (field, value));
            }
        }
    }
}
