-- Undoes 005_create_market_crossing_function.sql. Safe on a partial 005 (IF EXISTS).
-- sqlx-cli runs this file as the down half of migration 3 (see migrations/sqlx/).

DROP FUNCTION IF EXISTS multipass_market_crossing(UUID, UUID, TEXT, BIGINT, BIGINT, UUID[], TEXT, UUID[]);
