#!/usr/bin/env bash
# Builds the pinned PgBouncer once, from Debian's source archive (checksum-checked), into a
# folder outside the clone that later runs reuse, and prints the path of its binary.
# Debian 12 ships 1.18; prepared statements in transaction mode, which sqlx's statements
# need, arrived in 1.21.
set -euo pipefail

VERSION=1.24.1
SHA256=da72a3aba13072876d055a3e58dd4aba4a5de4ed6148e73033185245598fd3e0
URL="https://deb.debian.org/debian/pool/main/p/pgbouncer/pgbouncer_${VERSION}.orig.tar.gz"
prefix="${MULTIPASS_TOOLS_DIR:-/var/tmp/multipass-tools}/pgbouncer-$VERSION"
binary="$prefix/bin/pgbouncer"

if [ ! -x "$binary" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "==> building PgBouncer $VERSION into $prefix" >&2
  curl -fsSL --retry 3 -o "$work/pgbouncer.tar.gz" "$URL"
  echo "$SHA256  $work/pgbouncer.tar.gz" | sha256sum --check --quiet
  tar -xzf "$work/pgbouncer.tar.gz" -C "$work"
  (
    cd "$work/pgbouncer-$VERSION"
    ./configure --prefix="$prefix" --without-cares --without-pam --without-systemd >"$work/configure.log" 2>&1 ||
      { cat "$work/configure.log" >&2; exit 1; }
    make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
    # Only the binary: the manual pages need pandoc, which the build does not.
    install -D -m 0755 pgbouncer "$binary"
  )
fi
echo "$binary"
