-- Enterprise Multipass: the embedded SQLite store, a mirror of
-- migrations/001_create_enterprise_tables.sql (the PostgreSQL schema).
--
-- This file must change in step with the PostgreSQL schema: the same twenty tables, the
-- same column names in the same order, the same constraints, foreign keys, indexes and
-- updated_at triggers, so that a row means the same thing in either store. The SQLite
-- store's schema tests read both files and fail when a table, column, index or named
-- constraint exists on one side only, or when the two accept different rows.
--
-- Type mapping (every table is STRICT, so a value of the wrong storage class is refused
-- instead of being silently coerced):
--
--   PostgreSQL                 SQLite
--   UUID                       TEXT, lower-case hyphenated, CHECK length 36. Primary keys
--                              have no default: the app generates every UUID. Bind
--                              uuid::Uuid as text (to_string / hyphenated), not as a blob.
--   TIMESTAMPTZ                TEXT, RFC 3339 in UTC, canonically
--                              'YYYY-MM-DDTHH:MM:SS.sssZ' (the column defaults write
--                              strftime('%Y-%m-%dT%H:%M:%fZ', 'now')). Indexes and ORDER BY
--                              compare the text, which is chronological only while every
--                              value has this one shape; sqlx's own DateTime encoding writes
--                              '+00:00' and a varying number of fraction digits, so the store
--                              formats timestamps itself. CHECKs that compare two timestamps
--                              go through julianday() so that they hold for any RFC 3339 text.
--   JSONB                      TEXT, CHECK json_valid and the same json_type as jsonb_typeof.
--   TEXT[]                     TEXT holding a JSON array of strings, CHECK json_type 'array'.
--   BIGINT/INTEGER/SMALLINT    INTEGER (64-bit: PostgreSQL's narrower INTEGER and SMALLINT
--                              ranges are not enforced here).
--   BOOLEAN                    INTEGER, CHECK IN (0, 1).
--   BYTEA                      BLOB.
--   DATE                       TEXT, 'YYYY-MM-DD', checked to be a real calendar date.
--   CHAR(2)                    TEXT.
--
-- PostgreSQL regular-expression CHECKs are spelt with GLOB (case-sensitive, unlike LIKE)
-- and length(), accepting and refusing the same values; the one known gap is that SQLite's
-- lower() folds only ASCII, so a non-ASCII upper-case letter in an email is not refused.
--
-- Other differences, all deliberate:
--   * market_orders.sequence is assigned by the app (SQLite has no identity columns); it is
--     still NOT NULL and unique, and the book index orders by it.
--   * updated_at is maintained by AFTER UPDATE triggers that rewrite the row only when the
--     UPDATE left updated_at unchanged, so an explicit value is kept and the trigger's own
--     UPDATE never fires it again, whatever PRAGMA recursive_triggers says.
--   * There is no uuid-ossp extension and no multipass_set_updated_at() function to create or drop.
--
-- Foreign keys are enforced only with PRAGMA foreign_keys = ON, which the app sets in its
-- connection options. sqlx runs this file inside a transaction, so it contains no
-- BEGIN/COMMIT of its own.

-- ---------------------------------------------------------------------------------------
-- 1. Identity & Attestation Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE identity_profiles (
    id                  TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    full_name           TEXT NOT NULL CHECK (length(trim(full_name)) BETWEEN 1 AND 200),
    -- Stored lower-cased so that the unique constraint is case-insensitive.
    email               TEXT NOT NULL CHECK (email = lower(email) AND email LIKE '_%@_%' AND length(email) <= 254),
    phone               TEXT CHECK (length(phone) BETWEEN 3 AND 16 AND phone GLOB '+[1-9]*'
                                    AND substr(phone, 2) NOT GLOB '*[^0-9]*'),
    country             TEXT CHECK (country GLOB '[A-Z][A-Z]'),
    -- date() with a no-op modifier normalises 2021-02-30 to 2021-03-02, so only real
    -- calendar dates in YYYY-MM-DD form compare equal to themselves.
    date_of_birth       TEXT CHECK (date(date_of_birth, '+0 days') IS date_of_birth),
    verification_status TEXT NOT NULL DEFAULT 'unverified'
                        CHECK (verification_status IN ('unverified', 'pending', 'verified', 'rejected', 'suspended')),
    kyc_level           INTEGER NOT NULL DEFAULT 0 CHECK (kyc_level BETWEEN 0 AND 3),
    role                TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'desk', 'admin')),
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deactivated_at      TEXT,
    metadata            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT identity_profiles_email_key UNIQUE (email)
) STRICT;
CREATE INDEX idx_identity_profiles_verification_status ON identity_profiles (verification_status);
CREATE INDEX idx_identity_profiles_created_at ON identity_profiles (created_at);

CREATE TABLE kyc_verifications (
    id                TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id       TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                      CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    verification_type TEXT NOT NULL
                      CHECK (verification_type IN ('government_id', 'proof_of_address', 'selfie', 'biometric')),
    -- The document never leaves the user's machine: only its SHA3-256 digest is kept.
    document_hash     TEXT NOT NULL CHECK (length(document_hash) = 64 AND document_hash NOT GLOB '*[^0-9a-f]*'),
    provider          TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    kyc_level         INTEGER NOT NULL CHECK (kyc_level BETWEEN 1 AND 3),
    reviewed_by       TEXT REFERENCES identity_profiles (id) ON DELETE SET NULL
                      CHECK (length(reviewed_by) = 36 AND reviewed_by = lower(reviewed_by)),
    reviewed_at       TEXT,
    rejection_reason  TEXT,
    expires_at        TEXT,
    metadata          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (status IN ('pending', 'expired') OR reviewed_at IS NOT NULL),
    CHECK (status <> 'pending' OR reviewed_at IS NULL)
) STRICT;
CREATE INDEX idx_kyc_verifications_identity_id ON kyc_verifications (identity_id);
CREATE INDEX idx_kyc_verifications_reviewed_by ON kyc_verifications (reviewed_by);
CREATE INDEX idx_kyc_verifications_status ON kyc_verifications (status);
CREATE INDEX idx_kyc_verifications_created_at ON kyc_verifications (created_at);

CREATE TABLE attestations (
    id                TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id       TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                      CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    attestation_type  TEXT NOT NULL CHECK (length(attestation_type) BETWEEN 1 AND 100),
    issuer            TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200),
    -- The canonical serialization the proof hash was computed over, kept verbatim so that
    -- verification recomputes the digest from exactly these bytes.
    claim             TEXT NOT NULL,
    proof_hash        TEXT NOT NULL CHECK (length(proof_hash) = 64 AND proof_hash NOT GLOB '*[^0-9a-f]*'),
    issued_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at        TEXT,
    revoked_at        TEXT,
    revocation_reason TEXT,
    chain_anchor_tx   TEXT,
    metadata          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (expires_at IS NULL OR julianday(expires_at) > julianday(issued_at))
) STRICT;
CREATE INDEX idx_attestations_identity_id ON attestations (identity_id);
CREATE INDEX idx_attestations_proof_hash ON attestations (proof_hash);
CREATE INDEX idx_attestations_created_at ON attestations (created_at);

-- ---------------------------------------------------------------------------------------
-- 2. Wallet Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE wallet_accounts (
    id                  TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id         TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                        CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    name                TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
    key_algorithm       TEXT NOT NULL DEFAULT 'ML-DSA-65',
    -- The public key only: the secret key lives in the OS keyring, never here.
    public_key          TEXT,
    boundless_addresses TEXT NOT NULL DEFAULT '[]'
                        CHECK (json_valid(boundless_addresses) AND json_type(boundless_addresses) = 'array'),
    labels              TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(labels) AND json_type(labels) = 'array'),
    is_default          INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX idx_wallet_accounts_identity_id ON wallet_accounts (identity_id);
CREATE INDEX idx_wallet_accounts_status ON wallet_accounts (status);
CREATE INDEX idx_wallet_accounts_created_at ON wallet_accounts (created_at);
CREATE UNIQUE INDEX idx_wallet_accounts_one_default ON wallet_accounts (identity_id) WHERE is_default;

CREATE TABLE wallet_balances (
    id         TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    wallet_id  TEXT NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE
               CHECK (length(wallet_id) = 36 AND wallet_id = lower(wallet_id)),
    asset_type TEXT NOT NULL CHECK (length(asset_type) BETWEEN 1 AND 12 AND asset_type NOT GLOB '*[^A-Z0-9]*'),
    total      INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),
    locked     INTEGER NOT NULL DEFAULT 0 CHECK (locked >= 0),
    -- Derived by the database so that unlocked = total - locked can never drift.
    unlocked   INTEGER GENERATED ALWAYS AS (total - locked) STORED,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT wallet_balances_locked_within_total CHECK (locked <= total),
    CONSTRAINT wallet_balances_wallet_asset_key UNIQUE (wallet_id, asset_type)
) STRICT;
CREATE INDEX idx_wallet_balances_wallet_id ON wallet_balances (wallet_id);

CREATE TABLE wallet_transactions (
    id                     TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    wallet_id              TEXT NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE
                           CHECK (length(wallet_id) = 36 AND wallet_id = lower(wallet_id)),
    counterparty_wallet_id TEXT REFERENCES wallet_accounts (id) ON DELETE SET NULL
                           CHECK (length(counterparty_wallet_id) = 36 AND counterparty_wallet_id = lower(counterparty_wallet_id)),
    -- Both legs of one transfer share a transfer_id.
    transfer_id            TEXT NOT NULL CHECK (length(transfer_id) = 36 AND transfer_id = lower(transfer_id)),
    direction              TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
    tx_type                TEXT NOT NULL
                           CHECK (tx_type IN ('transfer', 'fee', 'deposit', 'withdrawal', 'trade', 'issuance')),
    asset_type             TEXT NOT NULL CHECK (length(asset_type) BETWEEN 1 AND 12 AND asset_type NOT GLOB '*[^A-Z0-9]*'),
    amount                 INTEGER NOT NULL CHECK (amount > 0),
    fee                    INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
    status                 TEXT NOT NULL DEFAULT 'completed'
                           CHECK (status IN ('pending', 'completed', 'failed', 'reversed')),
    idempotency_key        TEXT CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_hash           TEXT CHECK (length(request_hash) = 64 AND request_hash NOT GLOB '*[^0-9a-f]*'),
    signature              TEXT,
    balance_after          INTEGER CHECK (balance_after >= 0),
    metadata               TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at             TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX idx_wallet_transactions_wallet_id_created_at ON wallet_transactions (wallet_id, created_at DESC, id DESC);
CREATE INDEX idx_wallet_transactions_counterparty_wallet_id ON wallet_transactions (counterparty_wallet_id);
CREATE INDEX idx_wallet_transactions_transfer_id ON wallet_transactions (transfer_id);
CREATE INDEX idx_wallet_transactions_status ON wallet_transactions (status);
CREATE INDEX idx_wallet_transactions_created_at ON wallet_transactions (created_at);
-- One client-supplied key names at most one transfer per sending wallet.
CREATE UNIQUE INDEX idx_wallet_transactions_idempotency
    ON wallet_transactions (wallet_id, idempotency_key) WHERE direction = 'debit' AND idempotency_key IS NOT NULL;

-- ---------------------------------------------------------------------------------------
-- 3. Auth & SSO Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE multipass_credentials (
    id                  TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id         TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                        CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    username            TEXT NOT NULL CHECK (length(username) BETWEEN 3 AND 32 AND username GLOB '[a-z0-9]*'
                                             AND username NOT GLOB '*[^a-z0-9._-]*'),
    -- Argon2id PHC string; never a plain password. GLOB, because LIKE would also accept
    -- '$ARGON2ID$' where PostgreSQL's LIKE does not.
    password_hash       TEXT NOT NULL CHECK (password_hash GLOB '$argon2id$*'),
    totp_secret         TEXT,
    totp_enabled        INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
    -- The last accepted TOTP time step: a code is accepted at most once.
    totp_last_step      INTEGER CHECK (totp_last_step >= 0),
    require_2fa         INTEGER NOT NULL DEFAULT 0 CHECK (require_2fa IN (0, 1)),
    -- Hashes of the unused backup codes; a used code is removed from the array.
    backup_codes        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(backup_codes) AND json_type(backup_codes) = 'array'),
    failed_attempts     INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_at           TEXT,
    last_failed_at      TEXT,
    last_sign_in_at     TEXT,
    password_changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT multipass_credentials_username_key UNIQUE (username),
    CONSTRAINT multipass_credentials_identity_id_key UNIQUE (identity_id),
    CHECK (NOT totp_enabled OR totp_secret IS NOT NULL)
) STRICT;
CREATE INDEX idx_multipass_credentials_locked_at ON multipass_credentials (locked_at) WHERE locked_at IS NOT NULL;

CREATE TABLE multipass_sessions (
    id                TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id       TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                      CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    -- SHA3-256 of the bearer token, hex; the token itself is never stored.
    token_hash        TEXT NOT NULL CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),
    kind              TEXT NOT NULL DEFAULT 'desktop' CHECK (kind IN ('desktop', 'cli', 'sso')),
    auth_method       TEXT NOT NULL
                      CHECK (auth_method IN ('password', 'password_totp', 'password_backup_code', 'hardware_pass', 'sso_consent')),
    -- For SSO tokens: the module name the token was issued to.
    audience          TEXT,
    scopes            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
    device_info       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(device_info) AND json_type(device_info) = 'object'),
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_seen_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at        TEXT NOT NULL,
    revoked_at        TEXT,
    revocation_reason TEXT CHECK (revocation_reason IN ('sign_out', 'password_change', 'account_locked', 'user_revoked', 'admin_revoked')),
    CONSTRAINT multipass_sessions_token_hash_key UNIQUE (token_hash),
    CHECK (julianday(expires_at) > julianday(created_at)),
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
) STRICT;
CREATE INDEX idx_multipass_sessions_identity_id ON multipass_sessions (identity_id);
CREATE INDEX idx_multipass_sessions_expires_at ON multipass_sessions (expires_at);
CREATE INDEX idx_multipass_sessions_created_at ON multipass_sessions (created_at);

-- ---------------------------------------------------------------------------------------
-- 4. Application Module Registry
-- ---------------------------------------------------------------------------------------

CREATE TABLE application_modules (
    id              TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 2 AND 63 AND name GLOB '[a-z]*'
                                         AND name NOT GLOB '*[^a-z0-9-]*'),
    display_name    TEXT NOT NULL CHECK (length(trim(display_name)) BETWEEN 1 AND 100),
    description     TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL
                    CHECK (category IN ('finance', 'trading', 'identity', 'compliance', 'reporting', 'productivity', 'communication', 'other')),
    api_base_url    TEXT NOT NULL CHECK (api_base_url GLOB 'http://*' OR api_base_url GLOB 'https://*'),
    required_scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(required_scopes) AND json_type(required_scopes) = 'array'),
    version         TEXT NOT NULL DEFAULT '1.0.0',
    is_enabled      INTEGER NOT NULL DEFAULT 1 CHECK (is_enabled IN (0, 1)),
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT application_modules_name_key UNIQUE (name)
) STRICT;
CREATE INDEX idx_application_modules_category ON application_modules (category);
CREATE INDEX idx_application_modules_is_enabled ON application_modules (is_enabled);

CREATE TABLE application_events (
    id          TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    module_id   TEXT NOT NULL REFERENCES application_modules (id) ON DELETE CASCADE
                CHECK (length(module_id) = 36 AND module_id = lower(module_id)),
    event_type  TEXT NOT NULL CHECK (event_type IN ('installed', 'authorized', 'revoked', 'uninstalled', 'action')),
    -- OAuth-style space-separated scope list for 'authorized' events.
    scope       TEXT,
    action      TEXT,
    detail      TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX idx_application_events_identity_id_created_at ON application_events (identity_id, created_at DESC, id DESC);
CREATE INDEX idx_application_events_module_id ON application_events (module_id);
CREATE INDEX idx_application_events_event_type ON application_events (event_type);
CREATE INDEX idx_application_events_created_at ON application_events (created_at);

-- ---------------------------------------------------------------------------------------
-- 5. Asset & Market Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE asset_definitions (
    id                 TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    symbol             TEXT NOT NULL CHECK (length(symbol) BETWEEN 1 AND 12 AND symbol NOT GLOB '*[^A-Z0-9]*'),
    name               TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    asset_type         TEXT NOT NULL
                       CHECK (asset_type IN ('native', 'utility_token', 'equity_token', 'carbon_credit', 'nft', 'subscription_pass')),
    decimals           INTEGER NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 18),
    total_supply       INTEGER NOT NULL CHECK (total_supply >= 0),
    circulating_supply INTEGER NOT NULL DEFAULT 0 CHECK (circulating_supply >= 0),
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'halted', 'retired')),
    is_tradable        INTEGER NOT NULL DEFAULT 1 CHECK (is_tradable IN (0, 1)),
    metadata           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT asset_definitions_symbol_key UNIQUE (symbol),
    CONSTRAINT asset_definitions_supply_within_total CHECK (circulating_supply <= total_supply)
) STRICT;
CREATE INDEX idx_asset_definitions_asset_type ON asset_definitions (asset_type);
CREATE INDEX idx_asset_definitions_status ON asset_definitions (status);

CREATE TABLE asset_balances (
    id              TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    wallet_id       TEXT NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE
                    CHECK (length(wallet_id) = 36 AND wallet_id = lower(wallet_id)),
    asset_id        TEXT NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE
                    CHECK (length(asset_id) = 36 AND asset_id = lower(asset_id)),
    quantity        INTEGER NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    locked_quantity INTEGER NOT NULL DEFAULT 0 CHECK (locked_quantity >= 0),
    available       INTEGER GENERATED ALWAYS AS (quantity - locked_quantity) STORED,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT asset_balances_locked_within_quantity CHECK (locked_quantity <= quantity),
    CONSTRAINT asset_balances_wallet_asset_key UNIQUE (wallet_id, asset_id)
) STRICT;
CREATE INDEX idx_asset_balances_wallet_id ON asset_balances (wallet_id);
CREATE INDEX idx_asset_balances_asset_id ON asset_balances (asset_id);

CREATE TABLE market_orders (
    id              TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    -- Strictly increasing arrival order: the "time" in price-time priority. Assigned by the
    -- app inside the write transaction that inserts the order.
    sequence        INTEGER NOT NULL,
    wallet_id       TEXT NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE
                    CHECK (length(wallet_id) = 36 AND wallet_id = lower(wallet_id)),
    asset_id        TEXT NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE
                    CHECK (length(asset_id) = 36 AND asset_id = lower(asset_id)),
    side            TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type      TEXT NOT NULL DEFAULT 'limit' CHECK (order_type IN ('limit')),
    price           INTEGER NOT NULL CHECK (price > 0),
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    filled_quantity INTEGER NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    -- What this order still holds locked: quote minor units for a buy, asset units for a sell.
    locked_amount   INTEGER NOT NULL DEFAULT 0 CHECK (locked_amount >= 0),
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'partially_filled', 'filled', 'cancelled', 'rejected')),
    cancel_reason   TEXT CHECK (cancel_reason IN ('user', 'self_trade_prevention', 'asset_halted', 'admin')),
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT market_orders_filled_within_quantity CHECK (filled_quantity <= quantity),
    CONSTRAINT market_orders_sequence_key UNIQUE (sequence),
    CHECK (status NOT IN ('filled', 'cancelled', 'rejected') OR locked_amount = 0),
    CHECK ((status = 'filled') = (filled_quantity = quantity))
) STRICT;
CREATE INDEX idx_market_orders_wallet_id ON market_orders (wallet_id);
CREATE INDEX idx_market_orders_asset_id ON market_orders (asset_id);
CREATE INDEX idx_market_orders_status ON market_orders (status);
CREATE INDEX idx_market_orders_created_at ON market_orders (created_at);
-- The resting book: open orders per asset and side in priority order.
CREATE INDEX idx_market_orders_book ON market_orders (asset_id, side, price, sequence)
    WHERE status IN ('open', 'partially_filled');

CREATE TABLE positions (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    wallet_id     TEXT NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE
                  CHECK (length(wallet_id) = 36 AND wallet_id = lower(wallet_id)),
    asset_id      TEXT NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE
                  CHECK (length(asset_id) = 36 AND asset_id = lower(asset_id)),
    quantity      INTEGER NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    -- Total cost of the quantity held, in quote minor units; average cost is derived from it.
    cost_basis    INTEGER NOT NULL DEFAULT 0 CHECK (cost_basis >= 0),
    average_cost  INTEGER NOT NULL DEFAULT 0 CHECK (average_cost >= 0),
    realized_pnl  INTEGER NOT NULL DEFAULT 0,
    opened_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_trade_at TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT positions_wallet_asset_key UNIQUE (wallet_id, asset_id)
) STRICT;
CREATE INDEX idx_positions_wallet_id ON positions (wallet_id);
CREATE INDEX idx_positions_asset_id ON positions (asset_id);

CREATE TABLE trades (
    id               TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    asset_id         TEXT NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE
                     CHECK (length(asset_id) = 36 AND asset_id = lower(asset_id)),
    -- Orders and wallets are referenced by id without foreign keys, as in the seed's
    -- dependency tree; the matching transaction that writes a trade holds those rows locked.
    buy_order_id     TEXT NOT NULL CHECK (length(buy_order_id) = 36 AND buy_order_id = lower(buy_order_id)),
    sell_order_id    TEXT NOT NULL CHECK (length(sell_order_id) = 36 AND sell_order_id = lower(sell_order_id)),
    buyer_wallet_id  TEXT NOT NULL CHECK (length(buyer_wallet_id) = 36 AND buyer_wallet_id = lower(buyer_wallet_id)),
    seller_wallet_id TEXT NOT NULL CHECK (length(seller_wallet_id) = 36 AND seller_wallet_id = lower(seller_wallet_id)),
    aggressor_side   TEXT NOT NULL CHECK (aggressor_side IN ('buy', 'sell')),
    price            INTEGER NOT NULL CHECK (price > 0),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    executed_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (buy_order_id <> sell_order_id),
    CHECK (buyer_wallet_id <> seller_wallet_id)
) STRICT;
CREATE INDEX idx_trades_asset_id_executed_at ON trades (asset_id, executed_at DESC);
CREATE INDEX idx_trades_buy_order_id ON trades (buy_order_id);
CREATE INDEX idx_trades_sell_order_id ON trades (sell_order_id);
CREATE INDEX idx_trades_buyer_wallet_id ON trades (buyer_wallet_id);
CREATE INDEX idx_trades_seller_wallet_id ON trades (seller_wallet_id);
CREATE INDEX idx_trades_created_at ON trades (created_at);

-- ---------------------------------------------------------------------------------------
-- 6. Event & Reporting Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE notifications (
    id          TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    kind        TEXT NOT NULL
                CHECK (kind IN ('transfer_received', 'order_filled', 'kyc_decision', 'pass_enrolled', 'pass_revoked',
                                'new_sign_in', 'security_alert', 'report_ready', 'system')),
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body        TEXT NOT NULL DEFAULT '',
    is_read     INTEGER NOT NULL DEFAULT 0 CHECK (is_read IN (0, 1)),
    read_at     TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (is_read = (read_at IS NOT NULL))
) STRICT;
CREATE INDEX idx_notifications_identity_id_created_at ON notifications (identity_id, created_at DESC, id DESC);
CREATE INDEX idx_notifications_unread ON notifications (identity_id) WHERE NOT is_read;
CREATE INDEX idx_notifications_created_at ON notifications (created_at);

CREATE TABLE report_definitions (
    id             TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64 AND name GLOB '[A-Za-z]*'
                                        AND name NOT GLOB '*[^A-Za-z0-9_]*'),
    description    TEXT NOT NULL DEFAULT '',
    -- A read-only SQL template; values come only from bound, typed parameters.
    sql_template   TEXT NOT NULL,
    -- Typed parameter declarations, each 'name:type' with type in date, uuid, text, integer.
    parameters     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(parameters) AND json_type(parameters) = 'array'),
    default_format TEXT NOT NULL DEFAULT 'json' CHECK (default_format IN ('json', 'csv', 'pdf')),
    row_limit      INTEGER NOT NULL DEFAULT 10000 CHECK (row_limit BETWEEN 1 AND 1000000),
    is_builtin     INTEGER NOT NULL DEFAULT 0 CHECK (is_builtin IN (0, 1)),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT report_definitions_name_key UNIQUE (name)
) STRICT;
CREATE INDEX idx_report_definitions_is_active ON report_definitions (is_active);

CREATE TABLE generated_reports (
    id                   TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    report_definition_id TEXT NOT NULL REFERENCES report_definitions (id) ON DELETE CASCADE
                         CHECK (length(report_definition_id) = 36 AND report_definition_id = lower(report_definition_id)),
    identity_id          TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                         CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    parameters           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters) AND json_type(parameters) = 'object'),
    format               TEXT NOT NULL CHECK (format IN ('json', 'csv', 'pdf')),
    status               TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    result               BLOB,
    result_hash          TEXT CHECK (length(result_hash) = 64 AND result_hash NOT GLOB '*[^0-9a-f]*'),
    row_count            INTEGER CHECK (row_count >= 0),
    error_message        TEXT,
    chain_anchor_tx      TEXT,
    generated_at         TEXT,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (status <> 'completed' OR (result IS NOT NULL AND result_hash IS NOT NULL AND generated_at IS NOT NULL))
) STRICT;
CREATE INDEX idx_generated_reports_report_definition_id ON generated_reports (report_definition_id);
CREATE INDEX idx_generated_reports_identity_id ON generated_reports (identity_id);
CREATE INDEX idx_generated_reports_status ON generated_reports (status);
CREATE INDEX idx_generated_reports_created_at ON generated_reports (created_at);

-- ---------------------------------------------------------------------------------------
-- 7. Hardware Pass Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE hardware_passes (
    id            TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id   TEXT NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE
                  CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    enrolled_by   TEXT REFERENCES identity_profiles (id) ON DELETE SET NULL
                  CHECK (length(enrolled_by) = 36 AND enrolled_by = lower(enrolled_by)),
    device_type   TEXT NOT NULL CHECK (device_type IN ('fido2_usb', 'fido2_nfc', 'software_pass')),
    label         TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    -- FIDO2 credential ID (base64url) and COSE public key (base64url).
    credential_id TEXT NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 1400),
    public_key    TEXT NOT NULL,
    algorithm     INTEGER NOT NULL CHECK (algorithm IN (-7, -8)),
    aaguid        TEXT CHECK (length(aaguid) = 36 AND aaguid = lower(aaguid)),
    sign_count    INTEGER NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    capabilities  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(capabilities) AND json_type(capabilities) = 'array'),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'lost', 'expired')),
    status_reason TEXT,
    expires_at    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- A credential belongs to one identity: enrolling a pass twice is refused.
    CONSTRAINT hardware_passes_credential_id_key UNIQUE (credential_id),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
) STRICT;
CREATE INDEX idx_hardware_passes_identity_id ON hardware_passes (identity_id);
CREATE INDEX idx_hardware_passes_enrolled_by ON hardware_passes (enrolled_by);
CREATE INDEX idx_hardware_passes_status ON hardware_passes (status);

CREATE TABLE hardware_challenges (
    id               TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    hardware_pass_id TEXT NOT NULL REFERENCES hardware_passes (id) ON DELETE CASCADE
                     CHECK (length(hardware_pass_id) = 36 AND hardware_pass_id = lower(hardware_pass_id)),
    purpose          TEXT NOT NULL CHECK (purpose IN ('enrolment_test', 'sign_in')),
    -- At least 32 random bytes, hex.
    challenge        TEXT NOT NULL CHECK (length(challenge) >= 64 AND length(challenge) % 2 = 0
                                          AND challenge NOT GLOB '*[^0-9a-f]*'),
    expires_at       TEXT NOT NULL,
    used_at          TEXT,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT hardware_challenges_challenge_key UNIQUE (challenge),
    CHECK (julianday(expires_at) > julianday(created_at))
) STRICT;
CREATE INDEX idx_hardware_challenges_hardware_pass_id ON hardware_challenges (hardware_pass_id);
CREATE INDEX idx_hardware_challenges_expires_at ON hardware_challenges (expires_at);

-- ---------------------------------------------------------------------------------------
-- updated_at triggers: exactly the eight tables that track modifications.
--
-- The WHEN clause leaves an explicitly written updated_at alone; the inner UPDATE skips a
-- row already stamped with this statement's 'now', so it can never re-fire the trigger.
-- ---------------------------------------------------------------------------------------

CREATE TRIGGER trg_identity_profiles_updated_at AFTER UPDATE ON identity_profiles
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE identity_profiles SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
CREATE TRIGGER trg_wallet_accounts_updated_at AFTER UPDATE ON wallet_accounts
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE wallet_accounts SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
CREATE TRIGGER trg_multipass_credentials_updated_at AFTER UPDATE ON multipass_credentials
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE multipass_credentials SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
CREATE TRIGGER trg_application_modules_updated_at AFTER UPDATE ON application_modules
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE application_modules SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
CREATE TRIGGER trg_asset_definitions_updated_at AFTER UPDATE ON asset_definitions
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE asset_definitions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
CREATE TRIGGER trg_market_orders_updated_at AFTER UPDATE ON market_orders
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE market_orders SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
CREATE TRIGGER trg_report_definitions_updated_at AFTER UPDATE ON report_definitions
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE report_definitions SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
CREATE TRIGGER trg_hardware_passes_updated_at AFTER UPDATE ON hardware_passes
    FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
BEGIN
    UPDATE hardware_passes SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE id = NEW.id AND updated_at <> strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
END;
