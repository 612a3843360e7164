-- Undoes 009_create_sign_in_throttles.sql. Safe on a partial 009 (IF EXISTS).
-- sqlx-cli runs this file as the down half of migration 5 (see migrations/sqlx/).

DROP TABLE IF EXISTS sign_in_throttles;
