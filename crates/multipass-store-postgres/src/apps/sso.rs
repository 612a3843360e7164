//! SSO sessions and signing keys on PostgreSQL.

use super::{lock_pair, pair_state};
use crate::errors::map_err;
use crate::store::PgStore;
use chrono::{DateTime, Utc};
use multipass_domain::apps::ModuleName;
use multipass_domain::{IdentityId, SessionId, TokenHash};
use multipass_store::{
    NewSsoKey, NewSsoSession, SsoKeyRecord, SsoSessionOpened, SsoSessionRecord, StoreError,
};
use sqlx::Row;
use sqlx::postgres::PgRow;

fn key_from_row(row: &PgRow) -> Result<SsoKeyRecord, sqlx::Error> {
    Ok(SsoKeyRecord {
        kid: row.try_get("kid")?,
        public_key: row.try_get("public_key")?,
        created_at: row.try_get("created_at")?,
        retired_at: row.try_get("retired_at")?,
    })
}

pub(super) async fn open_sso_session(
    store: &PgStore,
    module: &ModuleName,
    session: NewSsoSession,
) -> Result<SsoSessionOpened, StoreError> {
    let mut tx = store.pool.begin().await.map_err(map_err)?;
    let record = lock_pair(&mut tx, session.identity_id, module).await?;
    let (state, _) = pair_state(&mut tx, session.identity_id, record.id).await?;
    let required = record.required_scope_set()?;
    if let Err(refused) = state.token_scopes(Some(&session.scopes), record.is_enabled, &required) {
        return Ok(SsoSessionOpened::Refused(refused));
    }
    sqlx::query(
        "INSERT INTO multipass_sessions (id, identity_id, token_hash, kind, auth_method, audience, \
           scopes, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, 'sso', 'sso_consent', $4, $5, $6, $6, $7)",
    )
    .bind(session.id.as_uuid())
    .bind(session.identity_id.as_uuid())
    .bind(session.token_hash.as_str())
    .bind(&record.name)
    .bind(session.scopes.to_strings())
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await
    .map_err(map_err)?;
    tx.commit().await.map_err(map_err)?;
    Ok(SsoSessionOpened::Opened)
}

pub(super) async fn active_sso_session(
    store: &PgStore,
    token_hash: &TokenHash,
    now: DateTime<Utc>,
) -> Result<Option<SsoSessionRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT id, identity_id, audience, scopes, created_at, expires_at FROM multipass_sessions \
         WHERE token_hash = $1 AND kind = 'sso' AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash.as_str())
    .bind(now)
    .fetch_optional(&store.pool)
    .await
    .map_err(map_err)?;
    row.map(|row| -> Result<SsoSessionRecord, sqlx::Error> {
        Ok(SsoSessionRecord {
            id: SessionId::from_uuid(row.try_get("id")?),
            identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
            audience: row
                .try_get::<Option<String>, _>("audience")?
                .unwrap_or_default(),
            scopes: row.try_get("scopes")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        })
    })
    .transpose()
    .map_err(map_err)
}

pub(super) async fn sso_key(
    store: &PgStore,
    kid: &str,
) -> Result<Option<SsoKeyRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT kid, public_key, created_at, retired_at FROM sso_signing_keys WHERE kid = $1",
    )
    .bind(kid)
    .fetch_optional(&store.pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(key_from_row).transpose().map_err(map_err)
}

pub(super) async fn published_sso_keys(
    store: &PgStore,
    retired_after: DateTime<Utc>,
) -> Result<Vec<SsoKeyRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT kid, public_key, created_at, retired_at FROM sso_signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at, kid",
    )
    .bind(retired_after)
    .fetch_all(&store.pool)
    .await
    .map_err(map_err)?;
    rows.iter()
        .map(key_from_row)
        .collect::<Result<_, _>>()
        .map_err(map_err)
}

pub(super) async fn add_sso_key(
    store: &PgStore,
    key: NewSsoKey,
    retire: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(map_err)?;
    sqlx::query(
        "INSERT INTO sso_signing_keys (kid, algorithm, public_key, created_at) VALUES ($1, 'EdDSA', $2, $3)",
    )
    .bind(&key.kid)
    .bind(&key.public_key)
    .bind(key.created_at)
    .execute(&mut *tx)
    .await
    .map_err(map_err)?;
    if let Some(old) = retire {
        sqlx::query(
            "UPDATE sso_signing_keys SET retired_at = GREATEST($2, created_at) \
             WHERE kid = $1 AND retired_at IS NULL",
        )
        .bind(old)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)?;
    Ok(())
}
