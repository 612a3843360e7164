#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring, so that the
# app's OS-keyring code (the Secret Service on Linux) is tested for real and never touches
# the user's own keyrings. Usage: scripts/lib/with-keyring.sh CMD [ARGS...]
set -euo pipefail
if [ -z "${MULTIPASS_KEYRING_SESSION:-}" ]; then
  exec env MULTIPASS_KEYRING_SESSION=1 dbus-run-session -- "$0" "$@"
fi
# The keyring files go under XDG_DATA_HOME/keyrings: a throwaway folder unless the caller
# already points XDG_DATA_HOME at one.
if [ -z "${XDG_DATA_HOME:-}" ]; then
  XDG_DATA_HOME=$(mktemp -d /tmp/multipass-keyring.XXXXXX)
  export XDG_DATA_HOME
fi
# --unlock creates the login keyring with this password and unlocks it; the daemon then
# serves org.freedesktop.secrets on this session bus only.
eval "$(printf 'multipass-test-keyring' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
exec "$@"
