-- Undoes 005_create_market_books.sql. Safe on a partial 005 (IF EXISTS).
-- sqlx-cli runs this file as the down half of migration 3 (see migrations/sqlx/).

DROP TABLE IF EXISTS market_books;
