-- Undoes 011_create_server_secrets.sql. Safe on a partial 011 (IF EXISTS). The sealed
-- secrets go with it: servers then make new SSO keys.
-- sqlx-cli runs this file as the down half of migration 6 (see migrations/sqlx/).

DROP TABLE IF EXISTS server_secrets;
