//! The PostgreSQL schema checked against the seed document, from the catalogs of a real
//! database.
//!
//! Every test gets a fresh database from `#[sqlx::test]` (DATABASE_URL must point at a
//! server, e.g. postgresql://postgres@127.0.0.1:5432/postgres) and applies the migrator the
//! app uses, so what is checked is what the app and sqlx-cli create.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use multipass_store_postgres::{LATEST_SCHEMA_VERSION, migrator};
use sqlx::PgPool;
use sqlx::migrate::{MigrationType, Migrator};

type TestResult = Result<(), Box<dyn Error>>;

const SCHEMA_SQL: &str = include_str!("../../../migrations/001_create_enterprise_tables.sql");

/// The twenty tables of the seven services, as the seed lists them.
const TABLES: [&str; 20] = [
    "identity_profiles",
    "kyc_verifications",
    "attestations",
    "wallet_accounts",
    "wallet_balances",
    "wallet_transactions",
    "multipass_credentials",
    "multipass_sessions",
    "application_modules",
    "application_events",
    "asset_definitions",
    "asset_balances",
    "market_orders",
    "positions",
    "trades",
    "notifications",
    "report_definitions",
    "generated_reports",
    "hardware_passes",
    "hardware_challenges",
];

/// The seed's "Foreign Key Dependencies" tree as (child, parent) pairs.
const SEED_FK_TREE: [(&str, &str); 21] = [
    ("kyc_verifications", "identity_profiles"),
    ("attestations", "identity_profiles"),
    ("wallet_accounts", "identity_profiles"),
    ("wallet_balances", "wallet_accounts"),
    ("wallet_transactions", "wallet_accounts"),
    ("asset_balances", "wallet_accounts"),
    ("market_orders", "wallet_accounts"),
    ("positions", "wallet_accounts"),
    ("multipass_credentials", "identity_profiles"),
    ("multipass_sessions", "identity_profiles"),
    ("application_events", "identity_profiles"),
    ("notifications", "identity_profiles"),
    ("generated_reports", "identity_profiles"),
    ("hardware_passes", "identity_profiles"),
    ("hardware_challenges", "hardware_passes"),
    ("application_events", "application_modules"),
    ("asset_balances", "asset_definitions"),
    ("market_orders", "asset_definitions"),
    ("positions", "asset_definitions"),
    ("trades", "asset_definitions"),
    ("generated_reports", "report_definitions"),
];

/// References the tree does not draw because they repeat a parent the child already hangs
/// from: who reviewed or enrolled something, and the other wallet of a transfer. They are
/// not cascading, so deleting a reviewer cannot silently delete someone else's records.
const SAME_PARENT_EXTRAS: [(&str, &str); 3] = [
    ("kyc_verifications", "identity_profiles"),
    ("hardware_passes", "identity_profiles"),
    ("wallet_transactions", "wallet_accounts"),
];

/// Every foreign key column: (child, column, parent, ON DELETE).
#[rustfmt::skip]
const FOREIGN_KEYS: [(&str, &str, &str, &str); 24] = [
    ("kyc_verifications", "identity_id", "identity_profiles", "CASCADE"),
    ("kyc_verifications", "reviewed_by", "identity_profiles", "SET NULL"),
    ("attestations", "identity_id", "identity_profiles", "CASCADE"),
    ("wallet_accounts", "identity_id", "identity_profiles", "CASCADE"),
    ("wallet_balances", "wallet_id", "wallet_accounts", "CASCADE"),
    ("wallet_transactions", "wallet_id", "wallet_accounts", "CASCADE"),
    ("wallet_transactions", "counterparty_wallet_id", "wallet_accounts", "SET NULL"),
    ("multipass_credentials", "identity_id", "identity_profiles", "CASCADE"),
    ("multipass_sessions", "identity_id", "identity_profiles", "CASCADE"),
    ("application_events", "identity_id", "identity_profiles", "CASCADE"),
    ("application_events", "module_id", "application_modules", "CASCADE"),
    ("asset_balances", "wallet_id", "wallet_accounts", "CASCADE"),
    ("asset_balances", "asset_id", "asset_definitions", "CASCADE"),
    ("market_orders", "wallet_id", "wallet_accounts", "CASCADE"),
    ("market_orders", "asset_id", "asset_definitions", "CASCADE"),
    ("positions", "wallet_id", "wallet_accounts", "CASCADE"),
    ("positions", "asset_id", "asset_definitions", "CASCADE"),
    ("trades", "asset_id", "asset_definitions", "CASCADE"),
    ("notifications", "identity_id", "identity_profiles", "CASCADE"),
    ("generated_reports", "report_definition_id", "report_definitions", "CASCADE"),
    ("generated_reports", "identity_id", "identity_profiles", "CASCADE"),
    ("hardware_passes", "identity_id", "identity_profiles", "CASCADE"),
    ("hardware_passes", "enrolled_by", "identity_profiles", "SET NULL"),
    ("hardware_challenges", "hardware_pass_id", "hardware_passes", "CASCADE"),
];

/// The seed's "Triggers" list.
const UPDATED_AT_TABLES: [&str; 8] = [
    "identity_profiles",
    "wallet_accounts",
    "multipass_credentials",
    "application_modules",
    "asset_definitions",
    "market_orders",
    "report_definitions",
    "hardware_passes",
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

const IDENTITY: &str = "11111111-1111-4111-8111-111111111111";
const REVIEWER: &str = "22222222-2222-4222-8222-222222222222";

/// One row in every table, with updated_at set far in the past so that a trigger firing is
/// visible without sleeping.
const FIXTURE: &str = r#"
INSERT INTO identity_profiles (id, full_name, email, created_at, updated_at) VALUES
    ('11111111-1111-4111-8111-111111111111', 'Ada Lovelace', 'ada@example.com', '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z'),
    ('22222222-2222-4222-8222-222222222222', 'Desk Reviewer', 'desk@example.com', '2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z');
INSERT INTO kyc_verifications (id, identity_id, verification_type, document_hash, provider, status, kyc_level, reviewed_by, reviewed_at) VALUES
    ('a0000000-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'government_id',
     'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'acme', 'approved', 2,
     '22222222-2222-4222-8222-222222222222', '2000-01-02T00:00:00.000Z');
INSERT INTO attestations (id, identity_id, attestation_type, issuer, claim, proof_hash) VALUES
    ('a0000000-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'email', 'multipass',
     '{"email":"ada@example.com"}', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
INSERT INTO wallet_accounts (id, identity_id, name, is_default, updated_at) VALUES
    ('33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111', 'Main', TRUE, '2000-01-01T00:00:00.000Z'),
    ('44444444-4444-4444-8444-444444444444', '22222222-2222-4222-8222-222222222222', 'Desk', FALSE, '2000-01-01T00:00:00.000Z');
INSERT INTO wallet_balances (id, wallet_id, asset_type, total, locked) VALUES
    ('a0000000-0000-4000-8000-000000000003', '33333333-3333-4333-8333-333333333333', 'BLS', 100, 10);
INSERT INTO wallet_transactions (id, wallet_id, counterparty_wallet_id, transfer_id, direction, tx_type, asset_type, amount, idempotency_key) VALUES
    ('a0000000-0000-4000-8000-000000000004', '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444',
     'a0000000-0000-4000-8000-000000000005', 'debit', 'transfer', 'BLS', 5, 'key-1');
INSERT INTO multipass_credentials (id, identity_id, username, password_hash, updated_at) VALUES
    ('a0000000-0000-4000-8000-000000000006', '11111111-1111-4111-8111-111111111111', 'ada',
     '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', '2000-01-01T00:00:00.000Z');
INSERT INTO multipass_sessions (id, identity_id, token_hash, auth_method, expires_at) VALUES
    ('a0000000-0000-4000-8000-000000000007', '11111111-1111-4111-8111-111111111111',
     'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc', 'password', '2999-01-01T00:00:00.000Z');
INSERT INTO application_modules (id, name, display_name, category, api_base_url, updated_at) VALUES
    ('55555555-5555-4555-8555-555555555555', 'ledger-view', 'Ledger View', 'finance', 'https://ledger.example.com',
     '2000-01-01T00:00:00.000Z');
INSERT INTO application_events (id, identity_id, module_id, event_type) VALUES
    ('a0000000-0000-4000-8000-000000000008', '11111111-1111-4111-8111-111111111111',
     '55555555-5555-4555-8555-555555555555', 'installed');
INSERT INTO asset_definitions (id, symbol, name, asset_type, total_supply, circulating_supply, updated_at) VALUES
    ('66666666-6666-4666-8666-666666666666', 'BLS', 'Boundless', 'native', 1000, 100, '2000-01-01T00:00:00.000Z');
INSERT INTO asset_balances (id, wallet_id, asset_id, quantity, locked_quantity) VALUES
    ('a0000000-0000-4000-8000-000000000009', '33333333-3333-4333-8333-333333333333',
     '66666666-6666-4666-8666-666666666666', 50, 5);
INSERT INTO market_orders (id, wallet_id, asset_id, side, price, quantity, locked_amount, updated_at) VALUES
    ('99999999-9999-4999-8999-999999999999', '33333333-3333-4333-8333-333333333333',
     '66666666-6666-4666-8666-666666666666', 'buy', 10, 5, 50, '2000-01-01T00:00:00.000Z');
INSERT INTO positions (id, wallet_id, asset_id, quantity, cost_basis, average_cost) VALUES
    ('a0000000-0000-4000-8000-00000000000a', '33333333-3333-4333-8333-333333333333',
     '66666666-6666-4666-8666-666666666666', 5, 50, 10);
INSERT INTO trades (id, asset_id, buy_order_id, sell_order_id, buyer_wallet_id, seller_wallet_id, aggressor_side, price, quantity) VALUES
    ('a0000000-0000-4000-8000-00000000000b', '66666666-6666-4666-8666-666666666666',
     '99999999-9999-4999-8999-999999999999', 'a0000000-0000-4000-8000-0000000000ff',
     '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444', 'buy', 10, 1);
INSERT INTO notifications (id, identity_id, kind, title) VALUES
    ('a0000000-0000-4000-8000-00000000000c', '11111111-1111-4111-8111-111111111111', 'system', 'Welcome');
INSERT INTO report_definitions (id, name, sql_template, updated_at) VALUES
    ('77777777-7777-4777-8777-777777777777', 'daily_summary', 'SELECT 1', '2000-01-01T00:00:00.000Z');
INSERT INTO generated_reports (id, report_definition_id, identity_id, format) VALUES
    ('a0000000-0000-4000-8000-00000000000d', '77777777-7777-4777-8777-777777777777',
     '11111111-1111-4111-8111-111111111111', 'json');
INSERT INTO hardware_passes (id, identity_id, enrolled_by, device_type, credential_id, public_key, algorithm, updated_at) VALUES
    ('88888888-8888-4888-8888-888888888888', '11111111-1111-4111-8111-111111111111',
     '22222222-2222-4222-8222-222222222222', 'fido2_usb', 'cred-1', 'pk', -7, '2000-01-01T00:00:00.000Z');
INSERT INTO hardware_challenges (id, hardware_pass_id, purpose, challenge, expires_at) VALUES
    ('a0000000-0000-4000-8000-00000000000e', '88888888-8888-4888-8888-888888888888', 'sign_in',
     'abababababababababababababababababababababababababababababababab', '2999-01-01T00:00:00.000Z');
"#;

/// Updates each refused by a CHECK constraint, with the constraint's name where the schema
/// names it. The same list, spelt the same way, runs against the SQLite mirror.
#[rustfmt::skip]
const REJECTED: &[(&str, Option<&str>)] = &[
    // Balances and quantities, status lists, KYC levels, supply, e-mail case.
    ("UPDATE wallet_balances SET total = -1, locked = 0", None),
    ("UPDATE wallet_balances SET locked = total + 1", Some("wallet_balances_locked_within_total")),
    ("UPDATE asset_balances SET quantity = -1, locked_quantity = 0", None),
    ("UPDATE asset_balances SET locked_quantity = quantity + 1", Some("asset_balances_locked_within_quantity")),
    ("UPDATE identity_profiles SET verification_status = 'approved'", None),
    ("UPDATE market_orders SET status = 'expired'", None),
    ("UPDATE identity_profiles SET kyc_level = 4", None),
    ("UPDATE kyc_verifications SET kyc_level = 4", None),
    ("UPDATE asset_definitions SET circulating_supply = total_supply + 1", Some("asset_definitions_supply_within_total")),
    ("UPDATE identity_profiles SET email = 'Ada@example.com'", None),
    // The regular-expression CHECKs, which the SQLite mirror spells differently.
    ("UPDATE identity_profiles SET phone = '0123'", None),
    ("UPDATE identity_profiles SET phone = '+0123'", None),
    ("UPDATE identity_profiles SET phone = '+12a4'", None),
    ("UPDATE identity_profiles SET phone = '+1234567890123456'", None),
    ("UPDATE identity_profiles SET country = 'us'", None),
    ("UPDATE identity_profiles SET email = 'no-at-sign'", None),
    ("UPDATE multipass_credentials SET username = 'Ada'", None),
    ("UPDATE multipass_credentials SET username = 'ab'", None),
    ("UPDATE multipass_credentials SET username = '-ada'", None),
    ("UPDATE multipass_credentials SET username = 'ada!'", None),
    ("UPDATE multipass_credentials SET username = 'abcdefghijklmnopqrstuvwxyz0123456'", None),
    ("UPDATE multipass_credentials SET password_hash = '$ARGON2ID$v=19'", None),
    ("UPDATE multipass_credentials SET password_hash = 'hunter2'", None),
    ("UPDATE multipass_credentials SET totp_enabled = TRUE", None),
    ("UPDATE kyc_verifications SET document_hash = upper(document_hash)", None),
    ("UPDATE kyc_verifications SET document_hash = substr(document_hash, 2)", None),
    ("UPDATE kyc_verifications SET reviewed_at = NULL", None),
    ("UPDATE wallet_balances SET asset_type = 'bls'", None),
    ("UPDATE wallet_balances SET asset_type = 'ABCDEFGHIJKLM'", None),
    ("UPDATE wallet_transactions SET amount = 0", None),
    ("UPDATE application_modules SET name = 'Ledger'", None),
    ("UPDATE application_modules SET name = 'a'", None),
    ("UPDATE application_modules SET name = '1ledger'", None),
    ("UPDATE application_modules SET name = 'ledger_view'", None),
    ("UPDATE application_modules SET api_base_url = 'ftp://ledger.example.com'", None),
    ("UPDATE application_modules SET api_base_url = 'HTTPS://ledger.example.com'", None),
    ("UPDATE asset_definitions SET symbol = 'bls'", None),
    ("UPDATE report_definitions SET name = '1report'", None),
    ("UPDATE report_definitions SET name = 'daily-summary'", None),
    ("UPDATE hardware_challenges SET challenge = substr(challenge, 3)", None),
    ("UPDATE hardware_challenges SET challenge = challenge || 'a'", None),
    ("UPDATE hardware_challenges SET challenge = upper(challenge)", None),
    ("UPDATE hardware_passes SET algorithm = -257", None),
    ("UPDATE hardware_passes SET status = 'revoked'", None),
    ("UPDATE multipass_sessions SET expires_at = created_at", None),
    ("UPDATE multipass_sessions SET revoked_at = created_at", None),
    ("UPDATE market_orders SET filled_quantity = quantity + 1", Some("market_orders_filled_within_quantity")),
    ("UPDATE market_orders SET status = 'cancelled'", None),
    ("UPDATE notifications SET is_read = TRUE", None),
    ("UPDATE generated_reports SET status = 'completed'", None),
    ("UPDATE trades SET seller_wallet_id = buyer_wallet_id", None),
    ("UPDATE identity_profiles SET metadata = '[]'", None),
    ("UPDATE wallet_accounts SET boundless_addresses = '{}'", None),
];

/// Updates the same CHECKs must let through, so that the rejections above are not the
/// result of a check that refuses everything.
const ACCEPTED: &[&str] = &[
    "UPDATE identity_profiles SET phone = '+14155550123' WHERE email = 'ada@example.com'",
    "UPDATE identity_profiles SET phone = '+12' WHERE email = 'desk@example.com'",
    "UPDATE identity_profiles SET country = 'GB'",
    "UPDATE identity_profiles SET kyc_level = 3",
    "UPDATE identity_profiles SET date_of_birth = '2000-02-29'",
    "UPDATE multipass_credentials SET username = '0a.b_c-d'",
    "UPDATE multipass_credentials SET username = 'abcdefghijklmnopqrstuvwxyz012345'",
    "UPDATE multipass_credentials SET totp_secret = 'secret', totp_enabled = TRUE",
    "UPDATE kyc_verifications SET document_hash = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'",
    "UPDATE wallet_balances SET asset_type = 'ABCDEFGHIJK1'",
    "UPDATE wallet_balances SET locked = total",
    "UPDATE application_modules SET name = 'ab'",
    "UPDATE application_modules SET name = 'ledger-2'",
    "UPDATE application_modules SET api_base_url = 'http://localhost:8080'",
    "UPDATE report_definitions SET name = 'A'",
    "UPDATE report_definitions SET name = 'Daily_Summary_2'",
    "UPDATE hardware_challenges SET challenge = challenge || 'cd'",
    "UPDATE hardware_passes SET algorithm = -8",
    "UPDATE market_orders SET status = 'cancelled', locked_amount = 0, cancel_reason = 'user'",
    "UPDATE notifications SET is_read = TRUE, read_at = created_at",
    "UPDATE asset_definitions SET circulating_supply = total_supply",
];

async fn applied(pool: &PgPool) -> Result<(), Box<dyn Error>> {
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

/// A column as a migration file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    ty: String,
    not_null: bool,
    has_default: bool,
    generated: bool,
}

/// The columns of every CREATE TABLE in a migration file, in order.
///
/// The file is laid out one column per line at the first indent level, with continuation
/// lines indented further and table constraints in upper case, which is all this relies on.
fn columns_in_file(sql: &str) -> BTreeMap<String, Vec<Column>> {
    let mut tables = BTreeMap::new();
    let mut current: Option<(String, Vec<Column>)> = None;
    for line in sql.lines() {
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            let name = rest.split_whitespace().next().unwrap_or_default();
            current = Some((name.to_string(), Vec::new()));
        } else if line.starts_with(')') {
            if let Some((name, columns)) = current.take() {
                tables.insert(name, columns);
            }
        } else if let Some((_, columns)) = current.as_mut()
            && let Some(body) = line.strip_prefix("    ")
            && !body.starts_with(' ')
        {
            let mut words = body.split_whitespace();
            let name = words.next().unwrap_or_default();
            let is_column = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if is_column {
                columns.push(Column {
                    name: name.to_string(),
                    ty: words
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches(',')
                        .to_string(),
                    not_null: ["NOT NULL", "PRIMARY KEY", "AS IDENTITY"]
                        .iter()
                        .any(|k| body.contains(k)),
                    has_default: body.contains(" DEFAULT "),
                    generated: body.contains(" GENERATED ALWAYS AS ("),
                });
            }
        }
    }
    tables
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
    assert_eq!(version, LATEST_SCHEMA_VERSION);
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
        let err = sqlx::raw_sql(sql)
            .execute(&pool)
            .await
            .err()
            .ok_or_else(|| format!("accepted: {sql}"))?;
        let db = err
            .as_database_error()
            .ok_or_else(|| format!("{sql}: {err}"))?;
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
    let updates = [
        "UPDATE identity_profiles SET full_name = 'Ada King'",
        "UPDATE wallet_accounts SET name = 'Renamed'",
        "UPDATE multipass_credentials SET failed_attempts = 1",
        "UPDATE application_modules SET description = 'changed'",
        "UPDATE asset_definitions SET name = 'Boundless Coin'",
        "UPDATE market_orders SET price = 11",
        "UPDATE report_definitions SET description = 'changed'",
        "UPDATE hardware_passes SET label = 'Desk key'",
    ];
    for (table, update) in UPDATED_AT_TABLES.iter().zip(updates) {
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
        let err = sqlx::raw_sql(*sql)
            .execute(&pool)
            .await
            .err()
            .ok_or_else(|| format!("accepted: {sql}"))?;
        let db = err
            .as_database_error()
            .ok_or_else(|| format!("{sql}: {err}"))?;
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
    for table in TABLES {
        let (count,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&pool)
                .await?;
        let expected = match table {
            // Roots other than the two deleted identities, and a trade, which names
            // wallets and orders without referencing them.
            "application_modules" | "asset_definitions" | "report_definitions" | "trades" => 1,
            _ => 0,
        };
        assert_eq!(count, expected, "{table}");
    }
    Ok(())
}

#[sqlx::test(migrations = false)]
async fn reverts_completely_and_applies_again(pool: PgPool) -> TestResult {
    with_fixture(&pool).await?;
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

    applied(&pool).await?;
    assert_eq!(enterprise_tables(&pool).await?.len(), TABLES.len());
    sqlx::raw_sql(FIXTURE).execute(&pool).await?;
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
    assert_eq!(
        types,
        [MigrationType::ReversibleUp, MigrationType::ReversibleDown]
    );
    assert!(embedded.iter().all(|m| m.version == LATEST_SCHEMA_VERSION));
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
