#!/usr/bin/env bash
# Installs what building, launching and testing Multipass Desktop needs on Debian 12.
# Idempotent: packages already present are skipped, cargo tools already at the pinned version too.
set -euo pipefail

DEBIAN_PACKAGES=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libudev-dev libssl-dev libxdo-dev libdbus-1-dev
  xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring libsecret-tools
  postgresql postgresql-client fonts-dejavu-core poppler-utils
  python3 python3-venv
  valgrind
  libevent-dev
)

# Versions are pinned so a fresh machine builds the same tools the last green run used.
TAURI_DRIVER_VERSION=2.1.0
SQLX_CLI_VERSION=0.9.0
CARGO_FUZZ_VERSION=0.13.2
# The independent FIDO2 client the hardware-pass interop tests run against the software pass.
PYTHON_PACKAGES=(fido2==1.2.0)

need_apt=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  echo "==> installing Debian packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

cargo_tool() { # name version install-args...
  local name=$1 version=$2; shift 2
  if ! cargo install --list | grep -q "^$name v$version:"; then
    echo "==> installing $name $version"
    cargo install --locked --version "$version" "$@"
  fi
}
cargo_tool tauri-driver "$TAURI_DRIVER_VERSION" tauri-driver
# The seed's own install command, with a pinned version.
cargo_tool sqlx-cli "$SQLX_CLI_VERSION" sqlx-cli --no-default-features --features postgres
# Fuzz targets for the hardware-pass protocol (crates/multipass-pass/fuzz).
cargo_tool cargo-fuzz "$CARGO_FUZZ_VERSION" cargo-fuzz

# python fido2 goes into a venv under target/ (Debian's python refuses system-wide pip
# installs), unless the python on PATH already has the pinned version.
PY_VENV="$(cd "$(dirname "$0")/.." && pwd)/target/python-interop"
have_python_packages() { # python
  local spec
  for spec in "${PYTHON_PACKAGES[@]}"; do
    [ "$("$1" -m pip show "${spec%%==*}" 2>/dev/null | sed -n 's/^Version: //p')" = "${spec#*==}" ] || return 1
  done
}
if ! have_python_packages python3 && ! { [ -x "$PY_VENV/bin/python3" ] && have_python_packages "$PY_VENV/bin/python3"; }; then
  echo "==> installing python ${PYTHON_PACKAGES[*]} into $PY_VENV"
  python3 -m venv "$PY_VENV"
  "$PY_VENV/bin/python3" -m pip install --quiet "${PYTHON_PACKAGES[@]}"
fi

# PgBouncer for the transaction-pooling test: Debian 12's 1.18 predates prepared statements in
# transaction mode (1.21), which sqlx needs, so a pinned newer release is built from Debian's
# own source archive.
bash "$(dirname "$0")/lib/pgbouncer.sh" >/dev/null
