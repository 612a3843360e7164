#!/usr/bin/env bash
# Builds the release binaries and runs the benchmarks in docs/BENCHMARKS.md under Xvfb.
# Extra arguments go to multipass-bench (e.g. `--only signin`, `--runs 5`).
# `--only` with a benchmark that needs neither the desktop app nor a display builds only the
# benchmark and the server and runs without Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh

only=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --only) only="${args[$((i + 1))]:-}" ;;
    --only=*) only="${args[$i]#--only=}" ;;
  esac
done

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
pg_args=()
if [ -n "${DATABASE_URL:-}" ]; then pg_args=(--pg-url "$DATABASE_URL"); fi

case "$only" in
  signin | matching | pgbench | ceiling | persisted | overhead | export | mixed)
    # `mixed` starts the real server process, built beside the benchmark.
    cargo build --locked --release -p multipass-bench -p multipass-server
    "$target_dir/release/multipass-bench" "${pg_args[@]}" --json "$target_dir/bench.json" "$@"
    ;;
  *)
    npm ci --prefix ui --no-audit --no-fund --loglevel=error
    npm --prefix ui run --silent build
    cargo build --locked --release -p multipass-desktop -p empty-window -p multipass-bench -p multipass-server
    xvfb-run -a -s "-screen 0 1280x900x24" "$target_dir/release/multipass-bench" "${pg_args[@]}" --json "$target_dir/bench.json" "$@"
    ;;
esac
