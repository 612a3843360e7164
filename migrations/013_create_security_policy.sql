-- Enterprise Multipass, schema version 7: the deployment's security policy, one row.
--
-- Lockout, session lifetimes, the pass challenge's lifetime, the report timeout and the
-- sign-in limits live here rather than in each server's or desktop's settings, so no tool
-- that reaches this database (a server, a direct-PostgreSQL desktop, the CLI) applies
-- rules of its own. Admins change them through the application (`update_security_policy`),
-- which records who did in security_events. The ranges are the ones the application checks
-- (multipass_domain::policy); the CHECKs hold them even against a client that skips it.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 7 through `migrations/sqlx/`; 014 is its down half.
CREATE TABLE security_policy (
    -- Exactly one row: the key can only be TRUE.
    singleton                      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    max_failed_sign_ins            INTEGER NOT NULL DEFAULT 5 CHECK (max_failed_sign_ins BETWEEN 1 AND 100),
    -- 0 keeps a locked account locked until an admin unlocks it.
    lockout_minutes                INTEGER NOT NULL DEFAULT 15 CHECK (lockout_minutes BETWEEN 0 AND 525600),
    session_hours                  INTEGER NOT NULL DEFAULT 12 CHECK (session_hours BETWEEN 1 AND 720),
    -- 0 turns the idle timeout off.
    session_idle_minutes           INTEGER NOT NULL DEFAULT 30 CHECK (session_idle_minutes BETWEEN 0 AND 1440),
    pass_challenge_seconds         INTEGER NOT NULL DEFAULT 120 CHECK (pass_challenge_seconds BETWEEN 10 AND 600),
    report_timeout_seconds         INTEGER NOT NULL DEFAULT 30 CHECK (report_timeout_seconds BETWEEN 1 AND 3600),
    sign_in_failures_per_username  INTEGER NOT NULL DEFAULT 30 CHECK (sign_in_failures_per_username BETWEEN 1 AND 10000),
    sign_in_failures_per_address   INTEGER NOT NULL DEFAULT 100 CHECK (sign_in_failures_per_address BETWEEN 1 AND 10000),
    sign_in_failure_window_minutes INTEGER NOT NULL DEFAULT 15 CHECK (sign_in_failure_window_minutes BETWEEN 1 AND 1440),
    updated_at                     TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The admin who last changed it; NULL for the defaults this migration writes.
    updated_by                     UUID REFERENCES identity_profiles (id) ON DELETE SET NULL
);
INSERT INTO security_policy DEFAULT VALUES;

-- The row is read and changed, never added or removed.
GRANT SELECT, UPDATE ON security_policy TO multipass_runtime;
