#!/usr/bin/env bash
# Builds the release binaries and runs the benchmarks in docs/BENCHMARKS.md under Xvfb.
# Extra arguments go to multipass-bench (e.g. `--only signin`, `--runs 5`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --prefix ui --no-audit --no-fund --loglevel=error
npm --prefix ui run --silent build
cargo build --locked --release -p multipass-desktop -p empty-window -p multipass-bench
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
pg_args=()
if [ -n "${DATABASE_URL:-}" ]; then pg_args=(--pg-url "$DATABASE_URL"); fi
xvfb-run -a -s "-screen 0 1280x900x24" "$target_dir/release/multipass-bench" "${pg_args[@]}" --json "$target_dir/bench.json" "$@"
