-- Enterprise Multipass, schema version 4: the role the Multipass server runs as.
--
-- Migrations run with an owner login (`multipass migrate`); the server's own database login
-- holds only this role: it reads and writes rows, and nothing more. It creates, alters and
-- drops nothing, cannot create roles, deletes no rows (no use case does), and the audit
-- trail is append-only for it. Give the server's login the role with
--   CREATE ROLE multipass_server LOGIN PASSWORD '...' IN ROLE multipass_runtime;
-- A later migration that adds a table grants on it here too.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 4 through `migrations/sqlx/`; 008 is its down half. Roles are
-- cluster-wide, so the role is created only when missing and survives the rollback.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'multipass_runtime') THEN
        CREATE ROLE multipass_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION
    -- Another database of the cluster migrating at the same moment created it first.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
GRANT USAGE ON SCHEMA public TO multipass_runtime;
GRANT SELECT, INSERT, UPDATE ON identity_profiles, kyc_verifications, attestations,
    wallet_accounts, wallet_balances, wallet_transactions, multipass_credentials,
    multipass_sessions, application_modules, application_events, asset_definitions,
    asset_balances, market_orders, positions, trades, notifications, report_definitions,
    generated_reports, hardware_passes, hardware_challenges, sso_signing_keys, market_books
    TO multipass_runtime;
GRANT SELECT, INSERT ON security_events TO multipass_runtime;
-- The schema version check at start.
GRANT SELECT ON _sqlx_migrations TO multipass_runtime;
-- Identity columns (market_orders.sequence) draw from sequences.
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO multipass_runtime;
-- Report templates run as the reader (SET LOCAL ROLE), which needs membership; the reader
-- is not a member of this role, so there is no way back from a report.
GRANT multipass_report_reader TO multipass_runtime;
