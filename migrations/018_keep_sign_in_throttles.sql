-- Undoes 017_prune_sign_in_throttles.sql: the runtime role deletes no counts again and the
-- index goes. Safe on a partial 017 (IF EXISTS).
-- sqlx-cli runs this file as the down half of migration 9 (see migrations/sqlx/).

REVOKE DELETE ON sign_in_throttles FROM multipass_runtime;
DROP INDEX IF EXISTS idx_sign_in_throttles_window_started_at;
