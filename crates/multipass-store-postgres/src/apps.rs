//! Modules, installs and consents on PostgreSQL. A change to a user's standing with a module
//! runs in one transaction that holds the module row `FOR SHARE` (so it cannot be disabled
//! half-way) and a transaction-scoped advisory lock on the (identity, module) pair (so two
//! desktops cannot both decide from the same state). The locks are always taken in that
//! order.

mod sso;

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use multipass_domain::IdentityId;
use multipass_domain::TokenHash;
use multipass_domain::apps::{AppChange, AppState, ModuleName};
use multipass_store::{
    AppChangeApplied, AppChangeOutcome, AppEventCursor, AppEventRecord, AppStore, ModuleChanges,
    ModuleRecord, NewModule, NewSsoKey, NewSsoSession, SsoKeyRecord, SsoSessionOpened,
    SsoSessionRecord, StoreError, app_state_from_stored, next_event_time, plan_app_change,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// The columns of a [`ModuleRecord`], as a macro so that `concat!` builds each query as one
/// literal.
macro_rules! module_columns {
    () => {
        "id, name, display_name, description, category, api_base_url, required_scopes, version, \
         is_enabled, created_at, updated_at"
    };
}

fn module_from_row(row: &PgRow) -> Result<ModuleRecord, sqlx::Error> {
    Ok(ModuleRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        api_base_url: row.try_get("api_base_url")?,
        required_scopes: row.try_get("required_scopes")?,
        version: row.try_get("version")?,
        is_enabled: row.try_get("is_enabled")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn event_from_row(row: &PgRow) -> Result<AppEventRecord, sqlx::Error> {
    Ok(AppEventRecord {
        id: row.try_get("id")?,
        identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
        module_id: row.try_get("module_id")?,
        module_name: row.try_get("module_name")?,
        event_type: row.try_get("event_type")?,
        scope: row.try_get("scope")?,
        action: row.try_get("action")?,
        detail: row.try_get("detail")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Locks the module row for share and the (identity, module) pair, in that order.
pub(crate) async fn lock_pair(
    conn: &mut PgConnection,
    identity: IdentityId,
    module: &ModuleName,
) -> Result<ModuleRecord, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        module_columns!(),
        " FROM application_modules WHERE name = $1 FOR SHARE"
    ))
    .bind(module.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?
    .ok_or(StoreError::NotFound)?;
    let record = module_from_row(&row).map_err(map_err)?;
    // A 64-bit hash of the pair: a collision only makes two unrelated pairs wait for each other.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("application_events:{identity}:{}", record.id))
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
    Ok(record)
}

/// The pair's state and the time of its newest event.
pub(crate) async fn pair_state(
    conn: &mut PgConnection,
    identity: IdentityId,
    module_id: Uuid,
) -> Result<(AppState, Option<DateTime<Utc>>), StoreError> {
    let row = sqlx::query(
        "WITH pair AS (SELECT event_type, scope, created_at, id FROM application_events \
                       WHERE identity_id = $1 AND module_id = $2), \
              consent AS (SELECT event_type, scope FROM pair \
                          WHERE event_type IN ('authorized', 'revoked', 'uninstalled') \
                          ORDER BY created_at DESC, id DESC LIMIT 1) \
         SELECT (SELECT event_type FROM pair WHERE event_type IN ('installed', 'uninstalled') \
                 ORDER BY created_at DESC, id DESC LIMIT 1) AS lifecycle, \
                (SELECT event_type FROM consent) AS consent_type, \
                (SELECT scope FROM consent) AS consent_scope, \
                (SELECT max(created_at) FROM pair) AS newest",
    )
    .bind(identity.as_uuid())
    .bind(module_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    let text = |column: &str| row.try_get::<Option<String>, _>(column).map_err(map_err);
    let state = app_state_from_stored(
        text("lifecycle")?.as_deref(),
        text("consent_type")?.as_deref(),
        text("consent_scope")?.as_deref(),
    )?;
    let newest = row.try_get("newest").map_err(map_err)?;
    Ok((state, newest))
}

/// Revokes the open SSO sessions of one user for one module (all users when `identity` is
/// `None`).
pub(crate) async fn revoke_sso_sessions(
    conn: &mut PgConnection,
    identity: Option<IdentityId>,
    audience: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE multipass_sessions SET revoked_at = $3, revocation_reason = $4 \
         WHERE kind = 'sso' AND audience = $2 AND ($1::uuid IS NULL OR identity_id = $1) \
           AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(identity.map(|id| id.as_uuid()))
    .bind(audience)
    .bind(at)
    .bind(reason)
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected())
}

#[async_trait]
impl AppStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn create_module(&self, module: NewModule) -> Result<ModuleRecord, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO application_modules (id, name, display_name, description, category, \
               api_base_url, required_scopes, version, is_enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $9) RETURNING ",
            module_columns!(),
            ""
        ))
        .bind(module.id)
        .bind(module.name.as_str())
        .bind(module.display_name.as_str())
        .bind(module.description.as_str())
        .bind(module.category.as_str())
        .bind(module.api_base_url.as_str())
        .bind(module.required_scopes.to_strings())
        .bind(module.version.to_text())
        .bind(module.created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        module_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn update_module(
        &self,
        name: &ModuleName,
        changes: ModuleChanges,
        at: DateTime<Utc>,
    ) -> Result<ModuleRecord, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE application_modules SET \
               display_name = COALESCE($2, display_name), description = COALESCE($3, description), \
               category = COALESCE($4, category), api_base_url = COALESCE($5, api_base_url), \
               required_scopes = COALESCE($6, required_scopes), version = COALESCE($7, version), \
               updated_at = GREATEST($8, updated_at) \
             WHERE name = $1 RETURNING ",
            module_columns!(),
            ""
        ))
        .bind(name.as_str())
        .bind(changes.display_name.as_ref().map(|v| v.as_str()))
        .bind(changes.description.as_ref().map(|v| v.as_str()))
        .bind(changes.category.map(|v| v.as_str()))
        .bind(changes.api_base_url.as_ref().map(|v| v.as_str()))
        .bind(changes.required_scopes.as_ref().map(|v| v.to_strings()))
        .bind(changes.version.as_ref().map(|v| v.to_text()))
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or(StoreError::NotFound)?;
        module_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn set_module_enabled(
        &self,
        name: &ModuleName,
        enabled: bool,
        at: DateTime<Utc>,
    ) -> Result<(ModuleRecord, u64), StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let row = sqlx::query(concat!(
            "UPDATE application_modules SET is_enabled = $2, updated_at = GREATEST($3, updated_at) \
             WHERE name = $1 RETURNING ",
            module_columns!(),
            ""
        ))
        .bind(name.as_str())
        .bind(enabled)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?
        .ok_or(StoreError::NotFound)?;
        let module = module_from_row(&row).map_err(map_err)?;
        let revoked = if enabled {
            0
        } else {
            revoke_sso_sessions(&mut tx, None, name.as_str(), "admin_revoked", at).await?
        };
        tx.commit().await.map_err(map_err)?;
        Ok((module, revoked))
    }

    async fn module_by_name(&self, name: &ModuleName) -> Result<Option<ModuleRecord>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            module_columns!(),
            " FROM application_modules WHERE name = $1"
        ))
        .bind(name.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref()
            .map(module_from_row)
            .transpose()
            .map_err(map_err)
    }

    async fn list_modules(&self, include_disabled: bool) -> Result<Vec<ModuleRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            module_columns!(),
            " FROM application_modules WHERE is_enabled OR $1 ORDER BY name"
        ))
        .bind(include_disabled)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(module_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn app_state(
        &self,
        identity: IdentityId,
        module: &ModuleName,
    ) -> Result<(ModuleRecord, AppState), StoreError> {
        let record = self
            .module_by_name(module)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let (state, _) = pair_state(&mut conn, identity, record.id).await?;
        Ok((record, state))
    }

    #[tracing::instrument(skip_all)]
    async fn apply_app_change(
        &self,
        identity: IdentityId,
        module: &ModuleName,
        change: AppChange,
        at: DateTime<Utc>,
    ) -> Result<AppChangeOutcome, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let record = lock_pair(&mut tx, identity, module).await?;
        let (before, newest) = pair_state(&mut tx, identity, record.id).await?;
        let plan = match plan_app_change(&record, &before, &change)? {
            Ok(plan) => plan,
            Err(refused) => return Ok(AppChangeOutcome::Refused(refused)),
        };
        let mut event = None;
        if let Some(kind) = plan.event {
            let at = next_event_time(at, newest, Duration::microseconds(1));
            let row = sqlx::query(
                "INSERT INTO application_events (id, identity_id, module_id, event_type, scope, action, \
                   detail, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $8, $9, $6) \
                 RETURNING id, identity_id, module_id, $7::text AS module_name, event_type, scope, \
                   action, detail, created_at",
            )
            .bind(Uuid::new_v4())
            .bind(identity.as_uuid())
            .bind(record.id)
            .bind(kind.as_str())
            .bind(plan.scope.as_deref())
            .bind(at)
            .bind(&record.name)
            .bind(plan.action.as_deref())
            .bind(plan.detail.as_deref())
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
            event = Some(event_from_row(&row).map_err(map_err)?);
        }
        let revoked_tokens = if plan.revoke_tokens {
            revoke_sso_sessions(&mut tx, Some(identity), &record.name, "user_revoked", at).await?
        } else {
            0
        };
        tx.commit().await.map_err(map_err)?;
        Ok(AppChangeOutcome::Applied(Box::new(AppChangeApplied {
            module: record,
            before,
            after: plan.after,
            event,
            revoked_tokens,
        })))
    }

    async fn app_events(
        &self,
        identity: IdentityId,
        module: Option<&ModuleName>,
        before: Option<AppEventCursor>,
        limit: u32,
    ) -> Result<Vec<AppEventRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, e.identity_id, e.module_id, m.name AS module_name, e.event_type, e.scope, \
               e.action, e.detail, e.created_at \
             FROM application_events e JOIN application_modules m ON m.id = e.module_id \
             WHERE e.identity_id = $1 AND ($2::text IS NULL OR m.name = $2) \
               AND ($3::timestamptz IS NULL OR (e.created_at, e.id) < ($3, $4)) \
             ORDER BY e.created_at DESC, e.id DESC LIMIT $5",
        )
        .bind(identity.as_uuid())
        .bind(module.map(ModuleName::as_str))
        .bind(before.map(|c| c.created_at))
        .bind(before.map(|c| c.id))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(event_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    async fn open_sso_session(
        &self,
        module: &ModuleName,
        session: NewSsoSession,
    ) -> Result<SsoSessionOpened, StoreError> {
        sso::open_sso_session(self, module, session).await
    }

    async fn active_sso_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<SsoSessionRecord>, StoreError> {
        sso::active_sso_session(self, token_hash, now).await
    }

    async fn sso_key(&self, kid: &str) -> Result<Option<SsoKeyRecord>, StoreError> {
        sso::sso_key(self, kid).await
    }

    async fn published_sso_keys(
        &self,
        retired_after: DateTime<Utc>,
    ) -> Result<Vec<SsoKeyRecord>, StoreError> {
        sso::published_sso_keys(self, retired_after).await
    }

    async fn add_sso_key(&self, key: NewSsoKey, retire: Option<&str>) -> Result<(), StoreError> {
        sso::add_sso_key(self, key, retire).await
    }
}
