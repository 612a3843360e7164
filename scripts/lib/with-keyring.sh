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

secrets_served() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q 'boolean true'
}

# The daemon runs in the foreground under a loop that starts it again, unlocked, if it
# ends while the command runs. It once crashed in the middle of the test suite (a GLib trap
# under load); D-Bus then started a locked daemon of its own, and every later keyring call
# failed. `--replace` takes the name back from such a one, so a crash costs only the calls
# in flight. `--unlock` creates the login keyring with this password, or opens it again.
(
  while :; do
    printf 'multipass-test-keyring' |
      gnome-keyring-daemon --foreground --replace --unlock --components=secrets >/dev/null 2>&1 || true
    sleep 0.2
  done
) 2>/dev/null &
keeper=$!
stop_keeper() {
  local daemon
  daemon=$(pgrep -P "$keeper" || true)
  kill "$keeper" 2>/dev/null || true
  # shellcheck disable=SC2086 # one pid per word
  [ -z "$daemon" ] || kill $daemon 2>/dev/null || true
}
trap stop_keeper EXIT

for _ in $(seq 1 100); do
  secrets_served && break
  sleep 0.05
done
if ! secrets_served; then
  echo "error: gnome-keyring-daemon did not start on the private session bus" >&2
  exit 1
fi

set +e
"$@"
status=$?
set -e
exit "$status"
