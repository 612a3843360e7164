-- Enterprise Multipass, schema version 2: the security audit trail, the public halves of
-- the SSO signing keys, and the read-only role that report templates run under.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 2 through `migrations/sqlx/`; 004 is its down half.

-- Security events are append-only evidence (sign-ins, failures, lockouts, second-factor
-- changes, pass changes, role and scope grants). Rows outlive the identity they concern:
-- identities are deactivated, not deleted, and a deleted one only clears the reference.
CREATE TABLE security_events (
    id          UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    -- Whose account the event concerns; NULL for an unknown username.
    identity_id UUID REFERENCES identity_profiles (id) ON DELETE SET NULL,
    -- Who caused it when that is someone else (an admin unlocking, desk staff enrolling).
    actor_id    UUID REFERENCES identity_profiles (id) ON DELETE SET NULL,
    event_type  TEXT NOT NULL CHECK (event_type ~ '^[a-z][a-z0-9_]{1,63}$'),
    detail      JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(detail) = 'object'),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_security_events_identity_id_created_at ON security_events (identity_id, created_at DESC, id DESC);
CREATE INDEX idx_security_events_actor_id ON security_events (actor_id);
CREATE INDEX idx_security_events_event_type ON security_events (event_type);
CREATE INDEX idx_security_events_created_at ON security_events (created_at);

-- Public keys that verify SSO tokens, published as a JWKS. Each private key stays in the OS
-- keyring of the desktop that made it; the database only learns the public half.
CREATE TABLE sso_signing_keys (
    kid        TEXT PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
    algorithm  TEXT NOT NULL DEFAULT 'EdDSA' CHECK (algorithm IN ('EdDSA')),
    -- The raw 32-byte Ed25519 public key, base64url without padding.
    public_key TEXT NOT NULL CHECK (public_key ~ '^[A-Za-z0-9_-]{43}$'),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- After retirement a key still verifies the tokens it signed until they expire.
    retired_at TIMESTAMPTZ,
    CHECK (retired_at IS NULL OR retired_at >= created_at)
);
CREATE INDEX idx_sso_signing_keys_retired_at ON sso_signing_keys (retired_at);

-- Report templates run as this role (SET LOCAL ROLE) inside a READ ONLY transaction. It can
-- read business tables but not credentials, sessions or keys, and write nothing. Roles are
-- cluster-wide, so it is created only when missing and survives the rollback.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'multipass_report_reader') THEN
        CREATE ROLE multipass_report_reader NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO multipass_report_reader;
GRANT SELECT ON identity_profiles, kyc_verifications, attestations, wallet_accounts, wallet_balances,
    wallet_transactions, application_modules, application_events, asset_definitions, asset_balances,
    market_orders, positions, trades, notifications, report_definitions, generated_reports,
    hardware_passes, security_events
    TO multipass_report_reader;
-- The connecting user must be a member to switch to the role; a superuser already may.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'multipass_report_reader', 'MEMBER') THEN
        EXECUTE format('GRANT multipass_report_reader TO %I', current_user);
    END IF;
END
$$;
