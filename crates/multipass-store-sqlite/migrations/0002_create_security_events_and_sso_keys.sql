-- The embedded store's schema version 2: the mirror of
-- migrations/003_create_security_events_and_sso_keys.sql, with the type mapping described
-- at the top of 0001. The read-only report role has no SQLite counterpart: the embedded
-- store runs report templates on a connection opened read-only instead.

CREATE TABLE security_events (
    id          TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36 AND id = lower(id)),
    identity_id TEXT REFERENCES identity_profiles (id) ON DELETE SET NULL
                CHECK (length(identity_id) = 36 AND identity_id = lower(identity_id)),
    actor_id    TEXT REFERENCES identity_profiles (id) ON DELETE SET NULL
                CHECK (length(actor_id) = 36 AND actor_id = lower(actor_id)),
    event_type  TEXT NOT NULL CHECK (length(event_type) BETWEEN 2 AND 64 AND event_type GLOB '[a-z]*'
                                     AND event_type NOT GLOB '*[^a-z0-9_]*'),
    detail      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail) AND json_type(detail) = 'object'),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX idx_security_events_identity_id_created_at ON security_events (identity_id, created_at DESC, id DESC);
CREATE INDEX idx_security_events_actor_id ON security_events (actor_id);
CREATE INDEX idx_security_events_event_type ON security_events (event_type);
CREATE INDEX idx_security_events_created_at ON security_events (created_at);

CREATE TABLE sso_signing_keys (
    kid        TEXT NOT NULL PRIMARY KEY CHECK (length(kid) BETWEEN 8 AND 64 AND kid NOT GLOB '*[^A-Za-z0-9_-]*'),
    algorithm  TEXT NOT NULL DEFAULT 'EdDSA' CHECK (algorithm IN ('EdDSA')),
    public_key TEXT NOT NULL CHECK (length(public_key) = 43 AND public_key NOT GLOB '*[^A-Za-z0-9_-]*'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    retired_at TEXT,
    CHECK (retired_at IS NULL OR julianday(retired_at) >= julianday(created_at))
) STRICT;
CREATE INDEX idx_sso_signing_keys_retired_at ON sso_signing_keys (retired_at);
