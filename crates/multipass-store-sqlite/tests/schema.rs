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

/// Every foreign key column: (child, column, parent, ON DELETE). The three SET NULL ones
/// repeat a parent the child already hangs from, so they add no pair to the tree.
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

const IDENTITY: &str = "11111111-1111-4111-8111-111111111111";
const REVIEWER: &str = "22222222-2222-4222-8222-222222222222";

/// The same rows as the PostgreSQL schema tests insert, plus the order sequence the app
/// assigns here.
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
INSERT INTO market_orders (id, sequence, wallet_id, asset_id, side, price, quantity, locked_amount, updated_at) VALUES
    ('99999999-9999-4999-8999-999999999999', 1, '33333333-3333-4333-8333-333333333333',
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
/// names it. This is the PostgreSQL schema tests' list, so both stores refuse the same rows.
#[rustfmt::skip]
const REJECTED: &[(&str, Option<&str>)] = &[
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
    // Mirror-only spellings of the PostgreSQL types.
    "UPDATE wallet_accounts SET labels = '[\"savings\",\"eur\"]'",
    "UPDATE identity_profiles SET metadata = '{\"locale\":\"en-GB\"}'",
    "UPDATE attestations SET expires_at = '2999-01-01T00:00:00.000+00:00'",
];

/// A migrated store in a temporary directory that lives as long as the value.
struct Store {
    pool: SqlitePool,
    _dir: TempDir,
}

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
    migrator().run(&pool).await?;
    Ok(Store { pool, _dir: dir })
}

async fn store_with_fixture() -> Result<Store, Box<dyn Error>> {
    let store = store().await?;
    sqlx::raw_sql(FIXTURE).execute(&store.pool).await?;
    Ok(store)
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
/// The PostgreSQL schema tests check this reading of the file against that database's
/// catalog.
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
    migrator().run(&store.pool).await?;
    let rows: Vec<(i64, String, bool)> =
        sqlx::query_as("SELECT version, description, success FROM _sqlx_migrations")
            .fetch_all(&store.pool)
            .await?;
    assert_eq!(
        rows,
        [(
            LATEST_SCHEMA_VERSION,
            "create enterprise tables".to_string(),
            true
        )]
    );
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
    for table in TABLES {
        let (count,): (i64,) =
            sqlx::query_as(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(pool)
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
        let err = sqlx::raw_sql(sql)
            .execute(&store.pool)
            .await
            .err()
            .ok_or_else(|| format!("accepted: {sql}"))?;
        let db = err
            .as_database_error()
            .ok_or_else(|| format!("{sql}: {err}"))?;
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
    for sql in ACCEPTED {
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
