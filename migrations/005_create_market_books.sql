-- Enterprise Multipass, schema version 3: the top of each asset's order book, as bounds.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 3 through `migrations/sqlx/`; 006 is its down half.

-- One row per asset. No resting buy order of the asset is priced above bid_ceiling, and no
-- resting sell order below ask_floor. They are bounds, not the best prices: an order that
-- leaves the book (filled or cancelled) may leave them looser than the book, never wrong.
-- A buy priced under ask_floor (a sell over bid_ceiling) crosses nothing, so it can rest
-- without the book being read: the placement updates this row in the same statement that
-- writes the order, and the row lock it takes there is the asset's matching lock (see
-- docs/ARCHITECTURE.md). The defaults claim nothing: every order may cross until a
-- placement that read the book sets them.
CREATE TABLE market_books (
    asset_id    UUID PRIMARY KEY REFERENCES asset_definitions (id) ON DELETE CASCADE,
    bid_ceiling BIGINT NOT NULL DEFAULT 9223372036854775807 CHECK (bid_ceiling >= 0),
    ask_floor   BIGINT NOT NULL DEFAULT 0 CHECK (ask_floor >= 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO market_books (asset_id) SELECT id FROM asset_definitions;
