-- Undoes 003_create_security_events_and_sso_keys.sql. Safe on a partial 003 (IF EXISTS).
-- The role multipass_report_reader is cluster-wide and may serve other databases, so only
-- its grants in this database are removed, like 002 leaves the uuid-ossp extension.
-- sqlx-cli runs this file as the down half of migration 2 (see migrations/sqlx/).

DROP TABLE IF EXISTS sso_signing_keys;
DROP TABLE IF EXISTS security_events;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'multipass_report_reader') THEN
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM multipass_report_reader;
        REVOKE USAGE ON SCHEMA public FROM multipass_report_reader;
    END IF;
END
$$;
