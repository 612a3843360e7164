//! Wallets on the shared database. A transfer locks the sender's and receiver's balance rows
//! with one `SELECT ... ORDER BY wallet_id FOR UPDATE`, the fee treasury's row always last
//! (its update is the transaction's final statement), so every client takes them in the same
//! order and two transfers can never wait on each other in a cycle; should the
//! database still report a serialization failure or a deadlock, the whole transaction is
//! retried a bounded number of times before anything reaches the caller.

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use multipass_domain::IdentityId;
use multipass_domain::ids::WalletId;
use multipass_domain::wallet::{
    Direction, TREASURY_IDENTITY_ID, TREASURY_WALLET_ID, TxStatus, WalletStatus,
};
use multipass_store::{
    BalanceRecord, Conflict, HistoryQuery, NewDeposit, NewTransfer, NewWallet, StoreError,
    TransactionRecord, TransferOutcome, TxType, WalletRecord, WalletStore,
};
use multipass_store::{ExportQuery, ExportRow, ExportSink};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use uuid::Uuid;

const WALLET_COLUMNS: &str = "id, identity_id, name, status, key_algorithm, public_key, \
     boundless_addresses, labels, is_default, created_at, updated_at";

const TX_COLUMNS: &str = "id, wallet_id, counterparty_wallet_id, transfer_id, direction, tx_type, \
     asset_type, amount, fee, status, idempotency_key, request_hash, signature, balance_after, \
     metadata, created_at";

/// Debit first, then the credit, then the fee credit.
const LEG_ORDER: &str = "ORDER BY direction DESC, tx_type DESC, id";

/// Attempts of one transfer before repeated aborts are reported as the database being
/// unavailable (busy), never as the caller's fault.
const MAX_ATTEMPTS: u32 = 8;

/// A transfer's writes, sent holding its balance rows' locks: both parties' new totals, the
/// treasury's fee, the receiver's notice and the legs, each only if the idempotency key is
/// new (`$8` sender, `$12` key). Built once.
static TRANSFER_WRITES_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH earlier AS ( \
               SELECT 1 FROM wallet_transactions \
               WHERE wallet_id = $8::uuid AND idempotency_key = $12::text AND direction = 'debit'), \
             moved AS ( \
               UPDATE wallet_balances b SET total = c.total \
               FROM unnest($1::uuid[], $2::bigint[]) AS c(wallet_id, total) \
               WHERE b.wallet_id = c.wallet_id AND b.wallet_id = ANY($1) AND b.asset_type = $3 \
               AND NOT EXISTS (SELECT 1 FROM earlier)), \
             fee AS ( \
               UPDATE wallet_balances SET total = total + $4 \
               WHERE $5 AND wallet_id = $6 AND asset_type = $3 \
               AND total <= 9223372036854775807 - $4 AND NOT EXISTS (SELECT 1 FROM earlier) \
               RETURNING total), \
             notice AS ( \
               INSERT INTO notifications (id, identity_id, kind, title, body, metadata, created_at) \
               SELECT $21, $22, $23, $24, $25, $26, $27 \
               WHERE $21::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM earlier)) \
             INSERT INTO wallet_transactions (id, wallet_id, counterparty_wallet_id, transfer_id, \
               direction, tx_type, asset_type, amount, fee, status, idempotency_key, request_hash, \
               signature, balance_after, metadata, created_at) \
             SELECT * FROM (VALUES \
               ($7::uuid, $8::uuid, $9::uuid, $10::uuid, 'debit', 'transfer', $3::text, $11::bigint, \
                $4::bigint, 'completed', $12::text, $13::text, $14::text, $15::bigint, '{{}}'::jsonb, \
                $16::timestamptz), \
               ($17::uuid, $9::uuid, $8::uuid, $10::uuid, 'credit', 'transfer', $3::text, $11::bigint, \
                0::bigint, 'completed', NULL::text, NULL::text, NULL::text, $18::bigint, '{{}}'::jsonb, \
                $16::timestamptz)) AS parties \
             WHERE NOT EXISTS (SELECT 1 FROM earlier) \
             UNION ALL \
             SELECT $19::uuid, $6::uuid, $8::uuid, $10::uuid, 'credit', 'fee', $3::text, $4::bigint, \
               0::bigint, 'completed', NULL::text, NULL::text, NULL::text, \
               COALESCE((SELECT total FROM fee), $20::bigint), '{{}}'::jsonb, $16::timestamptz \
             WHERE $4 > 0 AND (NOT $5 OR EXISTS (SELECT 1 FROM fee)) \
               AND NOT EXISTS (SELECT 1 FROM earlier) \
             RETURNING {TX_COLUMNS}"
    )
});

/// Only the constant column lists above are spliced into SQL; every value is bound.
fn trusted(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

fn decode_err(column: &str, detail: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("{column}: {detail}").into())
}

fn wallet_from_row(row: &PgRow) -> Result<WalletRecord, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let addresses: serde_json::Value = row.try_get("boundless_addresses")?;
    Ok(WalletRecord {
        id: WalletId::from_uuid(row.try_get("id")?),
        identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
        name: row.try_get("name")?,
        status: WalletStatus::parse(&status).map_err(|e| decode_err("status", e))?,
        key_algorithm: row.try_get("key_algorithm")?,
        public_key: row.try_get("public_key")?,
        addresses: serde_json::from_value(addresses)
            .map_err(|e| decode_err("boundless_addresses", e))?,
        labels: row.try_get("labels")?,
        is_default: row.try_get("is_default")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn tx_from_row(row: &PgRow) -> Result<TransactionRecord, sqlx::Error> {
    let direction: String = row.try_get("direction")?;
    let status: String = row.try_get("status")?;
    let counterparty: Option<Uuid> = row.try_get("counterparty_wallet_id")?;
    Ok(TransactionRecord {
        id: row.try_get("id")?,
        wallet_id: WalletId::from_uuid(row.try_get("wallet_id")?),
        counterparty_wallet_id: counterparty.map(WalletId::from_uuid),
        transfer_id: row.try_get("transfer_id")?,
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
        metadata: row.try_get("metadata")?,
        created_at: row.try_get("created_at")?,
    })
}

fn wallets_from(rows: &[PgRow]) -> Result<Vec<WalletRecord>, StoreError> {
    rows.iter()
        .map(wallet_from_row)
        .collect::<Result<_, _>>()
        .map_err(map_err)
}

fn txs_from(rows: &[PgRow]) -> Result<Vec<TransactionRecord>, StoreError> {
    rows.iter()
        .map(tx_from_row)
        .collect::<Result<_, _>>()
        .map_err(map_err)
}

/// Serialization failure, deadlock, or two first uses of one idempotency key racing: all
/// are settled by running the transaction again.
fn is_retryable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("40001" | "40P01"))
                || db.constraint() == Some("idx_wallet_transactions_idempotency")
        }
        _ => false,
    }
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

async fn insert_leg(conn: &mut PgConnection, leg: Leg<'_>) -> Result<PgRow, sqlx::Error> {
    sqlx::query(trusted(format!(
        "INSERT INTO wallet_transactions (id, wallet_id, counterparty_wallet_id, transfer_id, direction, \
         tx_type, asset_type, amount, fee, status, idempotency_key, request_hash, signature, balance_after, \
         metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'completed', $10, $11, $12, $13, \
         $14, $15) RETURNING {TX_COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(leg.wallet)
    .bind(leg.counterparty)
    .bind(leg.transfer_id)
    .bind(leg.direction.as_str())
    .bind(leg.tx_type.as_str())
    .bind(leg.asset)
    .bind(leg.amount)
    .bind(leg.fee)
    .bind(leg.idempotency_key)
    .bind(leg.request_hash)
    .bind(leg.signature)
    .bind(leg.balance_after)
    .bind(leg.metadata)
    .bind(leg.created_at)
    .fetch_one(conn)
    .await
}

async fn add_to_balance(
    conn: &mut PgConnection,
    wallet: Uuid,
    asset: &str,
    delta: i64,
) -> Result<Option<i64>, sqlx::Error> {
    // The CASE keeps the bound check itself from overflowing for a negative delta.
    sqlx::query_scalar(
        "UPDATE wallet_balances SET total = total + $3 WHERE wallet_id = $1 AND asset_type = $2 \
         AND CASE WHEN $3 > 0 THEN total <= 9223372036854775807 - $3 ELSE TRUE END RETURNING total",
    )
    .bind(wallet)
    .bind(asset)
    .bind(delta)
    .fetch_optional(conn)
    .await
}

/// Creates the fee treasury's identity and wallet the first time a fee is charged.
async fn ensure_treasury(store: &PgStore, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    // The identity insert is a CTE of the wallet insert, so one round trip creates both; the
    // wallet's foreign key is checked at the end of the statement, when the identity exists.
    // `ON CONFLICT DO NOTHING` names no index: clients that charge the first fee at once race
    // on every unique index of the row (the wallet's id and the owner's one default), and
    // whichever index the loser meets first must count as "already there".
    sqlx::query(
        "WITH owner AS ( \
           INSERT INTO identity_profiles (id, full_name, email, metadata, created_at, updated_at) \
           VALUES ($1, 'Multipass fee treasury', 'fee-treasury@multipass.invalid', '{\"system\": true}', $3, $3) \
           ON CONFLICT DO NOTHING) \
         INSERT INTO wallet_accounts (id, identity_id, name, labels, is_default, created_at, updated_at) \
         VALUES ($2, $1, 'Fee treasury', ARRAY['treasury'], TRUE, $3, $3) ON CONFLICT DO NOTHING",
    )
    .bind(TREASURY_IDENTITY_ID.as_uuid())
    .bind(TREASURY_WALLET_ID.as_uuid())
    .bind(now)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Makes sure each existing wallet of `wallets` has a (zero) balance row for `asset`, in its
/// own statement before the transfer's transaction, so that the transaction only ever locks
/// rows that exist and never waits on another client's insert.
async fn ensure_balance_rows(
    store: &PgStore,
    wallets: &[Uuid],
    asset: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO wallet_balances (wallet_id, asset_type) \
         SELECT id, $2 FROM wallet_accounts WHERE id = ANY($1) \
         ON CONFLICT (wallet_id, asset_type) DO NOTHING",
    )
    .bind(wallets)
    .bind(asset)
    .execute(&store.pool)
    .await?;
    Ok(())
}

async fn legs(conn: &mut PgConnection, transfer_id: Uuid) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::query(trusted(format!(
        "SELECT {TX_COLUMNS} FROM wallet_transactions WHERE transfer_id = $1 {LEG_ORDER}"
    )))
    .bind(transfer_id)
    .fetch_all(conn)
    .await
}

impl PgStore {
    async fn insert_wallet(
        &self,
        wallet: &NewWallet,
        may_be_default: bool,
    ) -> Result<PgRow, sqlx::Error> {
        sqlx::query(trusted(format!(
            "INSERT INTO wallet_accounts (id, identity_id, name, key_algorithm, public_key, boundless_addresses, \
             labels, is_default, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8 AND NOT EXISTS (SELECT 1 FROM wallet_accounts WHERE identity_id = $2 AND is_default), $9, $9) \
             RETURNING {WALLET_COLUMNS}"
        )))
        .bind(wallet.id.as_uuid())
        .bind(wallet.identity_id.as_uuid())
        .bind(wallet.name.as_str())
        .bind(wallet.key_algorithm)
        .bind(&wallet.public_key)
        .bind(serde_json::json!([wallet.address]))
        .bind(wallet.labels.as_slice())
        .bind(may_be_default)
        .bind(wallet.created_at)
        .fetch_one(&self.pool)
        .await
    }

    /// One attempt of a transfer: the outer error is a database failure (possibly worth a
    /// retry), the inner one the transfer's own refusal, and `Ok(Ok(None))` a balance row that
    /// does not exist yet (create the rows, then try again).
    ///
    /// Four round trips: `BEGIN`, the locks, one statement for every write (balances, legs and
    /// the receiver's notice), `COMMIT`. The treasury's balance row, which every transfer with
    /// a fee credits, is not locked up front but updated in the last statement, so it is held
    /// only from there to the commit.
    ///
    /// The idempotency look-up rides on the writing statement: that statement starts after
    /// the sender's lock was granted, so its snapshot holds every same-key transfer committed
    /// before (the locking statement's own snapshot predates the wait, and would miss one).
    /// Every write is conditional on there being no such transfer; if there is one, nothing
    /// is written and [`replay_of`] answers. A refusal looks first too, so a retried request
    /// gets its first result even once the sender could not afford it again.
    async fn try_transfer(
        &self,
        t: &NewTransfer,
    ) -> Result<Result<Option<TransferOutcome>, StoreError>, sqlx::Error> {
        let (from, to, treasury) = (
            t.from.as_uuid(),
            t.to.as_uuid(),
            TREASURY_WALLET_ID.as_uuid(),
        );
        let asset = t.asset.as_str();
        let mut tx = self.pool.begin().await?;

        // The treasury sorts last, here and in every other lock of balance rows, so a
        // transfer from or to the treasury takes its locks in the same order as the rest.
        let locked = sqlx::query(
            "WITH accounts AS ( \
               SELECT id, identity_id, status FROM wallet_accounts WHERE id = ANY($1) \
               ORDER BY id = $3, id FOR SHARE), \
             balances AS ( \
               SELECT wallet_id, total, locked FROM wallet_balances \
               WHERE asset_type = $2 AND wallet_id = ANY($1) \
               ORDER BY wallet_id = $3, wallet_id FOR UPDATE) \
             SELECT a.id, a.identity_id, a.status, b.total, b.locked FROM accounts a \
             LEFT JOIN balances b ON b.wallet_id = a.id",
        )
        .bind(vec![from, to])
        .bind(asset)
        .bind(treasury)
        .fetch_all(&mut *tx)
        .await?;
        let mut wallets: BTreeMap<Uuid, LockedWallet> = BTreeMap::new();
        for row in &locked {
            let total: Option<i64> = row.try_get("total")?;
            let held: Option<i64> = row.try_get("locked")?;
            wallets.insert(
                row.try_get("id")?,
                LockedWallet {
                    owner: row.try_get("identity_id")?,
                    status: row.try_get("status")?,
                    balance: total.zip(held),
                },
            );
        }
        let (Some(sender), Some(receiver)) = (wallets.get(&from), wallets.get(&to)) else {
            return Ok(Err(StoreError::NotFound));
        };
        if sender.owner != t.from_owner.as_uuid() || receiver.owner != t.to_owner.as_uuid() {
            return Ok(Err(StoreError::Conflict(Conflict::PartiesChanged)));
        }
        let (from_status, to_status) = (&sender.status, &receiver.status);
        let (Some((from_total, from_locked)), Some((to_total, _))) =
            (sender.balance, receiver.balance)
        else {
            return Ok(Ok(None));
        };

        if from_status != "active" || to_status != "active" {
            return refuse(&mut tx, t, Conflict::WalletInactive).await;
        }
        let amount = t.amount.get();
        let Some(debit) = amount
            .checked_add(t.fee)
            .filter(|d| *d <= from_total - from_locked)
        else {
            return refuse(&mut tx, t, Conflict::InsufficientFunds).await;
        };
        // A fee to a treasury that is also a party moves with that party's row; otherwise
        // the treasury's row is the separate, late update.
        let fee_with_parties = t.fee > 0 && (from == treasury || to == treasury);
        let late_fee = t.fee > 0 && !fee_with_parties;
        let to_credit = if to == treasury && t.fee > 0 {
            amount.checked_add(t.fee)
        } else {
            Some(amount)
        };
        let Some(to_after) = to_credit.and_then(|c| to_total.checked_add(c)) else {
            return refuse(&mut tx, t, Conflict::BalanceLimit).await;
        };
        // A fee the treasury charges itself comes straight back.
        let from_after = if from == treasury {
            from_total - amount
        } else {
            from_total - debit
        };
        let treasury_after = if from == treasury {
            from_after
        } else {
            to_after
        };

        let rows = sqlx::query(AssertSqlSafe(TRANSFER_WRITES_SQL.as_str()))
            .bind(vec![from, to])
            .bind(vec![from_after, to_after])
            .bind(asset)
            .bind(t.fee)
            .bind(late_fee)
            .bind(treasury)
            .bind(Uuid::new_v4())
            .bind(from)
            .bind(to)
            .bind(t.transfer_id)
            .bind(amount)
            .bind(t.idempotency_key.as_str())
            .bind(t.request_hash.as_str())
            .bind(t.signature.as_str())
            .bind(from_after)
            .bind(t.created_at)
            .bind(Uuid::new_v4())
            .bind(to_after)
            .bind(Uuid::new_v4())
            .bind(treasury_after)
            .bind(t.notice.as_ref().map(|n| n.id))
            .bind(t.notice.as_ref().map(|n| n.identity_id.as_uuid()))
            .bind(t.notice.as_ref().map(|n| n.kind.as_str()))
            .bind(t.notice.as_ref().map(|n| n.title.as_str()))
            .bind(t.notice.as_ref().map(|n| n.body.as_str()))
            .bind(t.notice.as_ref().map(|n| &n.metadata))
            .bind(t.notice.as_ref().map(|n| n.created_at))
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            // The key was used before: nothing was written.
            return match replay_of(&mut tx, t).await? {
                Some(outcome) => Ok(outcome.map(Some)),
                None => Ok(Err(StoreError::Unexpected(
                    "a transfer wrote nothing, yet no earlier transfer has its key".into(),
                ))),
            };
        }
        let mut legs = match txs_from(&rows) {
            Ok(legs) => legs,
            Err(e) => return Ok(Err(e)),
        };
        if t.fee > 0 && legs.len() < 3 {
            // The fee found no treasury row to credit: it would overflow, or the row is
            // missing, or another client committed it after this statement's snapshot was
            // taken (so the update could not see it). Only the first is a refusal; in the
            // others the transfer goes around again once the row exists.
            return Ok(match treasury_total(&mut tx, asset).await? {
                Some(total) if total > i64::MAX - t.fee => {
                    Err(StoreError::Conflict(Conflict::BalanceLimit))
                }
                _ => Ok(None),
            });
        }
        tx.commit().await?;
        legs.sort_by_key(|l| {
            (
                l.direction != Direction::Debit,
                l.tx_type != TxType::Transfer.as_str(),
            )
        });
        Ok(Ok(Some(TransferOutcome::Created(legs))))
    }

    async fn make_balance_rows(&self, t: &NewTransfer) -> Result<(), sqlx::Error> {
        let mut wallets = vec![t.from.as_uuid(), t.to.as_uuid()];
        if t.fee > 0 {
            ensure_treasury(self, t.created_at).await?;
            wallets.push(TREASURY_WALLET_ID.as_uuid());
        }
        ensure_balance_rows(self, &wallets, t.asset.as_str()).await
    }
}

/// A party of a transfer as its locking read found it; `balance` is (total, locked), `None`
/// while the wallet has no row for the asset.
struct LockedWallet {
    owner: Uuid,
    status: String,
    balance: Option<(i64, i64)>,
}

/// The first result of an earlier transfer from the same sender with the same key, or the
/// refusal of a different request under that key; `None` when the key is new.
async fn replay_of(
    tx: &mut PgConnection,
    t: &NewTransfer,
) -> Result<Option<Result<TransferOutcome, StoreError>>, sqlx::Error> {
    let earlier = sqlx::query(
        "SELECT transfer_id, request_hash FROM wallet_transactions \
         WHERE wallet_id = $1 AND idempotency_key = $2 AND direction = 'debit'",
    )
    .bind(t.from.as_uuid())
    .bind(t.idempotency_key.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(earlier) = earlier else {
        return Ok(None);
    };
    let hash: Option<String> = earlier.try_get("request_hash")?;
    if hash.as_deref() != Some(t.request_hash.as_str()) {
        return Ok(Some(Err(StoreError::Conflict(
            Conflict::IdempotencyMismatch,
        ))));
    }
    let rows = legs(tx, earlier.try_get("transfer_id")?).await?;
    Ok(Some(txs_from(&rows).map(TransferOutcome::Replayed)))
}

/// Refuses the transfer for `conflict`, unless its key was used before: then the earlier
/// answer stands, as it would have had the request not been sent again.
async fn refuse(
    tx: &mut PgConnection,
    t: &NewTransfer,
    conflict: Conflict,
) -> Result<Result<Option<TransferOutcome>, StoreError>, sqlx::Error> {
    Ok(match replay_of(tx, t).await? {
        Some(outcome) => outcome.map(Some),
        None => Err(StoreError::Conflict(conflict)),
    })
}

async fn treasury_total(conn: &mut PgConnection, asset: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT total FROM wallet_balances WHERE wallet_id = $1 AND asset_type = $2")
        .bind(TREASURY_WALLET_ID.as_uuid())
        .bind(asset)
        .fetch_optional(conn)
        .await
}

#[async_trait]
impl WalletStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn create_wallet(&self, wallet: NewWallet) -> Result<WalletRecord, StoreError> {
        let row = match self.insert_wallet(&wallet, true).await {
            // Another client made the owner's first wallet at the same moment: this one is
            // simply not the default.
            Err(sqlx::Error::Database(db))
                if db.constraint() == Some("idx_wallet_accounts_one_default") =>
            {
                self.insert_wallet(&wallet, false).await
            }
            other => other,
        }
        .map_err(map_err)?;
        wallet_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn wallet(&self, id: WalletId) -> Result<WalletRecord, StoreError> {
        let row = sqlx::query(trusted(format!(
            "SELECT {WALLET_COLUMNS} FROM wallet_accounts WHERE id = $1"
        )))
        .bind(id.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        wallet_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn wallet_pair(
        &self,
        first: WalletId,
        second: WalletId,
    ) -> Result<(Option<WalletRecord>, Option<WalletRecord>), StoreError> {
        let rows = sqlx::query(trusted(format!(
            "SELECT {WALLET_COLUMNS} FROM wallet_accounts WHERE id = ANY($1)"
        )))
        .bind(vec![first.as_uuid(), second.as_uuid()])
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut found = wallets_from(&rows)?;
        let mut take = |id: WalletId| {
            let at = found.iter().position(|w| w.id == id)?;
            Some(found.swap_remove(at))
        };
        Ok((take(first), take(second)))
    }

    #[tracing::instrument(skip_all)]
    async fn wallets_of(&self, identity: IdentityId) -> Result<Vec<WalletRecord>, StoreError> {
        let rows = sqlx::query(trusted(format!(
            "SELECT {WALLET_COLUMNS} FROM wallet_accounts WHERE identity_id = $1 ORDER BY is_default DESC, created_at, id"
        )))
        .bind(identity.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        wallets_from(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn set_wallet_status(
        &self,
        id: WalletId,
        status: WalletStatus,
        now: DateTime<Utc>,
    ) -> Result<WalletRecord, StoreError> {
        let row = sqlx::query(trusted(format!(
            "UPDATE wallet_accounts SET status = $2, updated_at = $3 WHERE id = $1 AND status <> 'closed' \
             RETURNING {WALLET_COLUMNS}"
        )))
        .bind(id.as_uuid())
        .bind(status.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        match row {
            Some(row) => wallet_from_row(&row).map_err(map_err),
            None => {
                // Either unknown (NotFound) or closed.
                self.wallet(id).await?;
                Err(StoreError::Conflict(Conflict::WalletInactive))
            }
        }
    }

    #[tracing::instrument(skip_all)]
    async fn set_default_wallet(
        &self,
        id: WalletId,
        now: DateTime<Utc>,
    ) -> Result<WalletRecord, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        // All of the owner's wallets, locked in id order (the order transfers lock wallets
        // in), so that two desktops changing one owner's default queue instead of both
        // clearing the old one and colliding on the one-default index. `NO KEY UPDATE`
        // leaves the foreign-key checks of orders and transactions naming them unblocked.
        let owned: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
            "SELECT id, identity_id, status FROM wallet_accounts WHERE identity_id = \
             (SELECT identity_id FROM wallet_accounts WHERE id = $1) ORDER BY id FOR NO KEY UPDATE",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        let (_, owner, status) = owned
            .iter()
            .find(|(wallet, _, _)| *wallet == id.as_uuid())
            .ok_or(StoreError::NotFound)?;
        if status == WalletStatus::Closed.as_str() {
            return Err(StoreError::Conflict(Conflict::WalletInactive));
        }
        // Two statements, the old default cleared first: the one-default index is checked
        // row by row, so one statement flipping both could meet the old default still set.
        sqlx::query(
            "UPDATE wallet_accounts SET is_default = FALSE, updated_at = $3 \
             WHERE identity_id = $2 AND is_default AND id <> $1",
        )
        .bind(id.as_uuid())
        .bind(owner)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        let row = sqlx::query(trusted(format!(
            "UPDATE wallet_accounts SET is_default = TRUE, updated_at = $2 WHERE id = $1 \
             RETURNING {WALLET_COLUMNS}"
        )))
        .bind(id.as_uuid())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let updated = wallet_from_row(&row).map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(updated)
    }

    #[tracing::instrument(skip_all)]
    async fn balances(&self, wallet: WalletId) -> Result<Vec<BalanceRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT wallet_id, asset_type, total, locked, unlocked FROM wallet_balances \
             WHERE wallet_id = $1 ORDER BY asset_type",
        )
        .bind(wallet.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| -> Result<BalanceRecord, sqlx::Error> {
                Ok(BalanceRecord {
                    wallet_id: WalletId::from_uuid(row.try_get("wallet_id")?),
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
        ensure_balance_rows(self, &[wallet], asset)
            .await
            .map_err(map_err)?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let status: String =
            sqlx::query_scalar("SELECT status FROM wallet_accounts WHERE id = $1 FOR SHARE")
                .bind(wallet)
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
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
        let mut attempt = 1;
        let mut rows_made = false;
        loop {
            match self.try_transfer(&transfer).await {
                Ok(Ok(Some(outcome))) => return Ok(outcome),
                Ok(Err(refusal)) => return Err(refusal),
                // Balance rows are made outside the transfer's transaction, so the
                // transaction only ever locks rows that exist and never waits on another
                // client's insert. Once made, a row stays.
                Ok(Ok(None)) if !rows_made => {
                    self.make_balance_rows(&transfer).await.map_err(map_err)?;
                    rows_made = true;
                }
                // A row made by another client after this attempt's snapshot: the next
                // attempt's statements see it.
                Ok(Ok(None)) if attempt < MAX_ATTEMPTS => attempt += 1,
                Ok(Ok(None)) => {
                    return Err(StoreError::Unavailable(
                        "a balance row of the transfer was missing after it was made".into(),
                    ));
                }
                Err(err) if is_retryable(&err) && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(%err, attempt, "transfer retried");
                    attempt += 1;
                }
                Err(err) if is_retryable(&err) => {
                    return Err(StoreError::Unavailable(format!(
                        "the transfer was aborted by concurrent transfers {MAX_ATTEMPTS} times in a row: {err}"
                    )));
                }
                Err(err) => return Err(map_err(err)),
            }
        }
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
            "SELECT {TX_COLUMNS} FROM wallet_transactions WHERE wallet_id = $1 \
             AND ($2::text IS NULL OR asset_type = $2) \
             AND ($3::text IS NULL OR direction = $3) \
             AND ($4::text IS NULL OR status = $4) \
             AND ($5::timestamptz IS NULL OR created_at >= $5) \
             AND ($6::timestamptz IS NULL OR created_at < $6) \
             AND ($7::timestamptz IS NULL OR (created_at, id) < ($7, $8::uuid)) \
             ORDER BY created_at DESC, id DESC LIMIT $9"
        )))
        .bind(query.wallet_id.as_uuid())
        .bind(query.asset.as_ref().map(|a| a.as_str().to_owned()))
        .bind(query.direction.map(Direction::as_str))
        .bind(query.status.map(TxStatus::as_str))
        .bind(query.since)
        .bind(query.until)
        .bind(query.after.map(|c| c.created_at))
        .bind(query.after.map(|c| c.id))
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
        // `fetch` streams rows off the connection as PostgreSQL sends them; nothing is
        // collected, whatever the row count.
        let mut rows = sqlx::query(trusted(format!(
            "SELECT {EXPORT_COLUMNS} FROM wallet_transactions WHERE wallet_id = $1 \
             AND ($2::text IS NULL OR asset_type = $2) \
             AND ($3::text IS NULL OR direction = $3) \
             AND ($4::text IS NULL OR status = $4) \
             AND ($5::timestamptz IS NULL OR created_at >= $5) \
             AND ($6::timestamptz IS NULL OR created_at < $6) \
             ORDER BY created_at, id"
        )))
        .bind(query.wallet_id.as_uuid())
        .bind(query.asset.as_ref().map(|a| a.as_str().to_owned()))
        .bind(query.direction.map(Direction::as_str))
        .bind(query.status.map(TxStatus::as_str))
        .bind(query.since)
        .bind(query.until)
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

fn export_row(row: &PgRow) -> Result<ExportRow, sqlx::Error> {
    // By position: a name lookup per column and row shows in an export of millions.
    Ok(ExportRow {
        id: row.try_get(0)?,
        created_at: row.try_get(1)?,
        transfer_id: row.try_get(2)?,
        counterparty_wallet_id: row.try_get(3)?,
        direction: row.try_get(4)?,
        tx_type: row.try_get(5)?,
        asset_type: row.try_get(6)?,
        amount: row.try_get(7)?,
        fee: row.try_get(8)?,
        status: row.try_get(9)?,
        balance_after: row.try_get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic_plans::{assert_balance_rows_reached_by_wallet, generic_plan};
    use sqlx::PgPool;

    /// A transfer's writes hold its parties' balance rows (and the treasury's) locked:
    /// they must reach each by its wallet, however many wallets there are.
    #[sqlx::test(migrations = false)]
    async fn a_transfers_writes_reach_balance_rows_by_wallet(pool: PgPool) {
        crate::migrator().run(&pool).await.unwrap();
        let plan = generic_plan(&pool, &TRANSFER_WRITES_SQL, 27).await;
        assert!(plan.contains("Update on wallet_balances"), "{plan}");
        assert!(plan.contains("Insert on wallet_transactions"), "{plan}");
        assert_balance_rows_reached_by_wallet(&plan);
    }
}
