# Sourced by scripts/test.sh. Finds a PostgreSQL to test against, or starts a throwaway one.
#
# The seed's commands name `-U postgres` and `localhost` with the default port, so the
# throwaway cluster listens on 127.0.0.1:5432 when nothing answers there. PostgreSQL
# refuses to run as root, so as root the cluster runs as the `postgres` system user.

THROWAWAY_PGDATA=""

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "error: no PostgreSQL server binaries under /usr/lib/postgresql (install the postgresql package)" >&2; return 1; }
  echo "$dir"
}

as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_answers() {
  pg_isready -q -h 127.0.0.1 -p 5432 -t 2
}

ensure_postgres() {
  if pg_answers; then
    if psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
      echo "==> using the PostgreSQL already running at 127.0.0.1:5432"
    else
      echo "error: a PostgreSQL at 127.0.0.1:5432 answers but refuses user postgres without a password;" >&2
      echo "       stop it or allow trust/peer access for postgres on 127.0.0.1 to run the tests" >&2
      return 1
    fi
  else
    local bindir
    bindir=$(pg_bindir) || return 1
    THROWAWAY_PGDATA=$(mktemp -d /tmp/multipass-pg.XXXXXX)
    chmod 755 "$THROWAWAY_PGDATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$THROWAWAY_PGDATA"
    echo "==> no PostgreSQL at 127.0.0.1:5432: starting a throwaway cluster in $THROWAWAY_PGDATA"
    as_pg_user "$bindir/initdb" -D "$THROWAWAY_PGDATA/data" -U postgres --auth=trust -E UTF8 >/dev/null
    as_pg_user "$bindir/pg_ctl" -D "$THROWAWAY_PGDATA/data" -l "$THROWAWAY_PGDATA/server.log" -w -t 60 \
      -o "-p 5432 -k $THROWAWAY_PGDATA -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
  fi
  export DATABASE_URL="postgresql://postgres@127.0.0.1:5432/postgres"
  export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
}

stop_throwaway_postgres() {
  if [ -n "$THROWAWAY_PGDATA" ] && [ -d "$THROWAWAY_PGDATA/data" ]; then
    as_pg_user "$(pg_bindir)/pg_ctl" -D "$THROWAWAY_PGDATA/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$THROWAWAY_PGDATA"
  fi
}
