-- Undoes 013_create_security_policy.sql. Safe on a partial 013 (IF EXISTS). The policy goes
-- with it: older builds read theirs from their settings again.
-- sqlx-cli runs this file as the down half of migration 7 (see migrations/sqlx/).

DROP TABLE IF EXISTS security_policy;
