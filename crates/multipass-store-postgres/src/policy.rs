//! `security_policy`: the deployment's one policy row (schema version 7), read together
//! with the database's clock.

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::IdentityId;
use multipass_domain::policy::SecurityPolicy;
use multipass_store::{SharedPolicyStore, StoreError, StoredPolicy};
use uuid::Uuid;

/// The columns both statements answer, as a macro so that each statement stays one literal.
macro_rules! policy_columns {
    () => {
        "max_failed_sign_ins, lockout_minutes, session_hours, session_idle_minutes, \
         pass_challenge_seconds, report_timeout_seconds, sign_in_failures_per_username, \
         sign_in_failures_per_address, sign_in_failure_window_minutes, updated_at, updated_by, \
         now() AS database_now"
    };
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    max_failed_sign_ins: i32,
    lockout_minutes: i32,
    session_hours: i32,
    session_idle_minutes: i32,
    pass_challenge_seconds: i32,
    report_timeout_seconds: i32,
    sign_in_failures_per_username: i32,
    sign_in_failures_per_address: i32,
    sign_in_failure_window_minutes: i32,
    updated_at: DateTime<Utc>,
    updated_by: Option<Uuid>,
    database_now: DateTime<Utc>,
}

impl TryFrom<PolicyRow> for StoredPolicy {
    type Error = StoreError;

    fn try_from(row: PolicyRow) -> Result<Self, StoreError> {
        let whole = |value: i32| {
            u32::try_from(value)
                .map_err(|_| StoreError::Corrupt(format!("security_policy holds {value}")))
        };
        let policy = SecurityPolicy {
            max_failed_sign_ins: whole(row.max_failed_sign_ins)?,
            lockout_minutes: whole(row.lockout_minutes)?,
            session_hours: whole(row.session_hours)?,
            session_idle_minutes: whole(row.session_idle_minutes)?,
            pass_challenge_seconds: whole(row.pass_challenge_seconds)?,
            report_timeout_seconds: whole(row.report_timeout_seconds)?,
            sign_in_failures_per_username: whole(row.sign_in_failures_per_username)?,
            sign_in_failures_per_address: whole(row.sign_in_failures_per_address)?,
            sign_in_failure_window_minutes: whole(row.sign_in_failure_window_minutes)?,
        };
        policy
            .check()
            .map_err(|e| StoreError::Corrupt(format!("security_policy: {e}")))?;
        Ok(Self {
            policy,
            updated_at: row.updated_at,
            updated_by: row.updated_by.map(IdentityId::from_uuid),
            database_now: row.database_now,
        })
    }
}

/// The table holds exactly one row from its migration on; none means it was tampered with.
fn the_row(row: Option<PolicyRow>) -> Result<StoredPolicy, StoreError> {
    row.ok_or_else(|| {
        StoreError::Corrupt("security_policy has no row; run `multipass migrate`".into())
    })?
    .try_into()
}

fn column(value: u32) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::ConstraintViolated {
        constraint: "security_policy ranges".into(),
    })
}

#[async_trait]
impl SharedPolicyStore for PgStore {
    async fn security_policy(&self) -> Result<StoredPolicy, StoreError> {
        let row: Option<PolicyRow> = sqlx::query_as(concat!(
            "SELECT ",
            policy_columns!(),
            " FROM security_policy"
        ))
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        the_row(row)
    }

    async fn replace_security_policy(
        &self,
        policy: &SecurityPolicy,
        by: IdentityId,
    ) -> Result<StoredPolicy, StoreError> {
        let row: Option<PolicyRow> = sqlx::query_as(concat!(
            "UPDATE security_policy SET max_failed_sign_ins = $1, lockout_minutes = $2, \
             session_hours = $3, session_idle_minutes = $4, pass_challenge_seconds = $5, \
             report_timeout_seconds = $6, sign_in_failures_per_username = $7, \
             sign_in_failures_per_address = $8, sign_in_failure_window_minutes = $9, \
             updated_at = now(), updated_by = $10 RETURNING ",
            policy_columns!()
        ))
        .bind(column(policy.max_failed_sign_ins)?)
        .bind(column(policy.lockout_minutes)?)
        .bind(column(policy.session_hours)?)
        .bind(column(policy.session_idle_minutes)?)
        .bind(column(policy.pass_challenge_seconds)?)
        .bind(column(policy.report_timeout_seconds)?)
        .bind(column(policy.sign_in_failures_per_username)?)
        .bind(column(policy.sign_in_failures_per_address)?)
        .bind(column(policy.sign_in_failure_window_minutes)?)
        .bind(by.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        the_row(row)
    }
}
