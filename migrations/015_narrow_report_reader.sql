-- Enterprise Multipass, schema version 8: the report reader sees no report's bytes and no
-- pass's credential.
--
-- multipass_report_reader keeps reading the business tables whole, but of generated_reports
-- only what describes a run (not its result bytes or its parameters: one person's report is
-- not another's to read through a template), and of hardware_passes only what describes a
-- pass (not its credential id, public key or counter). A template naming a column it may not
-- read is refused by the database, whatever the template checker let through.
--
-- Like 001 it has no BEGIN/COMMIT (sqlx wraps each migration in a transaction) and is the
-- up half of sqlx migration 8 through `migrations/sqlx/`; 016 is its down half.
REVOKE SELECT ON generated_reports, hardware_passes FROM multipass_report_reader;
GRANT SELECT (id, report_definition_id, identity_id, format, status, result_hash, row_count,
              error_message, chain_anchor_tx, generated_at, created_at)
    ON generated_reports TO multipass_report_reader;
GRANT SELECT (id, identity_id, enrolled_by, device_type, label, algorithm, aaguid, capabilities,
              status, status_reason, expires_at, last_used_at, revoked_at, created_at, updated_at)
    ON hardware_passes TO multipass_report_reader;
