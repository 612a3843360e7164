//! The PostgreSQL schema checked against the seed document, from the catalogs of a real
//! database.
//!
//! Every test gets a fresh database from `#[sqlx::test]` (DATABASE_URL must point at a
//! server, e.g. postgresql://postgres@127.0.0.1:5432/postgres) and applies the migrator the
//! app uses, so what is checked is what the app and sqlx-cli create. The seed's facts are
//! checked on schema version 1 (the seed's own migration); what versions 2 and 3 add is
//! checked on the full migrator.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use multipass_store_postgres::{LATEST_SCHEMA_VERSION, migrator};
use sqlx::PgPool;
use sqlx::migrate::{MigrationType, Migrator};

type TestResult = Result<(), Box<dyn Error>>;

const SCHEMA_SQL: &str = include_str!("../../../migrations/001_create_enterprise_tables.sql");
const VERSION_2_SQL: &str =
    include_str!("../../../migrations/003_create_security_events_and_sso_keys.sql");

/// Tables that schema version 2 adds to the seed's twenty.
const VERSION_2_TABLES: [&str; 2] = ["security_events", "sso_signing_keys"];
/// Tables that schema version 3 adds.
const VERSION_3_TABLES: [&str; 1] = ["market_books"];
/// Tables that schema versions 5 to 7 add (version 4 adds a role's rights only).
const VERSION_5_TABLES: [&str; 3] = ["sign_in_throttles", "server_secrets", "security_policy"];

include!("../../multipass-store/testdata/seed_schema.rs");

/// References the tree does not draw because they repeat a parent the child already hangs
/// from: who reviewed or enrolled something, and the other wallet of a transfer. They are
/// not cascading, so deleting a reviewer cannot silently delete someone else's records.
const SAME_PARENT_EXTRAS: [(&str, &str); 3] = [
    ("kyc_verifications", "identity_profiles"),
    ("hardware_passes", "identity_profiles"),
    ("wallet_transactions", "wallet_accounts"),
];

/// The seed's "JSONB" list.
const JSONB_COLUMNS: [(&str, &str); 9] = [
    ("identity_profiles", "metadata"),
    ("kyc_verifications", "metadata"),
    ("attestations", "metadata"),
    ("wallet_accounts", "boundless_addresses"),
    ("wallet_transactions", "metadata"),
    ("multipass_sessions", "device_info"),
    ("asset_definitions", "metadata"),
    ("notifications", "metadata"),
    ("generated_reports", "parameters"),
];

/// The seed's "Arrays" list (all TEXT[]).
const TEXT_ARRAY_COLUMNS: [(&str, &str); 6] = [
    ("wallet_accounts", "labels"),
    ("multipass_credentials", "backup_codes"),
    ("multipass_sessions", "scopes"),
    ("application_modules", "required_scopes"),
    ("report_definitions", "parameters"),
    ("hardware_passes", "capabilities"),
];

/// The seed's "Unique Constraint Violations" list, with the constraint names the app maps
/// to user-facing errors.
#[rustfmt::skip]
const NAMED_UNIQUES: [(&str, &str, &str); 5] = [
    ("identity_profiles", "identity_profiles_email_key", "email"),
    ("multipass_credentials", "multipass_credentials_username_key", "username"),
    ("asset_definitions", "asset_definitions_symbol_key", "symbol"),
    ("application_modules", "application_modules_name_key", "name"),
    ("report_definitions", "report_definitions_name_key", "name"),
];

/// The seed fixture, leaving the order sequence to the identity column.
const FIXTURE: &str = seed_fixture!(
    "INSERT INTO market_orders (id, wallet_id, asset_id, side, price, quantity, locked_amount, updated_at) VALUES
    ('99999999-9999-4999-8999-999999999999', '33333333-3333-4333-8333-333333333333',
     '66666666-6666-4666-8666-666666666666', 'buy', 10, 5, 50, '2000-01-01T00:00:00.000Z');"
);

/// The app's migrator cut to schema version 1: the seed's migration alone.
fn seed_migrator() -> Migrator {
    Migrator::with_migrations(
        migrator()
            .iter()
            .filter(|m| m.version == 1)
            .cloned()
            .collect(),
    )
}

/// The seed schema (version 1).
async fn applied(pool: &PgPool) -> Result<(), Box<dyn Error>> {
    seed_migrator().run(pool).await?;
    Ok(())
}

/// Everything this build knows (the app's migrator).
async fn fully_applied(pool: &PgPool) -> Result<(), Box<dyn Error>> {
    migrator().run(pool).await?;
    Ok(())
}

async fn with_fixture(pool: &PgPool) -> Result<(), Box<dyn Error>> {
    applied(pool).await?;
    sqlx::raw_sql(FIXTURE).execute(pool).await?;
    Ok(())
}

async fn enterprise_tables(pool: &PgPool) -> Result<BTreeSet<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

async fn column_set(
    pool: &PgPool,
    sql: &'static str,
) -> Result<BTreeSet<(String, String)>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(pool).await?;
    Ok(rows.into_iter().collect())
}

fn set_of<const N: usize>(items: [(&str, &str); N]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

#[sqlx::test(migrations = false)]
async fn creates_exactly_the_twenty_seed_tables(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    let expected: BTreeSet<String> = TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(enterprise_tables(&pool).await?, expected);
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn records_version_one_as_sqlx_cli_does(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    let (version, description, success, checksum): (i64, String, bool, Vec<u8>) =
        sqlx::query_as("SELECT version, description, success, checksum FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await?;
    assert_eq!(version, 1);
    assert_eq!(description, "create enterprise tables");
    assert!(success);
    let up = migrator()
        .iter()
        .find(|m| m.migration_type == MigrationType::ReversibleUp)
        .map(|m| m.checksum.to_vec())
        .ok_or("the migrator has no up migration")?;
    assert_eq!(checksum, up);

    // Starting the app again must not re-apply anything.
    applied(&pool).await?;
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await?;
    assert_eq!(count, 1);
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn catalog_columns_match_the_migration_file(pool: PgPool) -> TestResult {
    // Also proves the file parser that the SQLite mirror's tests rely on reads the file right.
    applied(&pool).await?;
    let rows: Vec<(String, String, String, String, bool, bool, bool)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, udt_name::text,
                is_nullable = 'NO', column_default IS NOT NULL, is_generated = 'ALWAYS'
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&pool)
    .await?;
    let mut catalog: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, name, data_type, udt, not_null, has_default, generated) in rows {
        let ty = match (data_type.as_str(), udt.as_str()) {
            ("uuid", _) => "UUID",
            ("text", _) => "TEXT",
            ("character", _) => "CHAR(2)",
            ("date", _) => "DATE",
            ("smallint", _) => "SMALLINT",
            ("integer", _) => "INTEGER",
            ("bigint", _) => "BIGINT",
            ("boolean", _) => "BOOLEAN",
            ("timestamp with time zone", _) => "TIMESTAMPTZ",
            ("jsonb", _) => "JSONB",
            ("bytea", _) => "BYTEA",
            ("ARRAY", "_text") => "TEXT[]",
            other => return Err(format!("unexpected type {other:?} for {table}.{name}").into()),
        };
        catalog.entry(table).or_default().push(Column {
            name,
            ty: ty.to_string(),
            not_null,
            has_default,
            generated,
        });
    }
    assert_eq!(catalog, columns_in_file(SCHEMA_SQL));
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn foreign_keys_follow_the_seed_tree(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    let rows: Vec<(String, String, String, String, i32, i32)> = sqlx::query_as(
        "SELECT child.relname::text, col.attname::text, parent.relname::text,
                CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION'
                                   WHEN 'r' THEN 'RESTRICT' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END,
                cardinality(c.conkey), (SELECT count(*)::int FROM pg_attribute pk
                                        WHERE pk.attrelid = c.confrelid AND pk.attnum = c.confkey[1]
                                          AND pk.attname = 'id')
         FROM pg_constraint c
         JOIN pg_class child ON child.oid = c.conrelid
         JOIN pg_class parent ON parent.oid = c.confrelid
         JOIN pg_attribute col ON col.attrelid = c.conrelid AND col.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace",
    )
    .fetch_all(&pool)
    .await?;

    let pairs: BTreeSet<(String, String)> =
        rows.iter().map(|r| (r.0.clone(), r.2.clone())).collect();
    let mut expected_pairs = set_of(SEED_FK_TREE);
    expected_pairs.extend(set_of(SAME_PARENT_EXTRAS));
    assert_eq!(pairs, expected_pairs);

    for row in &rows {
        assert_eq!(
            (row.4, row.5),
            (1, 1),
            "{}.{} must be a single column referencing id",
            row.0,
            row.1
        );
    }
    let columns: BTreeSet<(String, String, String, String)> =
        rows.into_iter().map(|r| (r.0, r.1, r.2, r.3)).collect();
    let expected: BTreeSet<(String, String, String, String)> = FOREIGN_KEYS
        .iter()
        .map(|(c, col, p, d)| (c.to_string(), col.to_string(), p.to_string(), d.to_string()))
        .collect();
    assert_eq!(columns, expected);
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn every_foreign_key_column_leads_an_index(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    // Partial indexes do not count: a cascade or a parent-side check scans every child row.
    let uncovered: Vec<(String, String)> = sqlx::query_as(
        "SELECT child.relname::text, col.attname::text
         FROM pg_constraint c
         JOIN pg_class child ON child.oid = c.conrelid
         JOIN pg_attribute col ON col.attrelid = c.conrelid AND col.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_index i
                           WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1] AND i.indpred IS NULL)",
    )
    .fetch_all(&pool)
    .await?;
    assert!(
        uncovered.is_empty(),
        "foreign keys without a leading index: {uncovered:?}"
    );
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn primary_keys_are_uuid_v4(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    let rows: Vec<(String, Vec<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT cl.relname::text,
                ARRAY(SELECT ka.attname::text FROM unnest(c.conkey) k JOIN pg_attribute ka
                      ON ka.attrelid = c.conrelid AND ka.attnum = k),
                format_type(a.atttypid, a.atttypmod),
                pg_get_expr(d.adbin, d.adrelid)
         FROM pg_constraint c
         JOIN pg_class cl ON cl.oid = c.conrelid
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         LEFT JOIN pg_attrdef d ON d.adrelid = c.conrelid AND d.adnum = a.attnum
         WHERE c.contype = 'p' AND c.connamespace = 'public'::regnamespace AND cl.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await?;
    assert_eq!(rows.len(), TABLES.len());
    for (table, key, ty, default) in rows {
        assert_eq!(key, ["id"], "{table}");
        assert_eq!(ty, "uuid", "{table}");
        assert_eq!(default.as_deref(), Some("uuid_generate_v4()"), "{table}");
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn every_timestamp_is_timestamptz(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'
           AND (data_type LIKE 'timestamp%' OR data_type LIKE 'time %' OR column_name LIKE '%\\_at')",
    )
    .fetch_all(&pool)
    .await?;
    assert!(
        rows.len() >= 2 * TABLES.len(),
        "expected created_at and more, got {rows:?}"
    );
    for (table, column, ty) in rows {
        assert_eq!(ty, "timestamp with time zone", "{table}.{column}");
        assert!(
            column.ends_with("_at"),
            "{table}.{column}: timestamps are named *_at"
        );
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn jsonb_and_array_columns_are_the_seed_lists(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    let jsonb = column_set(
        &pool,
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type = 'jsonb'",
    )
    .await?;
    assert_eq!(jsonb, set_of(JSONB_COLUMNS));
    let arrays = column_set(
        &pool,
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type = 'ARRAY'",
    )
    .await?;
    assert_eq!(arrays, set_of(TEXT_ARRAY_COLUMNS));
    let text_arrays = column_set(
        &pool,
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND udt_name = '_text'",
    )
    .await?;
    assert_eq!(text_arrays, set_of(TEXT_ARRAY_COLUMNS));
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn named_unique_constraints_exist(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    for (table, name, column) in NAMED_UNIQUES {
        let columns: Vec<(String,)> = sqlx::query_as(
            "SELECT a.attname::text
             FROM pg_constraint c
             JOIN pg_class cl ON cl.oid = c.conrelid
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
             WHERE c.contype = 'u' AND c.conname = $1 AND cl.relname = $2",
        )
        .bind(name)
        .bind(table)
        .fetch_all(&pool)
        .await?;
        assert_eq!(columns, [(column.to_string(),)], "{name}");
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn unique_constraints_refuse_duplicates(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    let duplicates = [
        (
            "UPDATE identity_profiles SET email = 'ada@example.com'",
            "identity_profiles_email_key",
        ),
        (
            "INSERT INTO multipass_credentials (identity_id, username, password_hash)
             VALUES ('22222222-2222-4222-8222-222222222222', 'ada', '$argon2id$x')",
            "multipass_credentials_username_key",
        ),
        (
            "INSERT INTO asset_definitions (symbol, name, asset_type, total_supply) VALUES ('BLS', 'Again', 'native', 1)",
            "asset_definitions_symbol_key",
        ),
        (
            "INSERT INTO application_modules (name, display_name, category, api_base_url)
             VALUES ('ledger-view', 'Again', 'other', 'https://x.example')",
            "application_modules_name_key",
        ),
        (
            "INSERT INTO report_definitions (name, sql_template) VALUES ('daily_summary', 'SELECT 2')",
            "report_definitions_name_key",
        ),
    ];
    for (sql, constraint) in duplicates {
        let db = refused(&pool, sql).await?;
        assert!(db.is_unique_violation(), "{sql}: {db}");
        assert_eq!(db.constraint(), Some(constraint), "{sql}");
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn updated_at_triggers_are_on_exactly_the_eight_seed_tables(pool: PgPool) -> TestResult {
    applied(&pool).await?;
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT cl.relname::text, t.tgname::text, p.proname::text,
                -- row-level (1), before (2), update (16) and nothing else
                t.tgtype = 1 | 2 | 16
         FROM pg_trigger t
         JOIN pg_class cl ON cl.oid = t.tgrelid
         JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE NOT t.tgisinternal AND cl.relnamespace = 'public'::regnamespace",
    )
    .fetch_all(&pool)
    .await?;
    let tables: BTreeSet<String> = rows.iter().map(|r| r.0.clone()).collect();
    let expected: BTreeSet<String> = UPDATED_AT_TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(tables, expected);
    assert_eq!(rows.len(), UPDATED_AT_TABLES.len());
    for (table, trigger, function, before_update_each_row) in rows {
        assert_eq!(trigger, format!("trg_{table}_updated_at"));
        assert_eq!(function, "multipass_set_updated_at");
        assert!(before_update_each_row, "{trigger}");
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn an_update_advances_updated_at(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    for (table, update) in UPDATED_AT_TABLES.iter().zip(UPDATED_AT_TOUCHES) {
        sqlx::raw_sql(update).execute(&pool).await?;
        let sql = format!(
            "SELECT bool_and(updated_at > now() - interval '1 hour' AND updated_at > created_at) FROM {table}"
        );
        let (advanced,): (Option<bool>,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await?;
        assert_eq!(advanced, Some(true), "{table}: {update}");
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn check_constraints_refuse_invalid_rows(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    for (sql, constraint) in REJECTED {
        let db = refused(&pool, sql).await?;
        assert!(db.is_check_violation(), "{sql}: {db}");
        if let Some(constraint) = constraint {
            assert_eq!(db.constraint(), Some(*constraint), "{sql}");
        }
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn check_constraints_accept_valid_rows(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    for sql in ACCEPTED {
        let result = sqlx::raw_sql(*sql).execute(&pool).await;
        assert!(result.is_ok(), "{sql}: {result:?}");
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn generated_columns_follow_their_inputs(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    sqlx::raw_sql("UPDATE wallet_balances SET total = 70, locked = 20; UPDATE asset_balances SET quantity = 9, locked_quantity = 4")
        .execute(&pool)
        .await?;
    let (unlocked,): (i64,) = sqlx::query_as("SELECT unlocked FROM wallet_balances")
        .fetch_one(&pool)
        .await?;
    let (available,): (i64,) = sqlx::query_as("SELECT available FROM asset_balances")
        .fetch_one(&pool)
        .await?;
    assert_eq!((unlocked, available), (50, 5));
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn deleting_an_identity_cascades_and_clears_references_to_it(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    // Deleting the reviewer keeps the verification they reviewed (it is someone else's
    // record) and only clears the pointer to them.
    let (kyc_before,): (i64,) = sqlx::query_as("SELECT count(*) FROM kyc_verifications")
        .fetch_one(&pool)
        .await?;
    sqlx::query("DELETE FROM identity_profiles WHERE id = $1::uuid")
        .bind(REVIEWER)
        .execute(&pool)
        .await?;
    let (kyc_after, reviewer_cleared): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE reviewed_by IS NULL) FROM kyc_verifications",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((kyc_after, reviewer_cleared), (kyc_before, kyc_before));

    sqlx::query("DELETE FROM identity_profiles WHERE id = $1::uuid")
        .bind(IDENTITY)
        .execute(&pool)
        .await?;
    assert_rows_left_after_deleting_both_identities(&pool).await
}

#[sqlx::test(migrations = false)]
async fn reverts_completely_and_applies_again(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    fully_applied(&pool).await?;
    migrator().undo(&pool, 0).await?;

    assert!(enterprise_tables(&pool).await?.is_empty());
    let (functions,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM pg_proc WHERE proname = 'multipass_set_updated_at'")
            .fetch_one(&pool)
            .await?;
    assert_eq!(functions, 0, "multipass_set_updated_at() must be dropped");
    let (recorded,): (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await?;
    assert_eq!(recorded, 0);

    fully_applied(&pool).await?;
    assert_eq!(
        enterprise_tables(&pool).await?.len(),
        TABLES.len() + VERSION_2_TABLES.len() + VERSION_3_TABLES.len() + VERSION_5_TABLES.len()
    );
    sqlx::raw_sql(FIXTURE).execute(&pool).await?;
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn version_two_adds_its_tables_and_reverts_to_exactly_the_seed(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    fully_applied(&pool).await?;
    let mut expected: BTreeSet<String> = TABLES.iter().map(|t| t.to_string()).collect();
    expected.extend(VERSION_2_TABLES.iter().map(|t| t.to_string()));
    let mut latest = expected.clone();
    latest.extend(VERSION_3_TABLES.iter().map(|t| t.to_string()));
    latest.extend(VERSION_5_TABLES.iter().map(|t| t.to_string()));
    assert_eq!(enterprise_tables(&pool).await?, latest);
    let (version,): (i64,) = sqlx::query_as("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await?;
    assert_eq!(version, LATEST_SCHEMA_VERSION);

    // The columns are the ones the file declares.
    let declared = columns_in_file(VERSION_2_SQL);
    assert_eq!(
        declared.keys().map(String::as_str).collect::<Vec<_>>(),
        VERSION_2_TABLES
    );

    // Audit rows outlive the identity they name: deleting it clears the reference only.
    sqlx::raw_sql(
        "INSERT INTO security_events (identity_id, actor_id, event_type, detail)
         VALUES ('11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111',
                 'sign_in', '{\"method\": \"password\"}');",
    )
    .execute(&pool)
    .await?;
    for refused in [
        "INSERT INTO security_events (event_type) VALUES ('Sign In')",
        "INSERT INTO security_events (event_type, detail) VALUES ('sign_in', '[]')",
        "INSERT INTO sso_signing_keys (kid, public_key) VALUES ('short', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')",
        "INSERT INTO sso_signing_keys (kid, public_key) VALUES ('key-00001', 'not base64url')",
        "INSERT INTO sso_signing_keys (kid, public_key, created_at, retired_at)
         VALUES ('key-00002', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', now(), now() - interval '1 day')",
    ] {
        assert!(
            sqlx::raw_sql(sqlx::AssertSqlSafe(refused)).execute(&pool).await.is_err(),
            "accepted: {refused}"
        );
    }
    sqlx::raw_sql(
        "INSERT INTO sso_signing_keys (kid, public_key) VALUES ('key-00003', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
         DELETE FROM identity_profiles WHERE id = '11111111-1111-4111-8111-111111111111';",
    )
    .execute(&pool)
    .await?;
    let (events, named): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(identity_id) + count(actor_id) FROM security_events",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((events, named), (1, 0));

    // Reverting versions 6 to 3 drops their tables only.
    migrator().undo(&pool, 2).await?;
    assert_eq!(enterprise_tables(&pool).await?, expected);

    // Reverting version 2 leaves the seed schema exactly, and it applies again.
    migrator().undo(&pool, 1).await?;
    let seed: BTreeSet<String> = TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(enterprise_tables(&pool).await?, seed);
    fully_applied(&pool).await?;
    assert_eq!(enterprise_tables(&pool).await?, latest);
    Ok(())
}

/// Version 4: the server's login, holding only `multipass_runtime`, reads and writes rows,
/// may run reports as the reader, and changes nothing else: no DDL, no roles, no deletes, no
/// rewriting of the audit trail, nothing outside its tables.
#[sqlx::test(migrations = false)]
async fn the_runtime_role_writes_rows_and_nothing_else(pool: PgPool) -> TestResult {
    fully_applied(&pool).await?;
    let runtime = multipass_store_postgres::test_support::runtime_pool(&pool, 2).await?;
    let (login,): (String,) = sqlx::query_as("SELECT current_user::text")
        .fetch_one(&runtime)
        .await?;
    assert_eq!(
        login,
        multipass_store_postgres::test_support::RUNTIME_TEST_LOGIN
    );
    sqlx::raw_sql(
        "INSERT INTO security_events (event_type, detail) VALUES ('sign_in', '{}');
         INSERT INTO identity_profiles (id, full_name, email)
             VALUES ('22222222-2222-4222-8222-222222222222', 'Ada', 'ada@example.com');
         UPDATE identity_profiles SET full_name = 'Ada L.'
             WHERE id = '22222222-2222-4222-8222-222222222222';
         SELECT count(*) FROM _sqlx_migrations;
         BEGIN READ ONLY;
         SET LOCAL ROLE multipass_report_reader;
         SELECT count(*) FROM wallet_accounts;
         COMMIT;",
    )
    .execute(&runtime)
    .await?;
    for refused in [
        "CREATE TABLE stolen (x int)",
        "CREATE SCHEMA elsewhere",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "ALTER TABLE identity_profiles ADD COLUMN x int",
        "DROP TABLE market_books",
        "CREATE ROLE escalated",
        "GRANT multipass_runtime TO multipass_report_reader",
        "DELETE FROM security_events",
        "UPDATE security_events SET event_type = 'sign_out'",
        "TRUNCATE wallet_transactions",
        "DELETE FROM wallet_transactions",
        "DELETE FROM identity_profiles",
        "SET ROLE postgres",
        "COPY identity_profiles TO PROGRAM 'true'",
        "SELECT pg_read_file('/etc/hostname')",
        "SELECT rolpassword FROM pg_authid",
    ] {
        let err = sqlx::raw_sql(sqlx::AssertSqlSafe(refused))
            .execute(&runtime)
            .await
            .err()
            .ok_or_else(|| format!("the runtime role may: {refused}"))?;
        let code = err
            .as_database_error()
            .and_then(|e| e.code().map(|c| c.into_owned()));
        assert_eq!(code.as_deref(), Some("42501"), "{refused}: {err}");
    }
    // Reverting version 4 takes the rights away again.
    migrator().undo(&pool, 3).await?;
    let err =
        sqlx::raw_sql("INSERT INTO security_events (event_type, detail) VALUES ('sign_in', '{}')")
            .execute(&runtime)
            .await
            .err()
            .ok_or("the rights outlived the rollback")?;
    assert!(err.to_string().contains("permission denied"), "{err}");
    Ok(())
}

/// Version 3 gives every asset that exists a book row which claims nothing about its book,
/// so no order placed after the upgrade can skip reading the book it might cross.
#[sqlx::test(migrations = false)]
async fn version_three_gives_existing_assets_a_book_that_claims_nothing(
    pool: PgPool,
) -> TestResult {
    with_fixture(&pool).await?;
    let (assets,): (i64,) = sqlx::query_as("SELECT count(*) FROM asset_definitions")
        .fetch_one(&pool)
        .await?;
    assert!(assets > 0, "the fixture must hold an asset");
    fully_applied(&pool).await?;
    let books: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT b.bid_ceiling, b.ask_floor FROM asset_definitions a \
         JOIN market_books b ON b.asset_id = a.id",
    )
    .fetch_all(&pool)
    .await?;
    assert_eq!(books.len() as i64, assets);
    assert!(
        books.iter().all(|&bounds| bounds == (i64::MAX, 0)),
        "{books:?}"
    );
    for refused_sql in [
        "UPDATE market_books SET bid_ceiling = -1",
        "UPDATE market_books SET ask_floor = -1",
        "INSERT INTO market_books (asset_id) VALUES ('00000000-0000-4000-8000-000000000000')",
    ] {
        refused(&pool, refused_sql).await?;
    }
    // A book goes with its asset.
    sqlx::raw_sql("DELETE FROM asset_definitions")
        .execute(&pool)
        .await?;
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM market_books")
        .fetch_one(&pool)
        .await?;
    assert_eq!(left, 0);
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn report_reader_role_reads_business_tables_only(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
    fully_applied(&pool).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL ROLE multipass_report_reader")
        .execute(&mut *tx)
        .await?;
    let (balances,): (i64,) = sqlx::query_as("SELECT count(*) FROM wallet_balances")
        .fetch_one(&mut *tx)
        .await?;
    assert!(balances > 0);
    sqlx::query("SELECT count(*) FROM security_events")
        .execute(&mut *tx)
        .await?;
    tx.rollback().await?;

    for secret in [
        "SELECT password_hash FROM multipass_credentials",
        "SELECT token_hash FROM multipass_sessions",
        "SELECT public_key FROM sso_signing_keys",
        "UPDATE wallet_balances SET total = total + 1",
        "INSERT INTO notifications (identity_id, kind, title) SELECT id, 'system', 'x' FROM identity_profiles",
        "DELETE FROM trades",
    ] {
        let mut tx = pool.begin().await?;
        sqlx::query("SET LOCAL ROLE multipass_report_reader")
            .execute(&mut *tx)
            .await?;
        let err = sqlx::query(sqlx::AssertSqlSafe(secret))
            .execute(&mut *tx)
            .await
            .err()
            .ok_or_else(|| format!("the reader role may run: {secret}"))?;
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some("42501"), "{secret}: {err}");
        tx.rollback().await?;
    }
    Ok(())
}

#[tokio::test]
async fn embedded_migrator_equals_what_sqlx_cli_reads_from_migrations_sqlx() -> TestResult {
    let from_folder = Migrator::new(repo_path("migrations/sqlx").as_path()).await?;
    let embedded = migrator();
    let describe = |m: &Migrator| {
        m.iter()
            .map(|m| {
                (
                    m.version,
                    m.description.to_string(),
                    m.migration_type,
                    m.checksum.to_vec(),
                    m.no_tx,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(describe(&embedded), describe(&from_folder));
    let types: Vec<MigrationType> = embedded.iter().map(|m| m.migration_type).collect();
    // Every version is a reversible pair, up then down, from 1 to the latest.
    assert_eq!(
        types,
        [MigrationType::ReversibleUp, MigrationType::ReversibleDown].repeat(9)
    );
    let versions: Vec<i64> = embedded.iter().map(|m| m.version).collect();
    assert_eq!(versions, (1..=9).flat_map(|v| [v, v]).collect::<Vec<i64>>());
    assert_eq!(LATEST_SCHEMA_VERSION, 9);
    for (a, b) in embedded.iter().zip(from_folder.iter()) {
        assert_eq!(
            a.sql.as_str(),
            b.sql.as_str(),
            "a link in migrations/sqlx points at the wrong file"
        );
    }
    Ok(())
}

#[tokio::test]
async fn resolving_the_seed_folder_stops_on_the_guard_file() -> TestResult {
    let err = Migrator::new(repo_path("migrations").as_path())
        .await
        .err()
        .ok_or("sqlx must refuse migrations/, which holds the rollback as a forward migration")?;
    let message = err.to_string();
    assert!(
        message.contains("use-sqlx-migrate-with--source_migrations-sqlx.sql"),
        "the error should name the guard file: {message}"
    );
    Ok(())
}
