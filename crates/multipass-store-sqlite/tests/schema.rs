//! The embedded SQLite schema checked against the PostgreSQL schema it mirrors.
//!
//! The PostgreSQL side is read from `migrations/001_create_enterprise_tables.sql` itself, so
//! a column, index or named constraint added to one schema and not the other fails here.
//! Every test applies the migrator the app uses to a fresh file database with foreign keys
//! on, as the app's connection options set them.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;

use multipass_store_sqlite::{LATEST_SCHEMA_VERSION, migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, SqlitePool};
use tempfile::TempDir;

type TestResult = Result<(), Box<dyn Error>>;

const POSTGRES_SQL: &str = include_str!("../../../migrations/001_create_enterprise_tables.sql");
const SQLITE_SQL: &str = include_str!("../migrations/0001_create_enterprise_tables.sql");
const POSTGRES_VERSION_2_SQL: &str =
    include_str!("../../../migrations/003_create_security_events_and_sso_keys.sql");
const SQLITE_VERSION_2_SQL: &str =
    include_str!("../migrations/0002_create_security_events_and_sso_keys.sql");
const POSTGRES_VERSION_5_SQL: &str =
    include_str!("../../../migrations/009_create_sign_in_throttles.sql");

/// Tables that schema version 2 adds to the seed's twenty.
const VERSION_2_TABLES: [&str; 2] = ["security_events", "sso_signing_keys"];

include!("../../multipass-store/testdata/seed_schema.rs");

/// The seed fixture, with the order sequence the app assigns here.
const FIXTURE: &str = seed_fixture!(
    "INSERT INTO market_orders (id, sequence, wallet_id, asset_id, side, price, quantity, locked_amount, updated_at) VALUES
    ('99999999-9999-4999-8999-999999999999', 1, '33333333-3333-4333-8333-333333333333',
     '66666666-6666-4666-8666-666666666666', 'buy', 10, 5, 50, '2000-01-01T00:00:00.000Z');"
);

/// What PostgreSQL's column types refuse, which the mirror has to refuse with CHECKs.
const REJECTED_BY_TYPE_CHECKS: &[&str] = &[
    "UPDATE identity_profiles SET date_of_birth = '2021-02-29'",
    "UPDATE identity_profiles SET date_of_birth = '2000-1-01'",
    "UPDATE identity_profiles SET date_of_birth = '01/02/2000'",
    "UPDATE identity_profiles SET is_active = 2",
    "UPDATE identity_profiles SET metadata = 'not json'",
    "UPDATE wallet_accounts SET labels = '{}'",
    "UPDATE wallet_accounts SET labels = 'plain text'",
    "UPDATE multipass_sessions SET scopes = '\"read\"'",
    "UPDATE notifications SET id = 'not-a-uuid'",
    "UPDATE notifications SET id = upper(id)",
    "UPDATE wallet_transactions SET transfer_id = 'a0000000-0000-4000-8000-00000000000'",
    "UPDATE attestations SET expires_at = issued_at",
];

/// Mirror-only spellings of the PostgreSQL types, which the CHECKs standing in for those
/// types must let through.
const ACCEPTED_BY_TYPE_CHECKS: &[&str] = &[
    "UPDATE wallet_accounts SET labels = '[\"savings\",\"eur\"]'",
    "UPDATE identity_profiles SET metadata = '{\"locale\":\"en-GB\"}'",
    "UPDATE attestations SET expires_at = '2999-01-01T00:00:00.000+00:00'",
];

/// A migrated store in a temporary directory that lives as long as the value.
struct Store {
    pool: SqlitePool,
    _dir: TempDir,
}

/// The app's migrator cut to schema version 1, the mirror of the seed's migration.
fn seed_migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate::Migrator::with_migrations(
        migrator()
            .iter()
            .filter(|m| m.version == 1)
            .cloned()
            .collect(),
    )
}

/// A store at the seed's schema (version 1).
async fn store() -> Result<Store, Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("multipass.db"))
        .create_if_missing(true)
        .foreign_keys(true);
    // One connection, so that per-connection pragmas set by a test apply to its queries.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    seed_migrator().run(&pool).await?;
    Ok(Store { pool, _dir: dir })
}

async fn store_with_fixture() -> Result<Store, Box<dyn Error>> {
    let store = store().await?;
    sqlx::raw_sql(FIXTURE).execute(&store.pool).await?;
    Ok(store)
}

/// An index as a migration file declares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    name: String,
    table: String,
    unique: bool,
    /// Key columns with their DESC flag.
    keys: Vec<(String, bool)>,
    /// The WHERE predicate of a partial index, whitespace collapsed.
    predicate: Option<String>,
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses `CREATE [UNIQUE] INDEX name ON table (key [DESC], ...) [WHERE predicate]`.
fn parse_index(statement: &str) -> Option<Index> {
    let statement = collapse_whitespace(statement);
    let statement = statement.trim_end_matches(';');
    let (unique, rest) = match statement.strip_prefix("CREATE UNIQUE INDEX ") {
        Some(rest) => (true, rest),
        None => (false, statement.strip_prefix("CREATE INDEX ")?),
    };
    let (name, rest) = rest.split_once(" ON ")?;
    let (table, rest) = rest.split_once(" (")?;
    let (keys, rest) = rest.split_once(')')?;
    let keys = keys
        .split(',')
        .map(|key| {
            let key = key.trim();
            match key.strip_suffix(" DESC") {
                Some(column) => (column.to_string(), true),
                None => (key.to_string(), false),
            }
        })
        .collect();
    let predicate = rest.trim().strip_prefix("WHERE ").map(str::to_string);
    Some(Index {
        name: name.to_string(),
        table: table.to_string(),
        unique,
        keys,
        predicate,
    })
}

fn indexes_in_file(sql: &str) -> BTreeSet<Index> {
    let mut indexes = BTreeSet::new();
    let mut statement: Option<String> = None;
    for line in sql.lines() {
        if line.starts_with("CREATE INDEX ") || line.starts_with("CREATE UNIQUE INDEX ") {
            statement = Some(String::new());
        }
        if let Some(text) = statement.as_mut() {
            text.push_str(line);
            text.push(' ');
            if line.trim_end().ends_with(';')
                && let Some(index) = statement.take().as_deref().and_then(parse_index)
            {
                indexes.insert(index);
            }
        }
    }
    indexes
}

/// `CONSTRAINT name` clauses per table, in the order the file declares them.
fn named_constraints(create_table: &str) -> Vec<String> {
    let words: Vec<&str> = create_table.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == "CONSTRAINT")
        .map(|w| w[1].to_string())
        .collect()
}

fn create_table_statements(sql: &str) -> BTreeMap<String, String> {
    let mut tables = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in sql.lines() {
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            let name = rest.split_whitespace().next().unwrap_or_default();
            current = Some((name.to_string(), String::new()));
        }
        if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
            if line.starts_with(')')
                && let Some((name, text)) = current.take()
            {
                tables.insert(name, text);
            }
        }
    }
    tables
}

async fn enterprise_tables(pool: &SqlitePool) -> Result<BTreeSet<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_schema WHERE type = 'table'
           AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

#[tokio::test]
async fn creates_exactly_the_twenty_seed_tables_as_strict_tables() -> TestResult {
    let store = store().await?;
    let expected: BTreeSet<String> = TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(enterprise_tables(&store.pool).await?, expected);

    // STRICT is what makes a wrongly typed bind fail instead of being stored as-is.
    let strict: Vec<(String, i64)> = sqlx::query_as(
        "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
           AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&store.pool)
    .await?;
    assert_eq!(strict.len(), TABLES.len());
    assert!(strict.iter().all(|(_, s)| *s == 1), "{strict:?}");
    Ok(())
}

#[tokio::test]
async fn records_version_one_and_applies_once() -> TestResult {
    let store = store().await?;
    seed_migrator().run(&store.pool).await?;
    let rows: Vec<(i64, String, bool)> =
        sqlx::query_as("SELECT version, description, success FROM _sqlx_migrations")
            .fetch_all(&store.pool)
            .await?;
    assert_eq!(rows, [(1, "create enterprise tables".to_string(), true)]);
    Ok(())
}

#[tokio::test]
async fn version_two_mirrors_the_postgres_migration() -> TestResult {
    let store = store_with_fixture().await?;
    migrator().run(&store.pool).await?;
    migrator().run(&store.pool).await?;
    let versions: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&store.pool)
            .await?;
    assert_eq!(versions, [(1,), (2,), (LATEST_SCHEMA_VERSION,)]);
    assert_eq!(LATEST_SCHEMA_VERSION, 3);

    let mut postgres = columns_in_file(POSTGRES_VERSION_2_SQL);
    assert_eq!(
        postgres.keys().map(String::as_str).collect::<Vec<_>>(),
        VERSION_2_TABLES
    );
    // Version 3 mirrors PostgreSQL's version 5; versions 3 and 4 there have no mirror.
    postgres.extend(columns_in_file(POSTGRES_VERSION_5_SQL));
    for (table, columns) in postgres {
        let rows: Vec<(String, bool)> =
            sqlx::query_as("SELECT name, \"notnull\" FROM pragma_table_xinfo(?) ORDER BY cid")
                .bind(&table)
                .fetch_all(&store.pool)
                .await?;
        let expected: Vec<(String, bool)> =
            columns.into_iter().map(|c| (c.name, c.not_null)).collect();
        assert_eq!(rows, expected, "{table} differs between the two schemas");
    }
    assert_eq!(
        indexes_in_file(SQLITE_VERSION_2_SQL),
        indexes_in_file(POSTGRES_VERSION_2_SQL)
    );

    for refused in [
        "INSERT INTO security_events (id, event_type) VALUES ('a0000000-0000-4000-8000-000000000001', 'Sign In')",
        "INSERT INTO security_events (id, event_type, detail) VALUES ('a0000000-0000-4000-8000-000000000002', 'sign_in', '[]')",
        "INSERT INTO sso_signing_keys (kid, public_key) VALUES ('short', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')",
        "INSERT INTO sso_signing_keys (kid, public_key) VALUES ('key-00001', 'not base64url')",
        "INSERT INTO sign_in_throttles (throttle_key, failures, window_started_at) VALUES ('ada', 1, '2026-01-01T00:00:00.000Z')",
        "INSERT INTO sign_in_throttles (throttle_key, failures, window_started_at) VALUES ('user:ada', 0, '2026-01-01T00:00:00.000Z')",
        "INSERT INTO sso_signing_keys (kid, public_key, created_at, retired_at)
         VALUES ('key-00002', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '2026-01-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    ] {
        assert!(
            sqlx::raw_sql(AssertSqlSafe(refused)).execute(&store.pool).await.is_err(),
            "accepted: {refused}"
        );
    }
    sqlx::raw_sql(
        "INSERT INTO security_events (id, identity_id, actor_id, event_type, detail)
         VALUES ('a0000000-0000-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111',
                 '11111111-1111-4111-8111-111111111111', 'sign_in', '{\"method\":\"password\"}');
         INSERT INTO sso_signing_keys (kid, public_key) VALUES ('key-00003', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
         DELETE FROM identity_profiles WHERE id = '11111111-1111-4111-8111-111111111111';",
    )
    .execute(&store.pool)
    .await?;
    let (events, named): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(identity_id) + count(actor_id) FROM security_events",
    )
    .fetch_one(&store.pool)
    .await?;
    assert_eq!((events, named), (1, 0));
    Ok(())
}

#[tokio::test]
async fn columns_match_the_postgres_schema() -> TestResult {
    let store = store().await?;
    let postgres = columns_in_file(POSTGRES_SQL);
    assert_eq!(
        postgres.len(),
        TABLES.len(),
        "the PostgreSQL file no longer parses as expected"
    );

    let mut sqlite: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for table in TABLES {
        let rows: Vec<(String, String, bool, Option<String>, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", dflt_value, hidden FROM pragma_table_xinfo(?) ORDER BY cid",
        )
        .bind(table)
        .fetch_all(&store.pool)
        .await?;
        sqlite.insert(
            table.to_string(),
            rows.into_iter()
                .map(|(name, ty, not_null, default, hidden)| Column {
                    name,
                    ty,
                    not_null,
                    has_default: default.is_some(),
                    generated: hidden == 3,
                })
                .collect(),
        );
    }

    // The PostgreSQL columns as this file has to spell them.
    let mirrored: BTreeMap<String, Vec<Column>> = postgres
        .into_iter()
        .map(|(table, columns)| {
            let columns = columns
                .into_iter()
                .map(|c| Column {
                    ty: match c.ty.as_str() {
                        "BIGINT" | "INTEGER" | "SMALLINT" | "BOOLEAN" => "INTEGER",
                        "BYTEA" => "BLOB",
                        _ => "TEXT",
                    }
                    .to_string(),
                    // The app supplies primary keys; PostgreSQL can generate them too.
                    has_default: c.has_default && c.name != "id",
                    ..c
                })
                .collect();
            (table, columns)
        })
        .collect();
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        mirrored.keys().collect::<Vec<_>>()
    );
    for (table, columns) in &mirrored {
        assert_eq!(
            sqlite.get(table),
            Some(columns),
            "{table} differs between the two schemas"
        );
    }
    Ok(())
}

#[tokio::test]
async fn indexes_match_the_postgres_schema() -> TestResult {
    let store = store().await?;
    let postgres = indexes_in_file(POSTGRES_SQL);
    assert!(
        postgres.len() >= 50,
        "the PostgreSQL file no longer parses as expected: {postgres:?}"
    );

    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL")
            .fetch_all(&store.pool)
            .await?;
    let declared: BTreeSet<Index> = rows.iter().filter_map(|(sql,)| parse_index(sql)).collect();
    assert_eq!(
        declared.len(),
        rows.len(),
        "an index statement did not parse: {rows:?}"
    );
    let only_sqlite: Vec<&Index> = declared.difference(&postgres).collect();
    let only_postgres: Vec<&Index> = postgres.difference(&declared).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "indexes differ\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_postgres:#?}"
    );

    // What SQLite built must be what the statements say.
    for index in &declared {
        let keys: Vec<(String, bool)> = sqlx::query_as(
            "SELECT name, \"desc\" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
        )
        .bind(&index.name)
        .fetch_all(&store.pool)
        .await?;
        assert_eq!(keys, index.keys, "{}", index.name);
        let (unique, partial): (bool, bool) =
            sqlx::query_as("SELECT \"unique\", partial FROM pragma_index_list(?) WHERE name = ?")
                .bind(&index.table)
                .bind(&index.name)
                .fetch_one(&store.pool)
                .await?;
        assert_eq!(
            (unique, partial),
            (index.unique, index.predicate.is_some()),
            "{}",
            index.name
        );
    }
    Ok(())
}

#[tokio::test]
async fn unique_and_named_constraints_match_the_postgres_schema() -> TestResult {
    let store = store().await?;
    let postgres = create_table_statements(POSTGRES_SQL);
    let sqlite = create_table_statements(SQLITE_SQL);
    assert_eq!(postgres.len(), TABLES.len());
    for (table, statement) in &postgres {
        let mirrored = sqlite
            .get(table)
            .ok_or_else(|| format!("{table} missing from the SQLite file"))?;
        assert_eq!(
            named_constraints(mirrored),
            named_constraints(statement),
            "{table}"
        );
    }

    // The unique constraints SQLite actually enforces, compared by their columns.
    let unique_columns = |statement: &str| -> BTreeSet<Vec<String>> {
        let text = collapse_whitespace(statement);
        text.split(" UNIQUE (")
            .skip(1)
            .filter_map(|rest| rest.split_once(')'))
            .map(|(columns, _)| columns.split(',').map(|c| c.trim().to_string()).collect())
            .collect()
    };
    for table in TABLES {
        let statement = postgres.get(table).ok_or("table missing")?;
        let autoindexes: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM pragma_index_list(?) WHERE origin = 'u'")
                .bind(table)
                .fetch_all(&store.pool)
                .await?;
        let mut enforced = BTreeSet::new();
        for (index,) in autoindexes {
            let columns: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&store.pool)
                    .await?;
            enforced.insert(columns.into_iter().map(|(c,)| c).collect::<Vec<_>>());
        }
        assert_eq!(enforced, unique_columns(statement), "{table}");
    }
    Ok(())
}

#[tokio::test]
async fn foreign_keys_follow_the_seed_tree() -> TestResult {
    let store = store().await?;
    let mut found = BTreeSet::new();
    for table in TABLES {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?)",
        )
        .bind(table)
        .fetch_all(&store.pool)
        .await?;
        for (parent, column, target, on_delete) in rows {
            assert_eq!(target, "id", "{table}.{column}");
            found.insert((table.to_string(), column, parent, on_delete));
        }
    }
    let expected: BTreeSet<(String, String, String, String)> = FOREIGN_KEYS
        .iter()
        .map(|(c, col, p, d)| (c.to_string(), col.to_string(), p.to_string(), d.to_string()))
        .collect();
    assert_eq!(found, expected);

    let pairs: BTreeSet<(String, String)> = found
        .iter()
        .map(|(c, _, p, _)| (c.clone(), p.clone()))
        .collect();
    let tree: BTreeSet<(String, String)> = SEED_FK_TREE
        .iter()
        .map(|(c, p)| (c.to_string(), p.to_string()))
        .collect();
    assert_eq!(pairs, tree);
    Ok(())
}

#[tokio::test]
async fn every_foreign_key_column_leads_an_index() -> TestResult {
    let store = store().await?;
    for (table, column, _, _) in FOREIGN_KEYS {
        // Partial indexes do not count: a cascade or a parent-side check scans every child row.
        let (covering,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pragma_index_list(?1) l
             WHERE l.partial = 0
               AND (SELECT name FROM pragma_index_info(l.name) WHERE seqno = 0) = ?2",
        )
        .bind(table)
        .bind(column)
        .fetch_one(&store.pool)
        .await?;
        assert!(covering > 0, "{table}.{column} leads no index");
    }
    Ok(())
}

#[tokio::test]
async fn foreign_keys_are_enforced_and_cascade() -> TestResult {
    let store = store_with_fixture().await?;
    let pool = &store.pool;
    let (violations,): (i64,) = sqlx::query_as("SELECT count(*) FROM pragma_foreign_key_check")
        .fetch_one(pool)
        .await?;
    assert_eq!(violations, 0);

    let err = sqlx::raw_sql(
        "INSERT INTO notifications (id, identity_id, kind, title)
         VALUES ('a0000000-0000-4000-8000-0000000000f0', 'a0000000-0000-4000-8000-0000000000f1', 'system', 'x')",
    )
    .execute(pool)
    .await
    .err()
    .ok_or("a notification for a missing identity was accepted")?;
    assert!(
        err.as_database_error()
            .is_some_and(|e| e.is_foreign_key_violation()),
        "{err}"
    );

    // Deleting the reviewer keeps the verification they reviewed (it is someone else's
    // record) and only clears the pointer to them.
    let (kyc_before,): (i64,) = sqlx::query_as("SELECT count(*) FROM kyc_verifications")
        .fetch_one(pool)
        .await?;
    sqlx::query("DELETE FROM identity_profiles WHERE id = ?")
        .bind(REVIEWER)
        .execute(pool)
        .await?;
    let (kyc_after, reviewer_cleared): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE reviewed_by IS NULL) FROM kyc_verifications",
    )
    .fetch_one(pool)
    .await?;
    assert_eq!((kyc_after, reviewer_cleared), (kyc_before, kyc_before));

    sqlx::query("DELETE FROM identity_profiles WHERE id = ?")
        .bind(IDENTITY)
        .execute(pool)
        .await?;
    assert_rows_left_after_deleting_both_identities(pool).await
}

#[tokio::test]
async fn updated_at_triggers_are_on_exactly_the_eight_seed_tables() -> TestResult {
    let store = store().await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT tbl_name, name FROM sqlite_schema WHERE type = 'trigger'")
            .fetch_all(&store.pool)
            .await?;
    let found: BTreeSet<(String, String)> = rows.into_iter().collect();
    let expected: BTreeSet<(String, String)> = UPDATED_AT_TABLES
        .iter()
        .map(|t| (t.to_string(), format!("trg_{t}_updated_at")))
        .collect();
    assert_eq!(found, expected);
    Ok(())
}

#[tokio::test]
async fn an_update_advances_updated_at() -> TestResult {
    let store = store_with_fixture().await?;
    let pool = &store.pool;
    for (table, update) in UPDATED_AT_TABLES.iter().zip(UPDATED_AT_TOUCHES) {
        sqlx::raw_sql(update).execute(pool).await?;
        let stamps: Vec<(String,)> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT updated_at FROM {table}")))
                .fetch_all(pool)
                .await?;
        assert!(!stamps.is_empty(), "{table}");
        for (stamp,) in stamps {
            let parsed = chrono::DateTime::parse_from_rfc3339(&stamp)?;
            let age = chrono::Utc::now().signed_duration_since(parsed);
            assert!(
                age < chrono::Duration::hours(1),
                "{table}: updated_at not advanced: {stamp}"
            );
            assert!(
                stamp.ends_with('Z') && stamp.len() == 24,
                "{table}: not the canonical form: {stamp}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn an_explicit_updated_at_is_kept_and_the_trigger_never_recurses() -> TestResult {
    let store = store_with_fixture().await?;
    let pool = &store.pool;
    sqlx::raw_sql(
        "UPDATE identity_profiles SET full_name = 'Ada', updated_at = '2001-01-01T00:00:00.000Z'",
    )
    .execute(pool)
    .await?;
    let (stamp,): (String,) =
        sqlx::query_as("SELECT updated_at FROM identity_profiles WHERE id = ?")
            .bind(IDENTITY)
            .fetch_one(pool)
            .await?;
    assert_eq!(stamp, "2001-01-01T00:00:00.000Z");

    // With recursive triggers on, the trigger's own UPDATE would re-fire it; repeated
    // updates inside one millisecond are the case that would loop if it did.
    sqlx::raw_sql("PRAGMA recursive_triggers = ON")
        .execute(pool)
        .await?;
    for _ in 0..20 {
        sqlx::raw_sql("UPDATE identity_profiles SET kyc_level = 1 - kyc_level")
            .execute(pool)
            .await?;
    }
    let (advanced,): (bool,) =
        sqlx::query_as("SELECT min(updated_at) > '2001-01-02' FROM identity_profiles")
            .fetch_one(pool)
            .await?;
    assert!(advanced);
    Ok(())
}

#[tokio::test]
async fn check_constraints_refuse_invalid_rows() -> TestResult {
    let store = store_with_fixture().await?;
    let cases = REJECTED
        .iter()
        .copied()
        .chain(REJECTED_BY_TYPE_CHECKS.iter().map(|sql| (*sql, None)));
    for (sql, constraint) in cases {
        let db = refused(&store.pool, sql).await?;
        assert!(db.is_check_violation(), "{sql}: {db}");
        if let Some(constraint) = constraint {
            assert!(
                db.message().ends_with(&format!(": {constraint}")),
                "{sql}: {}",
                db.message()
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn check_constraints_accept_valid_rows() -> TestResult {
    let store = store_with_fixture().await?;
    for sql in ACCEPTED.iter().chain(ACCEPTED_BY_TYPE_CHECKS) {
        let result = sqlx::raw_sql(*sql).execute(&store.pool).await;
        assert!(result.is_ok(), "{sql}: {result:?}");
    }
    Ok(())
}

#[tokio::test]
async fn named_unique_constraints_refuse_duplicates() -> TestResult {
    let store = store_with_fixture().await?;
    let duplicates = [
        "UPDATE identity_profiles SET email = 'ada@example.com'",
        "INSERT INTO multipass_credentials (id, identity_id, username, password_hash)
         VALUES ('a0000000-0000-4000-8000-0000000000f2', '22222222-2222-4222-8222-222222222222', 'ada', '$argon2id$x')",
        "INSERT INTO asset_definitions (id, symbol, name, asset_type, total_supply)
         VALUES ('a0000000-0000-4000-8000-0000000000f3', 'BLS', 'Again', 'native', 1)",
        "INSERT INTO application_modules (id, name, display_name, category, api_base_url)
         VALUES ('a0000000-0000-4000-8000-0000000000f4', 'ledger-view', 'Again', 'other', 'https://x.example')",
        "INSERT INTO report_definitions (id, name, sql_template)
         VALUES ('a0000000-0000-4000-8000-0000000000f5', 'daily_summary', 'SELECT 2')",
        "INSERT INTO market_orders (id, sequence, wallet_id, asset_id, side, price, quantity)
         VALUES ('a0000000-0000-4000-8000-0000000000f6', 1, '33333333-3333-4333-8333-333333333333',
                 '66666666-6666-4666-8666-666666666666', 'sell', 10, 1)",
    ];
    for sql in duplicates {
        let err = sqlx::raw_sql(sql)
            .execute(&store.pool)
            .await
            .err()
            .ok_or_else(|| format!("accepted: {sql}"))?;
        assert!(
            err.as_database_error()
                .is_some_and(|e| e.is_unique_violation()),
            "{sql}: {err}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn wrongly_typed_values_are_refused() -> TestResult {
    let store = store_with_fixture().await?;
    for sql in [
        "UPDATE wallet_balances SET total = 'lots'",
        "UPDATE identity_profiles SET full_name = x'00'",
        "UPDATE generated_reports SET result = 'text, not bytes'",
    ] {
        assert!(
            sqlx::raw_sql(sql).execute(&store.pool).await.is_err(),
            "accepted: {sql}"
        );
    }
    // A UUID bound as sqlx's default 16-byte blob instead of text.
    let err = sqlx::query("UPDATE notifications SET id = ?")
        .bind(uuid::Uuid::nil())
        .execute(&store.pool)
        .await;
    assert!(err.is_err(), "a blob UUID was accepted");
    Ok(())
}

#[tokio::test]
async fn generated_columns_follow_their_inputs() -> TestResult {
    let store = store_with_fixture().await?;
    let pool = &store.pool;
    sqlx::raw_sql(
        "UPDATE wallet_balances SET total = 70, locked = 20; UPDATE asset_balances SET quantity = 9, locked_quantity = 4",
    )
    .execute(pool)
    .await?;
    let (unlocked,): (i64,) = sqlx::query_as("SELECT unlocked FROM wallet_balances")
        .fetch_one(pool)
        .await?;
    let (available,): (i64,) = sqlx::query_as("SELECT available FROM asset_balances")
        .fetch_one(pool)
        .await?;
    assert_eq!((unlocked, available), (50, 5));
    Ok(())
}

#[tokio::test]
async fn defaults_write_canonical_timestamps_and_ids_come_from_the_app() -> TestResult {
    let store = store_with_fixture().await?;
    let pool = &store.pool;
    let (created_at, issued_at): (String, String) =
        sqlx::query_as("SELECT created_at, issued_at FROM attestations")
            .fetch_one(pool)
            .await?;
    for stamp in [created_at, issued_at] {
        let (canonical,): (bool,) = sqlx::query_as(
            "SELECT ? GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'",
        )
        .bind(&stamp)
        .fetch_one(pool)
        .await?;
        assert!(canonical, "{stamp}");
        chrono::DateTime::parse_from_rfc3339(&stamp)?;
    }

    let err = sqlx::raw_sql(
        "INSERT INTO notifications (identity_id, kind, title) VALUES ('11111111-1111-4111-8111-111111111111', 'system', 'x')",
    )
    .execute(pool)
    .await
    .err()
    .ok_or("a row without an id was accepted")?;
    assert!(
        err.as_database_error()
            .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::NotNullViolation),
        "{err}"
    );
    Ok(())
}
