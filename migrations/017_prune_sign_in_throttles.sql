-- Enterprise Multipass, schema version 9: counts of failed sign-ins whose window has ended
-- are deleted.
--
-- Each failure also deletes the counts whose window ended (the next failure under such a key
-- would start a new window anyway), so a spray of names tried once each does not grow
-- sign_in_throttles for ever. The runtime role may delete there, and nowhere else; the index
-- finds the ended windows without reading the table.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 9 through `migrations/sqlx/`; 018 is its down half.
CREATE INDEX idx_sign_in_throttles_window_started_at ON sign_in_throttles (window_started_at);
GRANT DELETE ON sign_in_throttles TO multipass_runtime;
