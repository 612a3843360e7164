-- The embedded store's schema version 3: the mirror of
-- migrations/009_create_sign_in_throttles.sql, with the type mapping described at the top
-- of 0001 (there is no role to grant to).

CREATE TABLE sign_in_throttles (
    throttle_key      TEXT NOT NULL PRIMARY KEY
                      CHECK ((throttle_key GLOB 'user:?*' OR throttle_key GLOB 'addr:?*')
                             AND length(throttle_key) <= 300),
    failures          INTEGER NOT NULL CHECK (failures > 0),
    window_started_at TEXT NOT NULL,
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
