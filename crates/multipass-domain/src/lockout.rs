//! When repeated wrong passwords lock an account, and when the lock lapses.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failed sign-ins that lock the account.
    pub max_failed_attempts: u32,
    /// How long a lock lasts before the account may try again; `None` keeps it locked until
    /// an administrator unlocks it.
    pub unlock_after: Option<Duration>,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failed_attempts: 5,
            unlock_after: Some(Duration::minutes(15)),
        }
    }
}

impl LockoutPolicy {
    /// Whether an account locked at `locked_at` is still locked at `now`.
    pub fn is_locked(&self, locked_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match locked_at {
            None => false,
            Some(at) => at > self.stale_lock_cutoff(now),
        }
    }

    /// Locks set at or before this instant have lapsed. The store compares against it
    /// inside its atomic update, so the rule lives here and the SQL only applies it.
    pub fn stale_lock_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.unlock_after {
            Some(after) => now - after,
            // Locks never lapse; the epoch (not chrono's MIN) keeps the cutoff within every
            // database's timestamp range.
            None => DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    /// Whether the attempt that brings the count to `failed_attempts` locks the account.
    pub fn locks_at(&self, failed_attempts: u32) -> bool {
        failed_attempts >= self.max_failed_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[rstest]
    #[case::never_locked(None, 0, Some(15), false)]
    #[case::just_locked(Some(0), 0, Some(15), true)]
    #[case::before_lapse(Some(0), 14, Some(15), true)]
    #[case::at_lapse(Some(0), 15, Some(15), false)]
    #[case::admin_only_stays_locked(Some(0), 100_000, None, true)]
    fn lock_state(
        #[case] locked_at: Option<i64>,
        #[case] now: i64,
        #[case] unlock_minutes: Option<i64>,
        #[case] locked: bool,
    ) {
        let policy = LockoutPolicy {
            max_failed_attempts: 5,
            unlock_after: unlock_minutes.map(Duration::minutes),
        };
        assert_eq!(policy.is_locked(locked_at.map(at), at(now)), locked);
    }

    #[rstest]
    #[case(4, false)]
    #[case(5, true)]
    #[case(6, true)]
    fn threshold(#[case] attempts: u32, #[case] locks: bool) {
        assert_eq!(LockoutPolicy::default().locks_at(attempts), locks);
    }
}
