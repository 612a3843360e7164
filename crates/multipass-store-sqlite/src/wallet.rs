//! Wallets in the embedded store. Every change runs in one `BEGIN IMMEDIATE` transaction:
//! SQLite then has a single writer, so reading a balance and writing it back can never
//! interleave with another client's transfer.

use crate::errors::map_err;
use crate::store::{SqliteStore, uuid_from, uuid_text};
use crate::time::{from_text, to_text};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use multipass_domain::IdentityId;
use multipass_domain::ids::WalletId;
use multipass_domain::wallet::{
    Direction, TREASURY_IDENTITY_ID, TREASURY_WALLET_ID, TxStatus, WalletStatus,
};
use multipass_store::ReportStore as _;
use multipass_store::{
    BalanceRecord, Conflict, HistoryQuery, NewDeposit, NewTransfer, NewWallet, StoreError,
    TransactionRecord, TransferOutcome, TxType, WalletRecord, WalletStore,
};
use multipass_store::{ExportQuery, ExportRow, ExportSink};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeMap;
use uuid::Uuid;

const WALLET_COLUMNS: &str = "id, identity_id, name, status, key_algorithm, public_key, \
     boundless_addresses, labels, is_default, created_at, updated_at";

const TX_COLUMNS: &str = "id, wallet_id, counterparty_wallet_id, transfer_id, direction, tx_type, \
     asset_type, amount, fee, status, idempotency_key, request_hash, signature, balance_after, \
     metadata, created_at";

/// Debit first, then the credit, then the fee credit.
const LEG_ORDER: &str = "ORDER BY direction DESC, tx_type DESC, id";

/// Only the constant column lists above are spliced into SQL; every value is bound.
fn trusted(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

fn decode_err(column: &str, detail: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("{column}: {detail}").into())
}

fn json_at<T: serde::de::DeserializeOwned>(
    row: &SqliteRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| decode_err(column, e))
}

fn wallet_from_row(row: &SqliteRow) -> Result<WalletRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(WalletRecord {
        id: WalletId::from_uuid(uuid_from(row, "id")?),
        identity_id: IdentityId::from_uuid(uuid_from(row, "identity_id")?),
        name: row.try_get("name")?,
        status: WalletStatus::parse(&status).map_err(|e| decode_err("status", e))?,
        key_algorithm: row.try_get("key_algorithm")?,
        public_key: row.try_get("public_key")?,
        addresses: json_at(row, "boundless_addresses")?,
        labels: json_at(row, "labels")?,
        is_default: row.try_get::<i64, _>("is_default")? != 0,
        created_at: from_text(&row.try_get::<String, _>("created_at")?)?,
        updated_at: from_text(&row.try_get::<String, _>("updated_at")?)?,
    })
}

fn tx_from_row(row: &SqliteRow) -> Result<TransactionRecord, sqlx::Error> {
    let direction: String = row.try_get("direction")?;
    let status: String = row.try_get("status")?;
    let counterparty = row
        .try_get::<Option<String>, _>("counterparty_wallet_id")?
        .map(|text| Uuid::parse_str(&text).map_err(|e| decode_err("counterparty_wallet_id", e)))
        .transpose()?;
    Ok(TransactionRecord {
        id: uuid_from(row, "id")?,
        wallet_id: WalletId::from_uuid(uuid_from(row, "wallet_id")?),
        counterparty_wallet_id: counterparty.map(WalletId::from_uuid),
        transfer_id: uuid_from(row, "transfer_id")?,
        direction: Direction::parse(&direction).map_err(|e| decode_err("direction", e))?,
        tx_type: row.try_get("tx_type")?,
        asset_type: row.try_get("asset_type")?,
        amount: row.try_get("amount")?,
        fee: row.try_get("fee")?,
        status: TxStatus::parse(&status).map_err(|e| decode_err("status", e))?,
        idempotency_key: row.try_get("idempotency_key")?,
        request_hash: row.try_get("request_hash")?,
        signature: row.try_get("signature")?,
        balance_after: row.try_get("balance_after")?,
        metadata: json_at(row, "metadata")?,
        created_at: from_text(&row.try_get::<String, _>("created_at")?)?,
    })
}

fn txs_from(rows: &[SqliteRow]) -> Result<Vec<TransactionRecord>, StoreError> {
    rows.iter()
        .map(tx_from_row)
        .collect::<Result<_, _>>()
        .map_err(map_err)
}

/// One row of `wallet_transactions` as this service writes it.
#[derive(Clone, Copy)]
struct Leg<'a> {
    wallet: Uuid,
    counterparty: Option<Uuid>,
    transfer_id: Uuid,
    direction: Direction,
    tx_type: TxType,
    asset: &'a str,
    amount: i64,
    fee: i64,
    idempotency_key: Option<&'a str>,
    request_hash: Option<&'a str>,
    signature: Option<&'a str>,
    balance_after: i64,
    metadata: &'a serde_json::Value,
    created_at: DateTime<Utc>,
}

async fn insert_leg(conn: &mut SqliteConnection, leg: Leg<'_>) -> Result<SqliteRow, sqlx::Error> {
    sqlx::query(trusted(format!(
        "INSERT INTO wallet_transactions (id, wallet_id, counterparty_wallet_id, transfer_id, direction, \
         tx_type, asset_type, amount, fee, status, idempotency_key, request_hash, signature, balance_after, \
         metadata, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'completed', ?10, ?11, ?12, ?13, \
         ?14, ?15) RETURNING {TX_COLUMNS}"
    )))
    .bind(uuid_text(Uuid::new_v4()))
    .bind(uuid_text(leg.wallet))
    .bind(leg.counterparty.map(uuid_text))
    .bind(uuid_text(leg.transfer_id))
    .bind(leg.direction.as_str())
    .bind(leg.tx_type.as_str())
    .bind(leg.asset)
    .bind(leg.amount)
    .bind(leg.fee)
    .bind(leg.idempotency_key)
    .bind(leg.request_hash)
    .bind(leg.signature)
    .bind(leg.balance_after)
    .bind(leg.metadata.to_string())
    .bind(to_text(leg.created_at))
    .fetch_one(conn)
    .await
}

/// Adds `delta` to the wallet's balance of `asset` (creating the row at zero first) and
/// returns the new total; the CHECK on `total` refuses a negative result. The row is made
/// in its own statement because SQLite checks an upsert's candidate row before resolving the
/// conflict, so a negative delta would fail as an insert.
async fn add_to_balance(
    conn: &mut SqliteConnection,
    wallet: Uuid,
    asset: &str,
    delta: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO wallet_balances (id, wallet_id, asset_type) VALUES (?1, ?2, ?3) \
         ON CONFLICT (wallet_id, asset_type) DO NOTHING",
    )
    .bind(uuid_text(Uuid::new_v4()))
    .bind(uuid_text(wallet))
    .bind(asset)
    .execute(&mut *conn)
    .await?;
    // The CASE keeps the bound check itself from overflowing for a negative delta.
    sqlx::query_scalar(
        "UPDATE wallet_balances SET total = total + ?3 WHERE wallet_id = ?1 AND asset_type = ?2 \
         AND CASE WHEN ?3 > 0 THEN total <= 9223372036854775807 - ?3 ELSE TRUE END RETURNING total",
    )
    .bind(uuid_text(wallet))
    .bind(asset)
    .bind(delta)
    .fetch_optional(conn)
    .await
}

async fn unlocked_balance(
    conn: &mut SqliteConnection,
    wallet: Uuid,
    asset: &str,
) -> Result<i64, sqlx::Error> {
    let unlocked: Option<i64> = sqlx::query_scalar(
        "SELECT unlocked FROM wallet_balances WHERE wallet_id = ?1 AND asset_type = ?2",
    )
    .bind(uuid_text(wallet))
    .bind(asset)
    .fetch_optional(conn)
    .await?;
    Ok(unlocked.unwrap_or(0))
}

/// The wallet's owner and status, or `None` when there is no such wallet.
async fn owner_and_status(
    conn: &mut SqliteConnection,
    wallet: Uuid,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let Some(row) = sqlx::query("SELECT identity_id, status FROM wallet_accounts WHERE id = ?1")
        .bind(uuid_text(wallet))
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        uuid_from(&row, "identity_id")?,
        row.try_get("status")?,
    )))
}

/// Creates the fee treasury's identity and wallet the first time a fee is charged.
async fn ensure_treasury(conn: &mut SqliteConnection, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity_profiles (id, full_name, email, metadata, created_at, updated_at) \
         VALUES (?1, 'Multipass fee treasury', 'fee-treasury@multipass.invalid', '{\"system\": true}', ?2, ?2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(uuid_text(TREASURY_IDENTITY_ID.as_uuid()))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO wallet_accounts (id, identity_id, name, labels, is_default, created_at, updated_at) \
         VALUES (?1, ?2, 'Fee treasury', '[\"treasury\"]', 1, ?3, ?3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(uuid_text(TREASURY_WALLET_ID.as_uuid()))
    .bind(uuid_text(TREASURY_IDENTITY_ID.as_uuid()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn legs(
    conn: &mut SqliteConnection,
    transfer_id: Uuid,
) -> Result<Vec<SqliteRow>, sqlx::Error> {
    sqlx::query(trusted(format!(
        "SELECT {TX_COLUMNS} FROM wallet_transactions WHERE transfer_id = ?1 {LEG_ORDER}"
    )))
    .bind(uuid_text(transfer_id))
    .fetch_all(conn)
    .await
}

async fn wallet_by_id(conn: &mut SqliteConnection, id: Uuid) -> Result<WalletRecord, StoreError> {
    let row = sqlx::query(trusted(format!(
        "SELECT {WALLET_COLUMNS} FROM wallet_accounts WHERE id = ?1"
    )))
    .bind(uuid_text(id))
    .fetch_one(conn)
    .await
    .map_err(map_err)?;
    wallet_from_row(&row).map_err(map_err)
}

impl SqliteStore {
    /// The transfer inside the caller's write transaction: the outer error is a database
    /// failure, the inner one the transfer's own refusal.
    async fn apply_transfer(
        conn: &mut SqliteConnection,
        t: &NewTransfer,
    ) -> Result<Result<TransferOutcome, StoreError>, sqlx::Error> {
        let (from, to, treasury) = (
            t.from.as_uuid(),
            t.to.as_uuid(),
            TREASURY_WALLET_ID.as_uuid(),
        );
        let asset = t.asset.as_str();
        let (Some((from_owner, from_status)), Some((to_owner, to_status))) = (
            owner_and_status(conn, from).await?,
            owner_and_status(conn, to).await?,
        ) else {
            return Ok(Err(StoreError::NotFound));
        };
        if from_owner != t.from_owner.as_uuid() || to_owner != t.to_owner.as_uuid() {
            return Ok(Err(StoreError::Conflict(Conflict::PartiesChanged)));
        }
        let earlier = sqlx::query(
            "SELECT transfer_id, request_hash FROM wallet_transactions \
             WHERE wallet_id = ?1 AND idempotency_key = ?2 AND direction = 'debit'",
        )
        .bind(uuid_text(from))
        .bind(t.idempotency_key.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(earlier) = earlier {
            let hash: Option<String> = earlier.try_get("request_hash")?;
            if hash.as_deref() != Some(t.request_hash.as_str()) {
                return Ok(Err(StoreError::Conflict(Conflict::IdempotencyMismatch)));
            }
            let rows = legs(conn, uuid_from(&earlier, "transfer_id")?).await?;
            return Ok(txs_from(&rows).map(TransferOutcome::Replayed));
        }

        if from_status != "active" || to_status != "active" {
            return Ok(Err(StoreError::Conflict(Conflict::WalletInactive)));
        }
        let amount = t.amount.get();
        let unlocked = unlocked_balance(conn, from, asset).await?;
        let Some(debit) = amount.checked_add(t.fee).filter(|d| *d <= unlocked) else {
            return Ok(Err(StoreError::Conflict(Conflict::InsufficientFunds)));
        };

        let mut deltas: BTreeMap<Uuid, i64> = BTreeMap::new();
        *deltas.entry(from).or_default() -= debit;
        *deltas.entry(to).or_default() += amount;
        if t.fee > 0 {
            *deltas.entry(treasury).or_default() += t.fee;
        }
        let mut after: BTreeMap<Uuid, i64> = BTreeMap::new();
        for (wallet, delta) in deltas {
            let Some(total) = add_to_balance(conn, wallet, asset, delta).await? else {
                return Ok(Err(StoreError::Conflict(Conflict::BalanceLimit)));
            };
            after.insert(wallet, total);
        }
        let balance_after = |wallet: Uuid| after.get(&wallet).copied().unwrap_or(0);

        let no_metadata = serde_json::json!({});
        let base = Leg {
            wallet: from,
            counterparty: Some(to),
            transfer_id: t.transfer_id,
            direction: Direction::Debit,
            tx_type: TxType::Transfer,
            asset,
            amount,
            fee: t.fee,
            idempotency_key: Some(t.idempotency_key.as_str()),
            request_hash: Some(t.request_hash.as_str()),
            signature: Some(t.signature.as_str()),
            balance_after: balance_after(from),
            metadata: &no_metadata,
            created_at: t.created_at,
        };
        let credit = Leg {
            direction: Direction::Credit,
            fee: 0,
            idempotency_key: None,
            request_hash: None,
            signature: None,
            ..base
        };
        let mut rows = vec![
            insert_leg(conn, base).await?,
            insert_leg(
                conn,
                Leg {
                    wallet: to,
                    counterparty: Some(from),
                    balance_after: balance_after(to),
                    ..credit
                },
            )
            .await?,
        ];
        if t.fee > 0 {
            rows.push(
                insert_leg(
                    conn,
                    Leg {
                        wallet: treasury,
                        counterparty: Some(from),
                        tx_type: TxType::Fee,
                        amount: t.fee,
                        balance_after: balance_after(treasury),
                        ..credit
                    },
                )
                .await?,
            );
        }
        Ok(txs_from(&rows).map(TransferOutcome::Created))
    }
}

/// The wallet, refusing with `Conflict::WalletInactive` when it is closed: closing is final.
async fn changeable_wallet(
    conn: &mut SqliteConnection,
    id: WalletId,
) -> Result<WalletRecord, StoreError> {
    let current = wallet_by_id(conn, id.as_uuid()).await?;
    if current.status == WalletStatus::Closed {
        return Err(StoreError::Conflict(Conflict::WalletInactive));
    }
    Ok(current)
}

#[async_trait]
impl WalletStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn create_wallet(&self, wallet: NewWallet) -> Result<WalletRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let labels = serde_json::to_string(wallet.labels.as_slice())
            .map_err(|e| StoreError::Unexpected(e.to_string()))?;
        let addresses = serde_json::json!([wallet.address]).to_string();
        let row = sqlx::query(trusted(format!(
            "INSERT INTO wallet_accounts (id, identity_id, name, key_algorithm, public_key, boundless_addresses, \
             labels, is_default, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, \
             NOT EXISTS (SELECT 1 FROM wallet_accounts WHERE identity_id = ?2 AND is_default), ?8, ?8) \
             RETURNING {WALLET_COLUMNS}"
        )))
        .bind(uuid_text(wallet.id.as_uuid()))
        .bind(uuid_text(wallet.identity_id.as_uuid()))
        .bind(wallet.name.as_str())
        .bind(wallet.key_algorithm)
        .bind(&wallet.public_key)
        .bind(addresses)
        .bind(labels)
        .bind(to_text(wallet.created_at))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let created = wallet_from_row(&row).map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(created)
    }

    #[tracing::instrument(skip_all)]
    async fn wallet(&self, id: WalletId) -> Result<WalletRecord, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        wallet_by_id(&mut conn, id.as_uuid()).await
    }

    #[tracing::instrument(skip_all)]
    async fn wallet_pair(
        &self,
        first: WalletId,
        second: WalletId,
    ) -> Result<(Option<WalletRecord>, Option<WalletRecord>), StoreError> {
        // Two point look-ups on one connection: the embedded store has no round trips to save.
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let mut one = async |id: WalletId| match wallet_by_id(&mut conn, id.as_uuid()).await {
            Ok(wallet) => Ok(Some(wallet)),
            Err(StoreError::NotFound) => Ok(None),
            Err(other) => Err(other),
        };
        let first = one(first).await?;
        let second = one(second).await?;
        Ok((first, second))
    }

    #[tracing::instrument(skip_all)]
    async fn wallets_of(&self, identity: IdentityId) -> Result<Vec<WalletRecord>, StoreError> {
        let rows = sqlx::query(trusted(format!(
            "SELECT {WALLET_COLUMNS} FROM wallet_accounts WHERE identity_id = ?1 ORDER BY is_default DESC, created_at, id"
        )))
        .bind(uuid_text(identity.as_uuid()))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(wallet_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn set_wallet_status(
        &self,
        id: WalletId,
        status: WalletStatus,
        now: DateTime<Utc>,
    ) -> Result<WalletRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        changeable_wallet(&mut tx, id).await?;
        sqlx::query("UPDATE wallet_accounts SET status = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(uuid_text(id.as_uuid()))
            .bind(status.as_str())
            .bind(to_text(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let updated = wallet_by_id(&mut tx, id.as_uuid()).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(updated)
    }

    #[tracing::instrument(skip_all)]
    async fn set_default_wallet(
        &self,
        id: WalletId,
        now: DateTime<Utc>,
    ) -> Result<WalletRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let current = changeable_wallet(&mut tx, id).await?;
        // The old default first: the one-default index is checked row by row.
        sqlx::query(
            "UPDATE wallet_accounts SET is_default = 0, updated_at = ?3 \
             WHERE identity_id = ?2 AND is_default AND id <> ?1",
        )
        .bind(uuid_text(id.as_uuid()))
        .bind(uuid_text(current.identity_id.as_uuid()))
        .bind(to_text(now))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query("UPDATE wallet_accounts SET is_default = 1, updated_at = ?2 WHERE id = ?1")
            .bind(uuid_text(id.as_uuid()))
            .bind(to_text(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let updated = wallet_by_id(&mut tx, id.as_uuid()).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(updated)
    }

    #[tracing::instrument(skip_all)]
    async fn balances(&self, wallet: WalletId) -> Result<Vec<BalanceRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT wallet_id, asset_type, total, locked, unlocked FROM wallet_balances \
             WHERE wallet_id = ?1 ORDER BY asset_type",
        )
        .bind(uuid_text(wallet.as_uuid()))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| -> Result<BalanceRecord, sqlx::Error> {
                Ok(BalanceRecord {
                    wallet_id: WalletId::from_uuid(uuid_from(row, "wallet_id")?),
                    asset_type: row.try_get("asset_type")?,
                    total: row.try_get("total")?,
                    locked: row.try_get("locked")?,
                    unlocked: row.try_get("unlocked")?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn deposit(&self, deposit: NewDeposit) -> Result<TransactionRecord, StoreError> {
        let wallet = deposit.wallet_id.as_uuid();
        let asset = deposit.asset.as_str();
        let mut tx = self.begin_write().await?;
        let (_, status) = owner_and_status(&mut tx, wallet)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        if status != WalletStatus::Active.as_str() {
            return Err(StoreError::Conflict(Conflict::WalletInactive));
        }
        let total = add_to_balance(&mut tx, wallet, asset, deposit.amount.get())
            .await
            .map_err(map_err)?
            .ok_or(StoreError::Conflict(Conflict::BalanceLimit))?;
        let row = insert_leg(
            &mut tx,
            Leg {
                wallet,
                counterparty: None,
                transfer_id: deposit.transfer_id,
                direction: Direction::Credit,
                tx_type: TxType::Deposit,
                asset,
                amount: deposit.amount.get(),
                fee: 0,
                idempotency_key: None,
                request_hash: None,
                signature: None,
                balance_after: total,
                metadata: &deposit.metadata,
                created_at: deposit.created_at,
            },
        )
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        tx_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn transfer(&self, transfer: NewTransfer) -> Result<TransferOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        if transfer.fee > 0 {
            ensure_treasury(&mut tx, &to_text(transfer.created_at))
                .await
                .map_err(map_err)?;
        }
        let outcome = Self::apply_transfer(&mut tx, &transfer)
            .await
            .map_err(map_err)?;
        if outcome.is_ok() {
            tx.commit().await.map_err(map_err)?;
        }
        // An embedded commit costs no network round trip, so the notice keeps its own
        // statement; as before, a notice that cannot be stored does not undo the transfer.
        if let (Ok(TransferOutcome::Created(_)), Some(notice)) = (&outcome, transfer.notice) {
            let identity = notice.identity_id;
            if let Err(error) = self.create_notifications(&[notice]).await {
                tracing::warn!(%error, %identity, "a notification could not be stored");
            }
        }
        outcome
    }

    #[tracing::instrument(skip_all)]
    async fn transfer_legs(&self, transfer_id: Uuid) -> Result<Vec<TransactionRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        let rows = legs(&mut conn, transfer_id).await.map_err(map_err)?;
        txs_from(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn history(&self, query: HistoryQuery) -> Result<Vec<TransactionRecord>, StoreError> {
        let rows = sqlx::query(trusted(format!(
            "SELECT {TX_COLUMNS} FROM wallet_transactions WHERE wallet_id = ?1 \
             AND (?2 IS NULL OR asset_type = ?2) \
             AND (?3 IS NULL OR direction = ?3) \
             AND (?4 IS NULL OR status = ?4) \
             AND (?5 IS NULL OR created_at >= ?5) \
             AND (?6 IS NULL OR created_at < ?6) \
             AND (?7 IS NULL OR (created_at, id) < (?7, ?8)) \
             ORDER BY created_at DESC, id DESC LIMIT ?9"
        )))
        .bind(uuid_text(query.wallet_id.as_uuid()))
        .bind(query.asset.as_ref().map(|a| a.as_str().to_owned()))
        .bind(query.direction.map(Direction::as_str))
        .bind(query.status.map(TxStatus::as_str))
        .bind(query.since.map(to_text))
        .bind(query.until.map(to_text))
        .bind(query.after.map(|c| to_text(c.created_at)))
        .bind(query.after.map(|c| uuid_text(c.id)))
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        txs_from(&rows)
    }

    async fn export_transactions(
        &self,
        query: ExportQuery,
        sink: &mut ExportSink<'_>,
    ) -> Result<u64, StoreError> {
        // `fetch` steps the statement row by row; nothing is collected.
        let mut rows = sqlx::query(trusted(format!(
            "SELECT {EXPORT_COLUMNS} FROM wallet_transactions WHERE wallet_id = ?1 \
             AND (?2 IS NULL OR asset_type = ?2) \
             AND (?3 IS NULL OR direction = ?3) \
             AND (?4 IS NULL OR status = ?4) \
             AND (?5 IS NULL OR created_at >= ?5) \
             AND (?6 IS NULL OR created_at < ?6) \
             ORDER BY created_at, id"
        )))
        .bind(uuid_text(query.wallet_id.as_uuid()))
        .bind(query.asset.as_ref().map(|a| a.as_str().to_owned()))
        .bind(query.direction.map(Direction::as_str))
        .bind(query.status.map(TxStatus::as_str))
        .bind(query.since.map(to_text))
        .bind(query.until.map(to_text))
        .fetch(&self.pool);
        let mut accepted = 0_u64;
        while let Some(row) = rows.try_next().await.map_err(map_err)? {
            if !sink(export_row(&row).map_err(map_err)?) {
                break;
            }
            accepted += 1;
        }
        Ok(accepted)
    }
}

/// The order [`export_row`] reads them in.
const EXPORT_COLUMNS: &str = "id, created_at, transfer_id, counterparty_wallet_id, direction, \
     tx_type, asset_type, amount, fee, status, balance_after";

fn export_row(row: &SqliteRow) -> Result<ExportRow, sqlx::Error> {
    let counterparty = row
        .try_get::<Option<String>, _>(3)?
        .map(|text| Uuid::parse_str(&text).map_err(|e| decode_err("counterparty_wallet_id", e)))
        .transpose()?;
    Ok(ExportRow {
        id: uuid_from(row, "id")?,
        created_at: from_text(&row.try_get::<String, _>(1)?)?,
        transfer_id: uuid_from(row, "transfer_id")?,
        counterparty_wallet_id: counterparty,
        direction: row.try_get(4)?,
        tx_type: row.try_get(5)?,
        asset_type: row.try_get(6)?,
        amount: row.try_get(7)?,
        fee: row.try_get(8)?,
        status: row.try_get(9)?,
        balance_after: row.try_get(10)?,
    })
}
