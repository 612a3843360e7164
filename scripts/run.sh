#!/usr/bin/env bash
# Builds and launches Multipass Desktop from a fresh Debian 12 machine. With no database
# configured it uses the embedded SQLite store in the per-user data folder. Extra
# arguments are passed to cargo (e.g. `--profile dev` for a quicker debug build).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)" = "Linux" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)." >&2
  echo "       Run this from a desktop session, or under Xvfb: xvfb-run -a scripts/run.sh" >&2
  exit 1
fi

bash scripts/install-system-deps.sh
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm ci --prefix ui --no-audit --no-fund --loglevel=error
fi
npm --prefix ui run --silent build
exec cargo run --locked --release -p multipass-desktop "$@"
