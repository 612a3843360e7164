#!/usr/bin/env bash
# The most a transfer of the app could reach against `pgbench -b tpcb-like` on this machine:
# pgbench itself runs the statements one transfer sends (bench/pgbench/transfer.sql), so no
# client of ours takes part. The two scripts alternate on one throwaway database; the ratio
# of their median tps is the ceiling for the transfer ratio in docs/BENCHMARKS.md (f).
#
#   scripts/bench-transfer-ceiling.sh [clients...]     (default: 1 2)
#   RUNS=3 SECONDS_PER_RUN=10 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
set -euo pipefail
cd "$(dirname "$0")/.."

url=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-10}
clients=("$@")
[ ${#clients[@]} -gt 0 ] || clients=(1 2)
case "$url" in
  postgres://*/* | postgresql://*/*) ;;
  *) echo "error: DATABASE_URL must name a database (postgresql://user@host:port/db), got: $url" >&2; exit 2 ;;
esac
case "${url##*/}" in
  *\?*) echo "error: DATABASE_URL must not carry parameters (?...): $url" >&2; exit 2 ;;
esac
command -v pgbench >/dev/null || { echo "error: pgbench is missing; on Debian it comes with postgresql-client" >&2; exit 2; }

db="multipass_ceiling_$$"
db_url="${url%/*}/$db"
psql "$url" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db"
trap 'psql "$url" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
for migration in migrations/sqlx/*.up.sql; do
  psql "$db_url" -qX -v ON_ERROR_STOP=1 -f "$migration" >/dev/null
done
psql "$db_url" -qX -v ON_ERROR_STOP=1 -f bench/pgbench/setup.sql >/dev/null
max=$(printf '%s\n' "${clients[@]}" | sort -n | tail -n 1)
pgbench -i -q -s "$max" "$db_url" 2>/dev/null

# Runs pgbench with the arguments given and prints its tps; a run that errs stops the script
# with pgbench's own words.
tps() {
  local out value
  out=$(pgbench "$@" "$db_url" 2>&1) || { echo "error: pgbench $*: $out" >&2; return 1; }
  value=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$out")
  [ -n "$value" ] || { echo "error: no tps in the output of pgbench $*: $out" >&2; return 1; }
  echo "$value"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Unrecorded: the first seconds on fresh tables split index pages and log whole pages far
# more often than later ones.
tps -n -b tpcb-like -c "$max" -j "$max" -T 5 >/dev/null
tps -n -M prepared -f bench/pgbench/transfer.sql -c "$max" -j "$max" -T 5 >/dev/null
declare -A tpcb ours
for ((round = 1; round <= runs; round++)); do
  for c in "${clients[@]}"; do
    # As multipass-bench runs its yardstick; the app's statements go prepared, as sqlx sends them.
    t=$(tps -n -b tpcb-like -c "$c" -j "$c" -T "$secs")
    o=$(tps -n -M prepared -f bench/pgbench/transfer.sql -c "$c" -j "$c" -T "$secs")
    echo "round $round, $c client(s): tpcb-like $t tps, transfer statements $o tps"
    tpcb[$c]+="$t "
    ours[$c]+="$o "
  done
done
for c in "${clients[@]}"; do
  t=$(printf '%s\n' ${tpcb[$c]} | median)
  o=$(printf '%s\n' ${ours[$c]} | median)
  awk -v c="$c" -v t="$t" -v o="$o" 'BEGIN { printf "%s client(s): median tpcb-like %.0f tps, transfer statements %.0f tps, ceiling ratio %.2f\n", c, t, o, o / t }'
done
