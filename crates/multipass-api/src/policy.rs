//! Which security rules apply, and what time it is.
//!
//! On a shared PostgreSQL both come from the database: the policy from its
//! `security_policy` row (changed only by admins, through [`MultipassApi::update_security_policy`])
//! and the time from its clock, so that no server, direct-PostgreSQL desktop or CLI bends
//! lockout, session or report rules with its own settings or clock. A standalone desktop
//! on its embedded store is its own authority and uses its settings and system clock.

use crate::caller::Caller;
use crate::{ApiError, Clock, ErrorCode, MultipassApi};
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::Role;
use multipass_domain::policy::{PolicyRules, SecurityPolicy};
use multipass_domain::session::SessionToken;
use multipass_store::audit::SecurityEventType;
use multipass_store::{SharedPolicyStore, StoredPolicy};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ts_rs::TS;

/// How long a server instance applies the policy it last read before reading it again: an
/// admin's change reaches every instance within this time (the instance that made it at
/// once), without a database round trip on every request.
const POLICY_FRESH_FOR: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecurityPolicyView {
    pub policy: SecurityPolicy,
    /// `database`: the shared policy, changed by admins; `settings`: a standalone
    /// desktop's own settings, which this operation cannot change.
    pub source: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<IdentityId>,
}

impl SecurityPolicyView {
    fn from_database(stored: &StoredPolicy) -> Self {
        Self {
            policy: stored.policy,
            source: "database".into(),
            updated_at: Some(stored.updated_at),
            updated_by: stored.updated_by,
        }
    }
}

/// The system clock corrected to the database's: the offset is measured whenever the
/// policy is read, in the same statement.
#[derive(Debug)]
pub struct DatabaseClock {
    local: Arc<dyn Clock>,
    offset_micros: AtomicI64,
}

impl DatabaseClock {
    fn new(local: Arc<dyn Clock>, database_now: DateTime<Utc>) -> Self {
        let clock = Self {
            local,
            offset_micros: AtomicI64::new(0),
        };
        clock.calibrate(database_now);
        clock
    }

    fn calibrate(&self, database_now: DateTime<Utc>) {
        let offset = (database_now - self.local.now())
            .num_microseconds()
            .unwrap_or(i64::MAX);
        self.offset_micros.store(offset, Ordering::Relaxed);
    }
}

impl Clock for DatabaseClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::microseconds(self.offset_micros.load(Ordering::Relaxed));
        self.local.now() + offset
    }
}

/// The policy and clock of a shared database.
#[derive(Debug)]
pub(crate) struct SharedAuthority {
    store: Arc<dyn SharedPolicyStore>,
    clock: Arc<DatabaseClock>,
    last_read: Mutex<(SecurityPolicy, Instant)>,
}

impl SharedAuthority {
    fn remember(&self, stored: &StoredPolicy) {
        self.clock.calibrate(stored.database_now);
        if let Ok(mut last) = self.last_read.lock() {
            *last = (stored.policy, Instant::now());
        }
    }

    async fn policy(&self) -> Result<SecurityPolicy, ApiError> {
        if let Ok(last) = self.last_read.lock()
            && last.1.elapsed() < POLICY_FRESH_FOR
        {
            return Ok(last.0);
        }
        let stored = self.store.security_policy().await?;
        self.remember(&stored);
        Ok(stored.policy)
    }
}

impl MultipassApi {
    /// Takes the security policy and the time from the store when it is a shared
    /// database (the composition every server, desktop and CLI on PostgreSQL uses); on the
    /// embedded store nothing changes. Fails when the policy cannot be read.
    pub async fn with_database_authority(mut self) -> Result<Self, ApiError> {
        let Some(store) = self.store.clone().shared_policy() else {
            return Ok(self);
        };
        let stored = store.security_policy().await?;
        let clock = Arc::new(DatabaseClock::new(self.clock.clone(), stored.database_now));
        self.clock = clock.clone();
        self.shared_authority = Some(Arc::new(SharedAuthority {
            store,
            clock,
            last_read: Mutex::new((stored.policy, Instant::now())),
        }));
        Ok(self)
    }

    /// The security rules in force now.
    pub(crate) async fn rules(&self) -> Result<PolicyRules, ApiError> {
        match &self.shared_authority {
            Some(shared) => Ok(shared.policy().await?.rules()),
            None => Ok(self.policies.rules()),
        }
    }

    /// The security policy in force and where it comes from.
    pub async fn security_policy(
        &self,
        token: &SessionToken,
    ) -> Result<SecurityPolicyView, ApiError> {
        self.caller(token).await?.require(Role::Admin)?;
        match &self.shared_authority {
            Some(shared) => {
                let stored = shared.store.security_policy().await?;
                shared.remember(&stored);
                Ok(SecurityPolicyView::from_database(&stored))
            }
            None => Ok(SecurityPolicyView {
                policy: SecurityPolicy::from_rules(&self.policies.rules()),
                source: "settings".into(),
                updated_at: None,
                updated_by: None,
            }),
        }
    }

    /// Replaces the shared security policy; it applies on this instance at once and on
    /// every other within a few seconds.
    pub async fn update_security_policy(
        &self,
        token: &SessionToken,
        policy: SecurityPolicy,
    ) -> Result<SecurityPolicyView, ApiError> {
        let caller: Caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let Some(shared) = &self.shared_authority else {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "This desktop runs on its own embedded store and takes its security policy \
                 from its settings file; change it there.",
            ));
        };
        policy.check().map_err(|e| {
            ApiError::new(ErrorCode::InvalidInput, format!("{e}.")).with_field(e.field)
        })?;
        let before = shared.store.security_policy().await?;
        let stored = shared
            .store
            .replace_security_policy(&policy, caller.identity_id)
            .await?;
        shared.remember(&stored);
        tracing::info!(admin = %caller.identity_id, "security policy changed");
        self.audit(
            None,
            Some(caller.identity_id),
            SecurityEventType::SecurityPolicyChanged,
            serde_json::json!({ "before": before.policy, "after": stored.policy }),
        )
        .await?;
        Ok(SecurityPolicyView::from_database(&stored))
    }
}
