-- Enterprise Multipass, schema version 6: the server's sealed secrets.
--
-- The SSO signing key set (and later other server-held secrets) lives here, sealed by the
-- server with the deployment's key (MULTIPASS_SECRETS_KEY_FILE, ChaCha20-Poly1305, the
-- secret's name bound in as associated data), so every server instance signs with the same
-- keys and the database, its backups and its replicas never hold them in the clear.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 6 through `migrations/sqlx/`; 012 is its down half.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    -- A 12-byte nonce, the ciphertext and the 16-byte tag.
    sealed     BYTEA NOT NULL CHECK (length(sealed) >= 28),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A rotated-out key's private half is deleted: the runtime role may delete here only.
GRANT SELECT, INSERT, UPDATE, DELETE ON server_secrets TO multipass_runtime;
