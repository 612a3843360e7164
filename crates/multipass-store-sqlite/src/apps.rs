//! Modules, installs and consents on SQLite. Every change runs in a `BEGIN IMMEDIATE`
//! transaction: it holds the write lock from its first read, so two processes cannot both
//! decide from the same state.

mod sso;

use crate::errors::map_err;
use crate::store::{SqliteStore, uuid_text};
use crate::time::{from_text, to_text};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use multipass_domain::apps::{AppChange, AppState, ModuleName};
use multipass_domain::{IdentityId, TokenHash};
use multipass_store::{
    AppChangeApplied, AppChangeOutcome, AppEventCursor, AppEventRecord, AppStore, ModuleChanges,
    ModuleRecord, NewModule, NewSsoKey, NewSsoSession, SsoKeyRecord, SsoSessionOpened,
    SsoSessionRecord, StoreError, app_state_from_stored, next_event_time, plan_app_change,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

/// The columns of a [`ModuleRecord`], as a macro so that `concat!` builds each query as one
/// literal.
macro_rules! module_columns {
    () => {
        "id, name, display_name, description, category, api_base_url, required_scopes, version, \
         is_enabled, created_at, updated_at"
    };
}

pub(crate) use crate::store::parse_uuid;

pub(crate) fn json_strings(row: &SqliteRow, column: &str) -> Result<Vec<String>, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(format!("{column}: {e}").into()))
}

pub(crate) fn to_json(strings: &[String]) -> String {
    serde_json::Value::from(strings).to_string()
}

fn module_from_row(row: &SqliteRow) -> Result<ModuleRecord, sqlx::Error> {
    Ok(ModuleRecord {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        category: row.try_get("category")?,
        api_base_url: row.try_get("api_base_url")?,
        required_scopes: json_strings(row, "required_scopes")?,
        version: row.try_get("version")?,
        is_enabled: row.try_get("is_enabled")?,
        created_at: from_text(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_text(&row.try_get::<String, _>("updated_at")?)?,
    })
}

fn event_from_row(row: &SqliteRow) -> Result<AppEventRecord, sqlx::Error> {
    Ok(AppEventRecord {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        identity_id: IdentityId::from_uuid(parse_uuid(&row.try_get::<String, _>("identity_id")?)?),
        module_id: parse_uuid(&row.try_get::<String, _>("module_id")?)?,
        module_name: row.try_get("module_name")?,
        event_type: row.try_get("event_type")?,
        scope: row.try_get("scope")?,
        action: row.try_get("action")?,
        detail: row.try_get("detail")?,
        created_at: from_text(&row.try_get::<String, _>("created_at")?)?,
    })
}

async fn module_in(
    conn: &mut SqliteConnection,
    module: &ModuleName,
) -> Result<ModuleRecord, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        module_columns!(),
        " FROM application_modules WHERE name = ?1"
    ))
    .bind(module.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?
    .ok_or(StoreError::NotFound)?;
    module_from_row(&row).map_err(map_err)
}

/// The pair's state and the time of its newest event.
pub(crate) async fn pair_state(
    conn: &mut SqliteConnection,
    identity: IdentityId,
    module_id: Uuid,
) -> Result<(AppState, Option<DateTime<Utc>>), StoreError> {
    let row = sqlx::query(
        "WITH pair AS (SELECT event_type, scope, created_at, id FROM application_events \
                       WHERE identity_id = ?1 AND module_id = ?2), \
              consent AS (SELECT event_type, scope FROM pair \
                          WHERE event_type IN ('authorized', 'revoked', 'uninstalled') \
                          ORDER BY created_at DESC, id DESC LIMIT 1) \
         SELECT (SELECT event_type FROM pair WHERE event_type IN ('installed', 'uninstalled') \
                 ORDER BY created_at DESC, id DESC LIMIT 1) AS lifecycle, \
                (SELECT event_type FROM consent) AS consent_type, \
                (SELECT scope FROM consent) AS consent_scope, \
                (SELECT max(created_at) FROM pair) AS newest",
    )
    .bind(uuid_text(identity.as_uuid()))
    .bind(uuid_text(module_id))
    .fetch_one(&mut *conn)
    .await
    .map_err(map_err)?;
    let text = |column: &str| row.try_get::<Option<String>, _>(column).map_err(map_err);
    let state = app_state_from_stored(
        text("lifecycle")?.as_deref(),
        text("consent_type")?.as_deref(),
        text("consent_scope")?.as_deref(),
    )?;
    let newest = text("newest")?
        .as_deref()
        .map(from_text)
        .transpose()
        .map_err(map_err)?;
    Ok((state, newest))
}

/// Revokes the open SSO sessions of one user for one module (all users when `identity` is
/// `None`).
pub(crate) async fn revoke_sso_sessions(
    conn: &mut SqliteConnection,
    identity: Option<IdentityId>,
    audience: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE multipass_sessions SET revoked_at = ?3, revocation_reason = ?4 \
         WHERE kind = 'sso' AND audience = ?2 AND (?1 IS NULL OR identity_id = ?1) \
           AND revoked_at IS NULL AND expires_at > ?3",
    )
    .bind(identity.map(|id| uuid_text(id.as_uuid())))
    .bind(audience)
    .bind(to_text(at))
    .bind(reason)
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected())
}

#[async_trait]
impl AppStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn create_module(&self, module: NewModule) -> Result<ModuleRecord, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO application_modules (id, name, display_name, description, category, \
               api_base_url, required_scopes, version, is_enabled, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9) RETURNING ",
            module_columns!()
        ))
        .bind(uuid_text(module.id))
        .bind(module.name.as_str())
        .bind(module.display_name.as_str())
        .bind(module.description.as_str())
        .bind(module.category.as_str())
        .bind(module.api_base_url.as_str())
        .bind(to_json(&module.required_scopes.to_strings()))
        .bind(module.version.to_text())
        .bind(to_text(module.created_at))
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
               display_name = COALESCE(?2, display_name), description = COALESCE(?3, description), \
               category = COALESCE(?4, category), api_base_url = COALESCE(?5, api_base_url), \
               required_scopes = COALESCE(?6, required_scopes), version = COALESCE(?7, version), \
               updated_at = max(?8, updated_at) \
             WHERE name = ?1 RETURNING ",
            module_columns!()
        ))
        .bind(name.as_str())
        .bind(changes.display_name.as_ref().map(|v| v.as_str()))
        .bind(changes.description.as_ref().map(|v| v.as_str()))
        .bind(changes.category.map(|v| v.as_str()))
        .bind(changes.api_base_url.as_ref().map(|v| v.as_str()))
        .bind(
            changes
                .required_scopes
                .as_ref()
                .map(|v| to_json(&v.to_strings())),
        )
        .bind(changes.version.as_ref().map(|v| v.to_text()))
        .bind(to_text(at))
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
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE application_modules SET is_enabled = ?2, updated_at = max(?3, updated_at) \
             WHERE name = ?1 RETURNING ",
            module_columns!()
        ))
        .bind(name.as_str())
        .bind(enabled)
        .bind(to_text(at))
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
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        match module_in(&mut conn, name).await {
            Ok(module) => Ok(Some(module)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn list_modules(&self, include_disabled: bool) -> Result<Vec<ModuleRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            module_columns!(),
            " FROM application_modules WHERE is_enabled = 1 OR ?1 ORDER BY name"
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
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let record = module_in(&mut conn, module).await?;
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
        let mut tx = self.begin_write().await?;
        let record = module_in(&mut tx, module).await?;
        let (before, newest) = pair_state(&mut tx, identity, record.id).await?;
        let plan = match plan_app_change(&record, &before, &change)? {
            Ok(plan) => plan,
            Err(refused) => return Ok(AppChangeOutcome::Refused(refused)),
        };
        let mut event = None;
        if let Some(kind) = plan.event {
            let stamped = next_event_time(at, newest, Duration::milliseconds(1));
            let row = sqlx::query(
                "INSERT INTO application_events (id, identity_id, module_id, event_type, scope, action, \
                   detail, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?8, ?9, ?6) \
                 RETURNING id, identity_id, module_id, ?7 AS module_name, event_type, scope, \
                   action, detail, created_at",
            )
            .bind(uuid_text(Uuid::new_v4()))
            .bind(uuid_text(identity.as_uuid()))
            .bind(uuid_text(record.id))
            .bind(kind.as_str())
            .bind(plan.scope.as_deref())
            .bind(to_text(stamped))
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
             WHERE e.identity_id = ?1 AND (?2 IS NULL OR m.name = ?2) \
               AND (?3 IS NULL OR (e.created_at, e.id) < (?3, ?4)) \
             ORDER BY e.created_at DESC, e.id DESC LIMIT ?5",
        )
        .bind(uuid_text(identity.as_uuid()))
        .bind(module.map(ModuleName::as_str))
        .bind(before.map(|c| to_text(c.created_at)))
        .bind(before.map(|c| uuid_text(c.id)))
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
