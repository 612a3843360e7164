-- Undoes 001_create_enterprise_tables.sql: every table, trigger and function it created.
--
-- Safe on a partially applied 001 (every DROP is IF EXISTS), so it also cleans up after a
-- failed forward run. Tables go children first, following the foreign-key tree; dropping a
-- table drops its triggers and indexes with it. The uuid-ossp extension is left installed:
-- it is a prerequisite that other schemas in the same database may use too.
-- sqlx-cli runs this file as the down half of migration 1 (see migrations/sqlx/).

DROP TABLE IF EXISTS hardware_challenges;
DROP TABLE IF EXISTS hardware_passes;
DROP TABLE IF EXISTS generated_reports;
DROP TABLE IF EXISTS report_definitions;
DROP TABLE IF EXISTS notifications;
DROP TABLE IF EXISTS trades;
DROP TABLE IF EXISTS positions;
DROP TABLE IF EXISTS market_orders;
DROP TABLE IF EXISTS asset_balances;
DROP TABLE IF EXISTS asset_definitions;
DROP TABLE IF EXISTS application_events;
DROP TABLE IF EXISTS application_modules;
DROP TABLE IF EXISTS multipass_sessions;
DROP TABLE IF EXISTS multipass_credentials;
DROP TABLE IF EXISTS wallet_transactions;
DROP TABLE IF EXISTS wallet_balances;
DROP TABLE IF EXISTS wallet_accounts;
DROP TABLE IF EXISTS attestations;
DROP TABLE IF EXISTS kyc_verifications;
DROP TABLE IF EXISTS identity_profiles;

DROP FUNCTION IF EXISTS multipass_set_updated_at();
