#!/usr/bin/env bash
# Runs every check and test of Multipass Desktop, from a fresh Debian 12 machine:
# system packages and tools, the UI's npm packages from the lockfile, a PostgreSQL (a
# throwaway one when none answers), then lint, type checks, unit, integration, schema,
# seed-command and end-to-end tests. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

step "system packages and tools"
bash scripts/install-system-deps.sh

step "web UI: install from the lockfile, lint, type-check, unit tests, build"
npm ci --prefix ui --no-audit --no-fund --loglevel=error
npm --prefix ui run --silent lint
npm --prefix ui run --silent check
npm --prefix ui test --silent
npm --prefix ui run --silent build

step "Rust: formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh
trap stop_throwaway_postgres EXIT
step "PostgreSQL"
ensure_postgres

step "the seed document's psql and sqlx-cli commands (migrations/README.md)"
bash scripts/check-seed-commands.sh

# Tests run with a private home so that nothing they start can reach the real user's data,
# and the check below proves they did not write to the default data folder either.
test_home=$(mktemp -d /tmp/multipass-test-home.XXXXXX)
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"
export HOME="$test_home" XDG_DATA_HOME="$test_home/.local/share" XDG_CONFIG_HOME="$test_home/.config" \
  XDG_CACHE_HOME="$test_home/.cache"
mkdir -p "$root/target/e2e"

# The PgBouncer the transaction-pooling test puts in front of the cluster (built once).
MULTIPASS_TEST_PGBOUNCER=$(bash scripts/lib/pgbouncer.sh)
export MULTIPASS_TEST_PGBOUNCER

step "Rust: unit, integration and end-to-end tests (real PostgreSQL, SQLite, the OS keyring, and the app window under Xvfb)"
scripts/lib/with-keyring.sh xvfb-run -a -s "-screen 0 1280x900x24" \
  cargo nextest run --workspace --locked --run-ignored all --no-fail-fast --failure-output final

step "the API scenarios once more, every operation through the real server over HTTPS on loopback"
MULTIPASS_TEST_THROUGH_SERVER=1 scripts/lib/with-keyring.sh \
  cargo nextest run -p multipass-api --locked --no-fail-fast --failure-output final \
  --test '*_postgres' --test '*_sqlite'

if [ -e "$XDG_DATA_HOME/multipass" ] || [ -e "$XDG_CONFIG_HOME/multipass" ]; then
  echo "error: a test wrote to the default Multipass data or config folder; tests must use their own" >&2
  exit 1
fi
rm -rf "$test_home"
