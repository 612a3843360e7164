-- Enterprise Multipass: every table of the seven services.
--
-- Applies to PostgreSQL 14 and later, either with psql (`psql -f`) or, through the
-- `migrations/sqlx/` links, with sqlx-cli and with the app itself. It contains no
-- BEGIN/COMMIT because sqlx already wraps each migration in a transaction; psql users who
-- want all-or-nothing add `--single-transaction`, and `002_rollback_enterprise_tables.sql`
-- cleans up any partial state left by a failed run.
--
-- Money and quantities are BIGINT minor units. Status-like columns are TEXT with CHECK
-- lists rather than ENUM types so that later migrations can extend them without the
-- ALTER TYPE restrictions that apply inside transactions.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- Prefixed so that it cannot replace, or be dropped with, another schema's function of a
-- common name in the same database.
CREATE OR REPLACE FUNCTION multipass_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------------------
-- 1. Identity & Attestation Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE identity_profiles (
    id                  UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    full_name           TEXT NOT NULL CHECK (length(btrim(full_name)) BETWEEN 1 AND 200),
    -- Stored lower-cased so that the unique constraint is case-insensitive.
    email               TEXT NOT NULL CHECK (email = lower(email) AND email LIKE '_%@_%' AND length(email) <= 254),
    phone               TEXT CHECK (phone ~ '^\+[1-9][0-9]{1,14}$'),
    country             TEXT CHECK (country ~ '^[A-Z]{2}$'),
    date_of_birth       DATE,
    verification_status TEXT NOT NULL DEFAULT 'unverified'
                        CHECK (verification_status IN ('unverified', 'pending', 'verified', 'rejected', 'suspended')),
    kyc_level           SMALLINT NOT NULL DEFAULT 0 CHECK (kyc_level BETWEEN 0 AND 3),
    role                TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'desk', 'admin')),
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    deactivated_at      TIMESTAMPTZ,
    metadata            JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT identity_profiles_email_key UNIQUE (email)
);
CREATE INDEX idx_identity_profiles_verification_status ON identity_profiles (verification_status);
CREATE INDEX idx_identity_profiles_created_at ON identity_profiles (created_at);

CREATE TABLE kyc_verifications (
    id                UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id       UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    verification_type TEXT NOT NULL
                      CHECK (verification_type IN ('government_id', 'proof_of_address', 'selfie', 'biometric')),
    -- The document never leaves the user's machine: only its SHA3-256 digest is kept.
    document_hash     TEXT NOT NULL CHECK (document_hash ~ '^[0-9a-f]{64}$'),
    provider          TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    kyc_level         SMALLINT NOT NULL CHECK (kyc_level BETWEEN 1 AND 3),
    reviewed_by       UUID REFERENCES identity_profiles (id) ON DELETE SET NULL,
    reviewed_at       TIMESTAMPTZ,
    rejection_reason  TEXT,
    expires_at        TIMESTAMPTZ,
    metadata          JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Reviewed verifications carry a review time; a pending one may still expire unreviewed.
    CHECK (status IN ('pending', 'expired') OR reviewed_at IS NOT NULL),
    CHECK (status <> 'pending' OR reviewed_at IS NULL)
);
CREATE INDEX idx_kyc_verifications_identity_id ON kyc_verifications (identity_id);
CREATE INDEX idx_kyc_verifications_reviewed_by ON kyc_verifications (reviewed_by);
CREATE INDEX idx_kyc_verifications_status ON kyc_verifications (status);
CREATE INDEX idx_kyc_verifications_created_at ON kyc_verifications (created_at);

CREATE TABLE attestations (
    id                UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id       UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    attestation_type  TEXT NOT NULL CHECK (length(attestation_type) BETWEEN 1 AND 100),
    issuer            TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 200),
    -- The canonical serialization the proof hash was computed over, kept verbatim so that
    -- verification recomputes the digest from exactly these bytes.
    claim             TEXT NOT NULL,
    proof_hash        TEXT NOT NULL CHECK (proof_hash ~ '^[0-9a-f]{64}$'),
    issued_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at        TIMESTAMPTZ,
    revoked_at        TIMESTAMPTZ,
    revocation_reason TEXT,
    chain_anchor_tx   TEXT,
    metadata          JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (expires_at IS NULL OR expires_at > issued_at)
);
CREATE INDEX idx_attestations_identity_id ON attestations (identity_id);
CREATE INDEX idx_attestations_proof_hash ON attestations (proof_hash);
CREATE INDEX idx_attestations_created_at ON attestations (created_at);

-- ---------------------------------------------------------------------------------------
-- 2. Wallet Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE wallet_accounts (
    id                  UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id         UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    name                TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
    key_algorithm       TEXT NOT NULL DEFAULT 'ML-DSA-65',
    -- The public key only: the secret key lives in the OS keyring, never here.
    public_key          TEXT,
    boundless_addresses JSONB NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(boundless_addresses) = 'array'),
    labels              TEXT[] NOT NULL DEFAULT '{}',
    is_default          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_wallet_accounts_identity_id ON wallet_accounts (identity_id);
CREATE INDEX idx_wallet_accounts_status ON wallet_accounts (status);
CREATE INDEX idx_wallet_accounts_created_at ON wallet_accounts (created_at);
CREATE UNIQUE INDEX idx_wallet_accounts_one_default ON wallet_accounts (identity_id) WHERE is_default;

CREATE TABLE wallet_balances (
    id         UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    wallet_id  UUID NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE,
    asset_type TEXT NOT NULL CHECK (asset_type ~ '^[A-Z0-9]{1,12}$'),
    total      BIGINT NOT NULL DEFAULT 0 CHECK (total >= 0),
    locked     BIGINT NOT NULL DEFAULT 0 CHECK (locked >= 0),
    -- Derived by the database so that unlocked = total - locked can never drift.
    unlocked   BIGINT GENERATED ALWAYS AS (total - locked) STORED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT wallet_balances_locked_within_total CHECK (locked <= total),
    CONSTRAINT wallet_balances_wallet_asset_key UNIQUE (wallet_id, asset_type)
);
CREATE INDEX idx_wallet_balances_wallet_id ON wallet_balances (wallet_id);

CREATE TABLE wallet_transactions (
    id                     UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    wallet_id              UUID NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE,
    counterparty_wallet_id UUID REFERENCES wallet_accounts (id) ON DELETE SET NULL,
    -- Both legs of one transfer share a transfer_id.
    transfer_id            UUID NOT NULL,
    direction              TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
    tx_type                TEXT NOT NULL
                           CHECK (tx_type IN ('transfer', 'fee', 'deposit', 'withdrawal', 'trade', 'issuance')),
    asset_type             TEXT NOT NULL CHECK (asset_type ~ '^[A-Z0-9]{1,12}$'),
    amount                 BIGINT NOT NULL CHECK (amount > 0),
    fee                    BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),
    status                 TEXT NOT NULL DEFAULT 'completed'
                           CHECK (status IN ('pending', 'completed', 'failed', 'reversed')),
    idempotency_key        TEXT CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_hash           TEXT CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    signature              TEXT,
    balance_after          BIGINT CHECK (balance_after >= 0),
    metadata               JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
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
    id                  UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id         UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    username            TEXT NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,31}$'),
    -- Argon2id PHC string; never a plain password.
    password_hash       TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    totp_secret         TEXT,
    totp_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    -- The last accepted TOTP time step: a code is accepted at most once.
    totp_last_step      BIGINT CHECK (totp_last_step >= 0),
    require_2fa         BOOLEAN NOT NULL DEFAULT FALSE,
    -- Hashes of the unused backup codes; a used code is removed from the array.
    backup_codes        TEXT[] NOT NULL DEFAULT '{}',
    failed_attempts     INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_at           TIMESTAMPTZ,
    last_failed_at      TIMESTAMPTZ,
    last_sign_in_at     TIMESTAMPTZ,
    password_changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT multipass_credentials_username_key UNIQUE (username),
    CONSTRAINT multipass_credentials_identity_id_key UNIQUE (identity_id),
    CHECK (NOT totp_enabled OR totp_secret IS NOT NULL)
);
CREATE INDEX idx_multipass_credentials_locked_at ON multipass_credentials (locked_at) WHERE locked_at IS NOT NULL;

CREATE TABLE multipass_sessions (
    id                UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id       UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    -- SHA3-256 of the bearer token, hex; the token itself is never stored.
    token_hash        TEXT NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    kind              TEXT NOT NULL DEFAULT 'desktop' CHECK (kind IN ('desktop', 'cli', 'sso')),
    auth_method       TEXT NOT NULL
                      CHECK (auth_method IN ('password', 'password_totp', 'password_backup_code', 'hardware_pass', 'sso_consent')),
    -- For SSO tokens: the module name the token was issued to.
    audience          TEXT,
    scopes            TEXT[] NOT NULL DEFAULT '{}',
    device_info       JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(device_info) = 'object'),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at        TIMESTAMPTZ NOT NULL,
    revoked_at        TIMESTAMPTZ,
    revocation_reason TEXT CHECK (revocation_reason IN ('sign_out', 'password_change', 'account_locked', 'user_revoked', 'admin_revoked')),
    CONSTRAINT multipass_sessions_token_hash_key UNIQUE (token_hash),
    CHECK (expires_at > created_at),
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE INDEX idx_multipass_sessions_identity_id ON multipass_sessions (identity_id);
CREATE INDEX idx_multipass_sessions_expires_at ON multipass_sessions (expires_at);
CREATE INDEX idx_multipass_sessions_created_at ON multipass_sessions (created_at);

-- ---------------------------------------------------------------------------------------
-- 4. Application Module Registry
-- ---------------------------------------------------------------------------------------

CREATE TABLE application_modules (
    id              UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    name            TEXT NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{1,62}$'),
    display_name    TEXT NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
    description     TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL
                    CHECK (category IN ('finance', 'trading', 'identity', 'compliance', 'reporting', 'productivity', 'communication', 'other')),
    api_base_url    TEXT NOT NULL CHECK (api_base_url ~ '^https?://'),
    required_scopes TEXT[] NOT NULL DEFAULT '{}',
    version         TEXT NOT NULL DEFAULT '1.0.0',
    is_enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT application_modules_name_key UNIQUE (name)
);
CREATE INDEX idx_application_modules_category ON application_modules (category);
CREATE INDEX idx_application_modules_is_enabled ON application_modules (is_enabled);

CREATE TABLE application_events (
    id          UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    module_id   UUID NOT NULL REFERENCES application_modules (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL CHECK (event_type IN ('installed', 'authorized', 'revoked', 'uninstalled', 'action')),
    -- OAuth-style space-separated scope list for 'authorized' events.
    scope       TEXT,
    action      TEXT,
    detail      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_application_events_identity_id_created_at ON application_events (identity_id, created_at DESC, id DESC);
CREATE INDEX idx_application_events_module_id ON application_events (module_id);
CREATE INDEX idx_application_events_event_type ON application_events (event_type);
CREATE INDEX idx_application_events_created_at ON application_events (created_at);

-- ---------------------------------------------------------------------------------------
-- 5. Asset & Market Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE asset_definitions (
    id                 UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    symbol             TEXT NOT NULL CHECK (symbol ~ '^[A-Z0-9]{1,12}$'),
    name               TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    asset_type         TEXT NOT NULL
                       CHECK (asset_type IN ('native', 'utility_token', 'equity_token', 'carbon_credit', 'nft', 'subscription_pass')),
    decimals           SMALLINT NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 18),
    total_supply       BIGINT NOT NULL CHECK (total_supply >= 0),
    circulating_supply BIGINT NOT NULL DEFAULT 0 CHECK (circulating_supply >= 0),
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'halted', 'retired')),
    is_tradable        BOOLEAN NOT NULL DEFAULT TRUE,
    metadata           JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT asset_definitions_symbol_key UNIQUE (symbol),
    CONSTRAINT asset_definitions_supply_within_total CHECK (circulating_supply <= total_supply)
);
CREATE INDEX idx_asset_definitions_asset_type ON asset_definitions (asset_type);
CREATE INDEX idx_asset_definitions_status ON asset_definitions (status);

CREATE TABLE asset_balances (
    id              UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    wallet_id       UUID NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE,
    asset_id        UUID NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE,
    quantity        BIGINT NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    locked_quantity BIGINT NOT NULL DEFAULT 0 CHECK (locked_quantity >= 0),
    available       BIGINT GENERATED ALWAYS AS (quantity - locked_quantity) STORED,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT asset_balances_locked_within_quantity CHECK (locked_quantity <= quantity),
    CONSTRAINT asset_balances_wallet_asset_key UNIQUE (wallet_id, asset_id)
);
CREATE INDEX idx_asset_balances_wallet_id ON asset_balances (wallet_id);
CREATE INDEX idx_asset_balances_asset_id ON asset_balances (asset_id);

CREATE TABLE market_orders (
    id              UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    -- Strictly increasing arrival order: the "time" in price-time priority.
    sequence        BIGINT GENERATED ALWAYS AS IDENTITY,
    wallet_id       UUID NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE,
    asset_id        UUID NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE,
    side            TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type      TEXT NOT NULL DEFAULT 'limit' CHECK (order_type IN ('limit')),
    price           BIGINT NOT NULL CHECK (price > 0),
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    filled_quantity BIGINT NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    -- What this order still holds locked: quote minor units for a buy, asset units for a sell.
    locked_amount   BIGINT NOT NULL DEFAULT 0 CHECK (locked_amount >= 0),
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'partially_filled', 'filled', 'cancelled', 'rejected')),
    cancel_reason   TEXT CHECK (cancel_reason IN ('user', 'self_trade_prevention', 'asset_halted', 'admin')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT market_orders_filled_within_quantity CHECK (filled_quantity <= quantity),
    CONSTRAINT market_orders_sequence_key UNIQUE (sequence),
    CHECK (status NOT IN ('filled', 'cancelled', 'rejected') OR locked_amount = 0),
    CHECK ((status = 'filled') = (filled_quantity = quantity))
);
CREATE INDEX idx_market_orders_wallet_id ON market_orders (wallet_id);
CREATE INDEX idx_market_orders_asset_id ON market_orders (asset_id);
CREATE INDEX idx_market_orders_status ON market_orders (status);
CREATE INDEX idx_market_orders_created_at ON market_orders (created_at);
-- The resting book: open orders per asset and side in priority order.
CREATE INDEX idx_market_orders_book ON market_orders (asset_id, side, price, sequence)
    WHERE status IN ('open', 'partially_filled');

CREATE TABLE positions (
    id            UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    wallet_id     UUID NOT NULL REFERENCES wallet_accounts (id) ON DELETE CASCADE,
    asset_id      UUID NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE,
    quantity      BIGINT NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    -- Total cost of the quantity held, in quote minor units; average cost is derived from it.
    cost_basis    BIGINT NOT NULL DEFAULT 0 CHECK (cost_basis >= 0),
    average_cost  BIGINT NOT NULL DEFAULT 0 CHECK (average_cost >= 0),
    realized_pnl  BIGINT NOT NULL DEFAULT 0,
    opened_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_trade_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT positions_wallet_asset_key UNIQUE (wallet_id, asset_id)
);
CREATE INDEX idx_positions_wallet_id ON positions (wallet_id);
CREATE INDEX idx_positions_asset_id ON positions (asset_id);

CREATE TABLE trades (
    id               UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    asset_id         UUID NOT NULL REFERENCES asset_definitions (id) ON DELETE CASCADE,
    -- Orders and wallets are referenced by id without foreign keys, as in the seed's
    -- dependency tree; the matching transaction that writes a trade holds those rows locked.
    buy_order_id     UUID NOT NULL,
    sell_order_id    UUID NOT NULL,
    buyer_wallet_id  UUID NOT NULL,
    seller_wallet_id UUID NOT NULL,
    aggressor_side   TEXT NOT NULL CHECK (aggressor_side IN ('buy', 'sell')),
    price            BIGINT NOT NULL CHECK (price > 0),
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    executed_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (buy_order_id <> sell_order_id),
    CHECK (buyer_wallet_id <> seller_wallet_id)
);
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
    id          UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL
                CHECK (kind IN ('transfer_received', 'order_filled', 'kyc_decision', 'pass_enrolled', 'pass_revoked',
                                'new_sign_in', 'security_alert', 'report_ready', 'system')),
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body        TEXT NOT NULL DEFAULT '',
    is_read     BOOLEAN NOT NULL DEFAULT FALSE,
    read_at     TIMESTAMPTZ,
    metadata    JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (is_read = (read_at IS NOT NULL))
);
CREATE INDEX idx_notifications_identity_id_created_at ON notifications (identity_id, created_at DESC, id DESC);
CREATE INDEX idx_notifications_unread ON notifications (identity_id) WHERE NOT is_read;
CREATE INDEX idx_notifications_created_at ON notifications (created_at);

CREATE TABLE report_definitions (
    id             UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    name           TEXT NOT NULL CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]{0,63}$'),
    description    TEXT NOT NULL DEFAULT '',
    -- A read-only SQL template; values come only from bound, typed parameters.
    sql_template   TEXT NOT NULL,
    -- Typed parameter declarations, each 'name:type' with type in date, uuid, text, integer.
    parameters     TEXT[] NOT NULL DEFAULT '{}',
    default_format TEXT NOT NULL DEFAULT 'json' CHECK (default_format IN ('json', 'csv', 'pdf')),
    row_limit      INTEGER NOT NULL DEFAULT 10000 CHECK (row_limit BETWEEN 1 AND 1000000),
    is_builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT report_definitions_name_key UNIQUE (name)
);
CREATE INDEX idx_report_definitions_is_active ON report_definitions (is_active);

CREATE TABLE generated_reports (
    id                   UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    report_definition_id UUID NOT NULL REFERENCES report_definitions (id) ON DELETE CASCADE,
    identity_id          UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    parameters           JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(parameters) = 'object'),
    format               TEXT NOT NULL CHECK (format IN ('json', 'csv', 'pdf')),
    status               TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    result               BYTEA,
    result_hash          TEXT CHECK (result_hash ~ '^[0-9a-f]{64}$'),
    row_count            INTEGER CHECK (row_count >= 0),
    error_message        TEXT,
    chain_anchor_tx      TEXT,
    generated_at         TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'completed' OR (result IS NOT NULL AND result_hash IS NOT NULL AND generated_at IS NOT NULL))
);
CREATE INDEX idx_generated_reports_report_definition_id ON generated_reports (report_definition_id);
CREATE INDEX idx_generated_reports_identity_id ON generated_reports (identity_id);
CREATE INDEX idx_generated_reports_status ON generated_reports (status);
CREATE INDEX idx_generated_reports_created_at ON generated_reports (created_at);

-- ---------------------------------------------------------------------------------------
-- 7. Hardware Pass Service
-- ---------------------------------------------------------------------------------------

CREATE TABLE hardware_passes (
    id            UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    identity_id   UUID NOT NULL REFERENCES identity_profiles (id) ON DELETE CASCADE,
    enrolled_by   UUID REFERENCES identity_profiles (id) ON DELETE SET NULL,
    device_type   TEXT NOT NULL CHECK (device_type IN ('fido2_usb', 'fido2_nfc', 'software_pass')),
    label         TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    -- FIDO2 credential ID (base64url) and COSE public key (base64url).
    credential_id TEXT NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 1400),
    public_key    TEXT NOT NULL,
    algorithm     INTEGER NOT NULL CHECK (algorithm IN (-7, -8)),
    aaguid        UUID,
    sign_count    BIGINT NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
    capabilities  TEXT[] NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'lost', 'expired')),
    status_reason TEXT,
    expires_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A credential belongs to one identity: enrolling a pass twice is refused.
    CONSTRAINT hardware_passes_credential_id_key UNIQUE (credential_id),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX idx_hardware_passes_identity_id ON hardware_passes (identity_id);
CREATE INDEX idx_hardware_passes_enrolled_by ON hardware_passes (enrolled_by);
CREATE INDEX idx_hardware_passes_status ON hardware_passes (status);

CREATE TABLE hardware_challenges (
    id               UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    hardware_pass_id UUID NOT NULL REFERENCES hardware_passes (id) ON DELETE CASCADE,
    purpose          TEXT NOT NULL CHECK (purpose IN ('enrolment_test', 'sign_in')),
    -- At least 32 random bytes, hex.
    challenge        TEXT NOT NULL CHECK (challenge ~ '^([0-9a-f]{2}){32,}$'),
    expires_at       TIMESTAMPTZ NOT NULL,
    used_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT hardware_challenges_challenge_key UNIQUE (challenge),
    CHECK (expires_at > created_at)
);
CREATE INDEX idx_hardware_challenges_hardware_pass_id ON hardware_challenges (hardware_pass_id);
CREATE INDEX idx_hardware_challenges_expires_at ON hardware_challenges (expires_at);

-- ---------------------------------------------------------------------------------------
-- updated_at triggers: exactly the eight tables that track modifications.
-- ---------------------------------------------------------------------------------------

CREATE TRIGGER trg_identity_profiles_updated_at BEFORE UPDATE ON identity_profiles
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
CREATE TRIGGER trg_wallet_accounts_updated_at BEFORE UPDATE ON wallet_accounts
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
CREATE TRIGGER trg_multipass_credentials_updated_at BEFORE UPDATE ON multipass_credentials
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
CREATE TRIGGER trg_application_modules_updated_at BEFORE UPDATE ON application_modules
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
CREATE TRIGGER trg_asset_definitions_updated_at BEFORE UPDATE ON asset_definitions
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
CREATE TRIGGER trg_market_orders_updated_at BEFORE UPDATE ON market_orders
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
CREATE TRIGGER trg_report_definitions_updated_at BEFORE UPDATE ON report_definitions
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
CREATE TRIGGER trg_hardware_passes_updated_at BEFORE UPDATE ON hardware_passes
    FOR EACH ROW EXECUTE FUNCTION multipass_set_updated_at();
