-- Data for transfer.sql, on a database migrated with the app's migrations
-- (migrations/sqlx/*.up.sql): one identity with a session, ten funded wallets and the
-- treasury, and one ML-DSA-65-sized signature (3,309 bytes as hex) to store with each debit.
INSERT INTO identity_profiles (id, full_name, email)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'Bench', 'bench@example.com');
INSERT INTO multipass_sessions (identity_id, token_hash, auth_method, expires_at)
VALUES ('00000000-0000-0000-0000-0000000000a1', repeat('ab', 32), 'password', now() + interval '1 day');
INSERT INTO wallet_accounts (id, identity_id, name)
SELECT ('00000000-0000-0000-0000-0000000001' || g)::uuid, '00000000-0000-0000-0000-0000000000a1', 'Wallet ' || g
FROM generate_series(10, 19) AS g;
INSERT INTO wallet_accounts (id, identity_id, name)
VALUES ('6d700000-0000-4000-8000-000000001fee', '00000000-0000-0000-0000-0000000000a1', 'Treasury');
INSERT INTO wallet_balances (wallet_id, asset_type, total)
SELECT id, 'MPC', 1000000000000 FROM wallet_accounts;
CREATE TABLE bench_signature AS
SELECT string_agg(md5(random()::text), '') AS hex FROM generate_series(1, 207);
VACUUM ANALYZE;
