-- Undoes 015_narrow_report_reader.sql: the reader reads generated_reports and
-- hardware_passes whole again, as schema version 7 had it.
-- sqlx-cli runs this file as the down half of migration 8 (see migrations/sqlx/).

REVOKE SELECT ON generated_reports, hardware_passes FROM multipass_report_reader;
GRANT SELECT ON generated_reports, hardware_passes TO multipass_report_reader;
