// The seed's schema facts and the CHECK cases that both stores' schema tests run, kept in
// one place so that the PostgreSQL schema and its SQLite mirror are held to the same lists
// and a change to the seed is made once. Each store's `tests/schema.rs` includes this file
// and keeps what only it can check, or has to spell its own way.

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

/// An update to each of UPDATED_AT_TABLES, in the same order, that does not set updated_at
/// itself, so that only the trigger can advance it.
const UPDATED_AT_TOUCHES: [&str; 8] = [
    "UPDATE identity_profiles SET full_name = 'Ada King'",
    "UPDATE wallet_accounts SET name = 'Renamed'",
    "UPDATE multipass_credentials SET failed_attempts = 1",
    "UPDATE application_modules SET description = 'changed'",
    "UPDATE asset_definitions SET name = 'Boundless Coin'",
    "UPDATE market_orders SET price = 11",
    "UPDATE report_definitions SET description = 'changed'",
    "UPDATE hardware_passes SET label = 'Desk key'",
];

const IDENTITY: &str = "11111111-1111-4111-8111-111111111111";
const REVIEWER: &str = "22222222-2222-4222-8222-222222222222";

/// One row in every table, with updated_at set far in the past so that a trigger firing is
/// visible without sleeping. The market_orders INSERT is the caller's, because PostgreSQL
/// generates the order sequence and the SQLite mirror leaves it to the app.
macro_rules! seed_fixture {
    ($market_orders:literal) => {
        concat!(
            r#"
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
"#,
            $market_orders,
            r#"
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
"#
        )
    };
}

/// Checks every table once IDENTITY and REVIEWER are deleted from the fixture: only the rows
/// that hang from neither of them may be left.
async fn assert_rows_left_after_deleting_both_identities<'e, E>(
    executor: E,
) -> Result<(), Box<dyn std::error::Error>>
where
    E: sqlx::Executor<'e> + Copy,
    (i64,): for<'r> sqlx::FromRow<'r, <E::Database as sqlx::Database>::Row>,
    <E::Database as sqlx::Database>::Arguments: sqlx::IntoArguments<E::Database>,
{
    for table in TABLES {
        let (count,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(executor)
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

/// Runs `sql`, which the schema must refuse, and returns the database's error for the
/// caller to check the reason.
async fn refused<'e, E: sqlx::Executor<'e>>(
    executor: E,
    sql: &'static str,
) -> Result<Box<dyn sqlx::error::DatabaseError>, Box<dyn std::error::Error>> {
    let err = sqlx::raw_sql(sql)
        .execute(executor)
        .await
        .err()
        .ok_or_else(|| format!("accepted: {sql}"))?;
    let context = format!("{sql}: {err}");
    Ok(err.into_database_error().ok_or(context)?)
}

/// Updates each refused by a CHECK constraint, with the constraint's name where the schema
/// names it. Both stores run this list, so they refuse the same rows.
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
fn columns_in_file(sql: &str) -> std::collections::BTreeMap<String, Vec<Column>> {
    let mut tables = std::collections::BTreeMap::new();
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
