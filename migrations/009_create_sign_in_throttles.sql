-- Enterprise Multipass, schema version 5: failed sign-ins counted per username and per
-- source address, on top of each account's lockout, so that every server instance sees
-- the same counts.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 5 through `migrations/sqlx/`; 010 is its down half.

-- One row per key: `user:<name as typed, lower-cased>` or `addr:<address>` (IPv6 by its
-- /64). A window starts at a key's first failure; once it has passed, the next failure
-- starts a new one (see multipass_domain::throttle).
CREATE TABLE sign_in_throttles (
    throttle_key      TEXT PRIMARY KEY
                      CHECK (throttle_key ~ '^(user|addr):.+$' AND length(throttle_key) <= 300),
    failures          INTEGER NOT NULL CHECK (failures > 0),
    window_started_at TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON sign_in_throttles TO multipass_runtime;
