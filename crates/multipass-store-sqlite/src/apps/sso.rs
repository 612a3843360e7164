//! SSO sessions and signing keys on SQLite.

use super::{json_strings, module_in, pair_state, parse_uuid, to_json};
use crate::errors::map_err;
use crate::store::{SqliteStore, uuid_text};
use crate::time::{from_text, to_text};
use chrono::{DateTime, Utc};
use multipass_domain::apps::ModuleName;
use multipass_domain::{IdentityId, SessionId, TokenHash};
use multipass_store::{
    NewSsoKey, NewSsoSession, SsoKeyRecord, SsoSessionOpened, SsoSessionRecord, StoreError,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn key_from_row(row: &SqliteRow) -> Result<SsoKeyRecord, sqlx::Error> {
    Ok(SsoKeyRecord {
        kid: row.try_get("kid")?,
        public_key: row.try_get("public_key")?,
        created_at: from_text(&row.try_get::<String, _>("created_at")?)?,
        retired_at: row
            .try_get::<Option<String>, _>("retired_at")?
            .as_deref()
            .map(from_text)
            .transpose()?,
    })
}

pub(super) async fn open_sso_session(
    store: &SqliteStore,
    module: &ModuleName,
    session: NewSsoSession,
) -> Result<SsoSessionOpened, StoreError> {
    let mut tx = store.begin_write().await?;
    let record = module_in(&mut tx, module).await?;
    let (state, _) = pair_state(&mut tx, session.identity_id, record.id).await?;
    let required = record.required_scope_set()?;
    if let Err(refused) = state.token_scopes(Some(&session.scopes), record.is_enabled, &required) {
        return Ok(SsoSessionOpened::Refused(refused));
    }
    let created_at = to_text(session.created_at);
    sqlx::query(
        "INSERT INTO multipass_sessions (id, identity_id, token_hash, kind, auth_method, audience, \
           scopes, created_at, last_seen_at, expires_at) \
         VALUES (?1, ?2, ?3, 'sso', 'sso_consent', ?4, ?5, ?6, ?6, ?7)",
    )
    .bind(uuid_text(session.id.as_uuid()))
    .bind(uuid_text(session.identity_id.as_uuid()))
    .bind(session.token_hash.as_str())
    .bind(&record.name)
    .bind(to_json(&session.scopes.to_strings()))
    .bind(&created_at)
    .bind(to_text(session.expires_at))
    .execute(&mut *tx)
    .await
    .map_err(map_err)?;
    tx.commit().await.map_err(map_err)?;
    Ok(SsoSessionOpened::Opened)
}

pub(super) async fn active_sso_session(
    store: &SqliteStore,
    token_hash: &TokenHash,
    now: DateTime<Utc>,
) -> Result<Option<SsoSessionRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT id, identity_id, audience, scopes, created_at, expires_at FROM multipass_sessions \
         WHERE token_hash = ?1 AND kind = 'sso' AND revoked_at IS NULL AND expires_at > ?2",
    )
    .bind(token_hash.as_str())
    .bind(to_text(now))
    .fetch_optional(&store.pool)
    .await
    .map_err(map_err)?;
    row.map(|row| -> Result<SsoSessionRecord, sqlx::Error> {
        Ok(SsoSessionRecord {
            id: SessionId::from_uuid(parse_uuid(&row.try_get::<String, _>("id")?)?),
            identity_id: IdentityId::from_uuid(parse_uuid(
                &row.try_get::<String, _>("identity_id")?,
            )?),
            audience: row
                .try_get::<Option<String>, _>("audience")?
                .unwrap_or_default(),
            scopes: json_strings(&row, "scopes")?,
            created_at: from_text(&row.try_get::<String, _>("created_at")?)?,
            expires_at: from_text(&row.try_get::<String, _>("expires_at")?)?,
        })
    })
    .transpose()
    .map_err(map_err)
}

pub(super) async fn sso_key(
    store: &SqliteStore,
    kid: &str,
) -> Result<Option<SsoKeyRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT kid, public_key, created_at, retired_at FROM sso_signing_keys WHERE kid = ?1",
    )
    .bind(kid)
    .fetch_optional(&store.pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(key_from_row).transpose().map_err(map_err)
}

pub(super) async fn published_sso_keys(
    store: &SqliteStore,
    retired_after: DateTime<Utc>,
) -> Result<Vec<SsoKeyRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT kid, public_key, created_at, retired_at FROM sso_signing_keys \
         WHERE retired_at IS NULL OR retired_at > ?1 ORDER BY created_at, kid",
    )
    .bind(to_text(retired_after))
    .fetch_all(&store.pool)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(key_from_row)
        .collect::<Result<_, _>>()
        .map_err(map_err)
}

pub(super) async fn add_sso_key(
    store: &SqliteStore,
    key: NewSsoKey,
    retire: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    let created_at = to_text(key.created_at);
    sqlx::query(
        "INSERT INTO sso_signing_keys (kid, algorithm, public_key, created_at) VALUES (?1, 'EdDSA', ?2, ?3)",
    )
    .bind(&key.kid)
    .bind(&key.public_key)
    .bind(&created_at)
    .execute(&mut *tx)
    .await
    .map_err(map_err)?;
    if let Some(old) = retire {
        sqlx::query(
            "UPDATE sso_signing_keys SET retired_at = max(?2, created_at) \
             WHERE kid = ?1 AND retired_at IS NULL",
        )
        .bind(old)
        .bind(&created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)?;
    Ok(())
}
