#!/usr/bin/env bash
# Runs every ```bash block of migrations/README.md, in order, from the repository root, and
# checks the database between blocks, so that the documented commands keep working as written.
#
# Needs a PostgreSQL server on localhost:5432 that accepts the user postgres: the README's
# commands carry `-U postgres` and the URL postgresql://postgres:password@localhost/..., so
# that is where they go whatever the environment says. PGHOST, PGPORT and PGUSER (default
# localhost, 5432, postgres) are honoured by the psql commands and by this script's own
# queries, and must reach that same server; the script checks that they do. Also needs psql,
# createdb, dropdb and cargo; the first block installs sqlx-cli if it is missing.
#
# The script creates and drops the databases enterprise_db and enterprise_test. It refuses to
# start if either already exists, so it can never drop data it did not create.
#
# Usage: [PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres] bash scripts/check-seed-commands.sh
# Prints one line per check and ends with "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
README="$ROOT/migrations/README.md"
DATABASES=(enterprise_db enterprise_test)
SEED_URL="postgresql://postgres:password@localhost/enterprise_db"
GUARD_FILE="use-sqlx-migrate-with--source_migrations-sqlx.sql"

export PGHOST="${PGHOST:-localhost}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
# `cargo install` puts sqlx there, and a reader following the README has it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The configuration variables the README documents. A value inherited from the caller (say a
# DATABASE_URL meant for `cargo test`) would silently redirect the sqlx commands that rely on
# the environment, so none of them is passed on; a block that exports one runs in its own
# process, so its export ends with the block.
CONFIG_VARS=(DATABASE_URL DATABASE_HOST DATABASE_PORT DATABASE_NAME DATABASE_USER DATABASE_PASSWORD
  DATABASE_MAX_CONNECTIONS)
forget_config_vars() {
  local var
  for var in "${CONFIG_VARS[@]}"; do
    export -n "$var" 2>/dev/null || true
    unset "$var"
  done
}
forget_config_vars

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok   - $*"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL - $*"
}
check() { # description command...
  local description=$1
  shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}
summary_and_exit() {
  echo "$passed passed, $failed failed"
  if ((failed > 0)); then exit 1; fi
  exit 0
}
die() {
  echo "check-seed-commands: $*" >&2
  exit 2
}

q() { # database sql: one value per line, unaligned, no psqlrc
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
database_exists() {
  [[ "$(q postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" == 1 ]]
}
database_absent() { ! database_exists "$1"; }
enterprise_table_count() {
  q enterprise_db "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'"
}
has_tables() { [[ "$(enterprise_table_count)" == "$1" ]]; }
has_no_tables_at_all() {
  [[ "$(q enterprise_db "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" == 0 ]]
}
function_count() {
  q enterprise_db "SELECT count(*) FROM pg_proc WHERE proname = 'multipass_set_updated_at'"
}
has_updated_at_triggers() {
  [[ "$(q enterprise_db "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace")" == 8 ]] &&
    [[ "$(function_count)" == 1 ]]
}
has_no_updated_at_function() { [[ "$(function_count)" == 0 ]]; }
sqlx_versions() { # "version|success" per applied migration, or nothing
  if [[ "$(q enterprise_db "SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")" == t ]]; then
    q enterprise_db "SELECT version || '|' || success FROM _sqlx_migrations ORDER BY version"
  fi
}
sqlx_recorded_versions_1_to_8() {
  [[ "$(sqlx_versions)" == $'1|true\n2|true\n3|true\n4|true\n5|true\n6|true\n7|true\n8|true' ]]
}
sqlx_recorded_versions_1_to_9() {
  [[ "$(sqlx_versions)" == $'1|true\n2|true\n3|true\n4|true\n5|true\n6|true\n7|true\n8|true\n9|true' ]]
}
runtime_role_forgets_ended_counts() { # whether multipass_runtime may delete sign_in_throttles rows
  [[ "$(q enterprise_db "SELECT has_table_privilege('multipass_runtime', 'sign_in_throttles', 'DELETE')")" == t ]]
}
runtime_role_keeps_counts() { ! runtime_role_forgets_ended_counts; }
reader_reads_whole_reports() { # whether multipass_report_reader may read generated_reports.result
  [[ "$(q enterprise_db "SELECT has_column_privilege('multipass_report_reader', 'generated_reports', 'result', 'SELECT')")" == t ]]
}
reader_reads_run_descriptions_only() { ! reader_reads_whole_reports; }
runtime_role_can_write() { # whether multipass_runtime holds INSERT on the audit trail
  [[ "$(q enterprise_db "SELECT has_table_privilege('multipass_runtime', 'security_events', 'INSERT')")" == t ]]
}

# --- preconditions --------------------------------------------------------------------------

for tool in psql createdb dropdb cargo; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done
[[ -f "$README" ]] || die "$README not found"
q postgres "SELECT 1" >/dev/null ||
  die "cannot connect to PostgreSQL at $PGHOST:$PGPORT as $PGUSER"

# The sqlx commands always go to localhost:5432; the psql ones follow PG*. They must agree.
server_via_env=$(q postgres "SELECT system_identifier FROM pg_control_system()") ||
  die "$PGUSER may not read pg_control_system() on $PGHOST:$PGPORT; run as postgres"
server_via_url=$(psql -X -q -At "postgresql://postgres:password@localhost:5432/postgres" \
  -c "SELECT system_identifier FROM pg_control_system()") ||
  die "cannot connect to localhost:5432 as postgres, where the README's sqlx commands go"
[[ "$server_via_env" == "$server_via_url" ]] ||
  die "PGHOST=$PGHOST PGPORT=$PGPORT is not the server on localhost:5432 that the README's URLs name"

existing=()
for db in "${DATABASES[@]}"; do
  if database_exists "$db"; then existing+=("$db"); fi
done
if ((${#existing[@]})); then
  die "refusing to run: database(s) ${existing[*]} already exist on $PGHOST:$PGPORT." \
    "This script creates and drops ${DATABASES[*]}; drop them yourself if they are scratch" \
    "databases, or point PGHOST/PGPORT at a server where they do not exist."
fi

WORK="$(mktemp -d)"
cleanup() {
  forget_config_vars
  local db
  for db in "${DATABASES[@]}"; do
    dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the README's bash blocks ---------------------------------------------------------------

awk -v dir="$WORK" '
  /^```bash[[:space:]]*$/ { n++; file = sprintf("%s/block-%02d.sh", dir, n); printf "" > file; inside = 1; next }
  inside && /^```[[:space:]]*$/ { inside = 0; close(file); next }
  inside { print > file }
' "$README"
blocks=("$WORK"/block-*.sh)
[[ -e "${blocks[0]}" ]] || die "no \`\`\`bash blocks in $README"
cat "${blocks[@]}" >"$WORK/all-commands"

# Every seed command must still be there, exactly as the seed writes it (sqlx migrate with
# the one documented change, --source migrations/sqlx).
required=(
  'cargo install sqlx-cli --no-default-features --features postgres'
  "sqlx database create --database-url \"$SEED_URL\""
  'psql -U postgres -d enterprise_db -f migrations/001_create_enterprise_tables.sql'
  'psql -U postgres -d enterprise_db -f migrations/002_rollback_enterprise_tables.sql'
  "sqlx migrate run --source migrations/sqlx --database-url \"$SEED_URL\""
  "sqlx migrate revert --source migrations/sqlx --database-url \"$SEED_URL\""
  "export DATABASE_URL=\"$SEED_URL\""
  'sqlx migrate run --source migrations/sqlx'
)
for line in "${required[@]}"; do
  check "README runs: $line" grep -qxF -- "$line" "$WORK/all-commands"
done
testing_sequence_in_one_block() {
  local block
  for block in "${blocks[@]}"; do
    if grep -v '^[[:space:]]*\(#.*\)\?$' "$block" | diff -q - <(printf '%s\n' \
      'createdb enterprise_test' \
      'psql -d enterprise_test -f migrations/001_create_enterprise_tables.sql' \
      'psql -d enterprise_test -c "\dt"' \
      'psql -d enterprise_test -f migrations/002_rollback_enterprise_tables.sql' \
      'dropdb enterprise_test') >/dev/null; then
      return 0
    fi
  done
  return 1
}
check "README has the seed's Testing sequence verbatim in one block" testing_sequence_in_one_block
every_sqlx_migrate_names_the_source() {
  local lines
  lines=$(grep -E '^[[:space:]]*sqlx migrate (run|revert)' "$WORK/all-commands" || true)
  [[ -z "$lines" ]] || ! grep -vqF -- '--source migrations/sqlx' <<<"$lines"
}
check "every sqlx migrate command in the README passes --source migrations/sqlx" \
  every_sqlx_migrate_names_the_source

# What a block leaves behind is decided by its last state-changing command.
final_action() {
  local action=none line
  while IFS= read -r line; do
    case "$line" in
      'cargo install sqlx-cli'*) action=installed ;;
      'sqlx database create'*) action=created ;;
      psql*'-d enterprise_db'*'-f migrations/001_'*) action=applied ;;
      psql*'-d enterprise_db'*'-f migrations/002_'*) action=rolled_back ;;
      'sqlx migrate run'*) action=sqlx_run ;;
      'sqlx migrate revert'*) action=sqlx_reverted ;;
      'dropdb enterprise_test'*) action=tested ;;
    esac
  done < <(sed 's/^[[:space:]]*//' "$1")
  echo "$action"
}

plain_migrate_is_refused() {
  local out
  # Run exactly as a reader would, from the repository root, without --source.
  if out=$(cd "$ROOT" && sqlx migrate run --database-url "$SEED_URL" 2>&1); then
    echo "    plain sqlx migrate run succeeded: $out"
    return 1
  fi
  grep -qF "$GUARD_FILE" <<<"$out" || {
    echo "    unexpected error: $out"
    return 1
  }
}
plain_migrate_with_env_is_refused() {
  ! (cd "$ROOT" && DATABASE_URL="$SEED_URL" sqlx migrate run >/dev/null 2>&1)
}

for block in "${blocks[@]}"; do
  name="README block $(basename "$block" .sh | sed 's/block-//')"
  first_command=$(grep -v '^[[:space:]]*\(#.*\)\?$' "$block" | head -n 1 || true)
  log="$block.log"
  if (cd "$ROOT" && bash -euo pipefail "$block") >"$log" 2>&1; then
    pass "$name runs: $first_command"
  else
    status=$?
    fail "$name exits with status $status: $first_command"
    sed 's/^/    | /' "$log" | tail -n 40
    # Later blocks build on this one; their results would only repeat this failure.
    summary_and_exit
  fi

  case "$(final_action "$block")" in
    installed)
      check "sqlx-cli is installed" bash -c 'sqlx --version | grep -q "^sqlx-cli "'
      ;;
    created)
      check "enterprise_db exists" database_exists enterprise_db
      check "enterprise_db starts empty" has_no_tables_at_all
      check "plain 'sqlx migrate run --database-url ...' (no --source) exits non-zero naming the guard file" \
        plain_migrate_is_refused
      check "plain 'sqlx migrate run' with DATABASE_URL (no --source) exits non-zero" \
        plain_migrate_with_env_is_refused
      check "the refused runs left enterprise_db empty" has_no_tables_at_all
      ;;
    applied)
      check "psql apply: 20 tables" has_tables 20
      check "psql apply: multipass_set_updated_at() and 8 updated_at triggers" has_updated_at_triggers
      ;;
    rolled_back)
      check "psql rollback: 0 tables" has_tables 0
      check "psql rollback: multipass_set_updated_at() dropped" has_no_updated_at_function
      ;;
    sqlx_run)
      check "sqlx migrate run: _sqlx_migrations records versions 1 to 9 as successful" sqlx_recorded_versions_1_to_9
      check "sqlx migrate run: 26 tables (the seed's 20, security_events, sso_signing_keys, market_books, sign_in_throttles, server_secrets, security_policy)" has_tables 26
      check "sqlx migrate run: multipass_set_updated_at() and 8 updated_at triggers" has_updated_at_triggers
      check "sqlx migrate run: the runtime role may write rows" runtime_role_can_write
      check "sqlx migrate run: the report reader cannot read report bytes" reader_reads_run_descriptions_only
      check "sqlx migrate run: the runtime role deletes ended sign-in counts" runtime_role_forgets_ended_counts
      ;;
    sqlx_reverted)
      # "Revert last migration": version 9 goes (deleting ended sign-in counts), 1 to 8 stay.
      check "sqlx migrate revert: the 26 tables of versions 1 to 8 remain" has_tables 26
      check "sqlx migrate revert: the runtime role deletes no sign-in counts again" runtime_role_keeps_counts
      check "sqlx migrate revert: the report reader still cannot read report bytes" reader_reads_run_descriptions_only
      check "sqlx migrate revert: the runtime role keeps its rights" runtime_role_can_write
      check "sqlx migrate revert: multipass_set_updated_at() and 8 updated_at triggers remain" has_updated_at_triggers
      check "sqlx migrate revert: _sqlx_migrations records versions 1 to 8 only" sqlx_recorded_versions_1_to_8
      ;;
    tested)
      check "Testing: \\dt listed the 20 tables" \
        bash -c '[[ $(grep -cE "^ *public *\| *[a-z_]+ *\| *table *\|" "$1") == 20 ]]' _ "$log"
      check "Testing: enterprise_test dropped" database_absent enterprise_test
      ;;
  esac
done

# --- cleanup ----------------------------------------------------------------------------------

for db in "${DATABASES[@]}"; do
  dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
  check "$db dropped" database_absent "$db"
done
forget_config_vars
check "no DATABASE_* variable left in the environment" \
  bash -c '! env | grep -q "^DATABASE_"'

summary_and_exit
