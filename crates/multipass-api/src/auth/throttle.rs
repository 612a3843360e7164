//! Failed password sign-ins limited per username and per source address (see
//! `multipass_domain::throttle`), checked before the password is and counted after a
//! failure, in the database so that every server instance sees the same counts.

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::throttle::ThrottleKey;
use multipass_store::SecurityEventType;

impl MultipassApi {
    /// What a sign-in as `username` counts under: the name, and where it came from.
    pub(crate) fn throttle_keys(username: &str) -> Vec<ThrottleKey> {
        let mut keys = vec![ThrottleKey::username(username)];
        keys.extend(crate::request_source::current().map(ThrottleKey::Source));
        keys
    }

    /// Refuses with `rate_limited` (and how long to wait) while any key is at its limit.
    pub(crate) async fn refuse_if_throttled(&self, keys: &[ThrottleKey]) -> Result<(), ApiError> {
        let stored: Vec<String> = keys.iter().map(ThrottleKey::stored).collect();
        let windows = self.store.sign_in_failures(&stored).await?;
        let now = self.clock.now();
        let throttle = self.rules().await?.throttle;
        let wait = keys
            .iter()
            .zip(&stored)
            .filter_map(|(key, name)| {
                let window = windows.iter().find(|(k, _)| k == name).map(|(_, w)| *w);
                throttle.retry_after(key, window, now)
            })
            .max();
        let Some(seconds) = wait else {
            return Ok(());
        };
        tracing::info!(seconds, "sign-in refused: too many failures");
        self.audit(
            None,
            None,
            SecurityEventType::SignInFailed,
            serde_json::json!({ "reason": "throttled", "retryAfterSeconds": seconds }),
        )
        .await?;
        let minutes = seconds.div_ceil(60);
        Err(ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "Too many failed sign-ins for this account or from this network. Try again in \
                 {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            ),
        )
        .with_retry_after(seconds))
    }

    /// Counts a failure under each key when `outcome` is a refused sign-in.
    pub(crate) async fn count_if_refused<T>(
        &self,
        keys: &[ThrottleKey],
        outcome: &Result<T, ApiError>,
    ) -> Result<(), ApiError> {
        if outcome
            .as_ref()
            .is_err_and(|e| e.code == ErrorCode::InvalidCredentials)
        {
            self.count_failed_sign_in(keys).await?;
        }
        Ok(())
    }

    /// Counts one failed sign-in under each key.
    pub(crate) async fn count_failed_sign_in(&self, keys: &[ThrottleKey]) -> Result<(), ApiError> {
        let now = self.clock.now();
        let throttle = self.rules().await?.throttle;
        let with_cutoffs: Vec<_> = keys
            .iter()
            .map(|key| (key.stored(), throttle.window_cutoff(key, now)))
            .collect();
        self.store
            .record_sign_in_failure(&with_cutoffs, now)
            .await?;
        // Keys whose windows have ended would start anew anyway; without this, names
        // sprayed once each would pile up for ever.
        self.store
            .forget_sign_in_failures(throttle.ended_before(now))
            .await?;
        Ok(())
    }
}
