-- Undoes 007_create_runtime_role.sql: removes the role's rights in this database. The role
-- and its membership in the report reader are cluster-wide and may serve other databases,
-- so they stay, like the report reader itself.
-- sqlx-cli runs this file as the down half of migration 4 (see migrations/sqlx/).

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'multipass_runtime') THEN
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM multipass_runtime;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM multipass_runtime;
        REVOKE USAGE ON SCHEMA public FROM multipass_runtime;
    END IF;
END
$$;
