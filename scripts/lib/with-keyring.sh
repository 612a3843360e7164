#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring, so the
# `keyring` crate's Secret Service backend works for real. Usage: keyring-run.sh CMD ARGS...
if [ -z "${MULTIPASS_KEYRING_SESSION:-}" ]; then
  exec env MULTIPASS_KEYRING_SESSION=1 dbus-run-session -- "$0" "$@"
fi
# A private keyring directory: never touch the user's real keyrings.
export XDG_DATA_HOME="${XDG_DATA_HOME:-$(mktemp -d)}"
eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
printf 'test-keyring-password' | gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1 || true
exec "$@"
