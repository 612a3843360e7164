-- The local copy of completed reports from the shared database (see report_cache.rs).
-- Column names follow generated_reports so that rows decode the same way.

CREATE TABLE cached_sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    identity_id TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL
);

CREATE TABLE cached_reports (
    id                   TEXT PRIMARY KEY NOT NULL,
    identity_id          TEXT NOT NULL,
    report_definition_id TEXT NOT NULL,
    definition_name      TEXT NOT NULL,
    parameters           TEXT NOT NULL,
    format               TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status = 'completed'),
    result               BLOB NOT NULL,
    result_hash          TEXT NOT NULL,
    row_count            INTEGER,
    error_message        TEXT,
    generated_at         TEXT,
    created_at           TEXT NOT NULL,
    cached_at            TEXT NOT NULL
);

CREATE INDEX cached_reports_by_owner ON cached_reports (identity_id, created_at DESC, id DESC);
