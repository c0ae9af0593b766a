# A private PostgreSQL cluster for the benchmark scripts (Debian's package, fsync on, shared_buffers=256MB, a
# role `postoffice`), sourced by pg-compare.sh, pg-update.sh and popload-compare.sh; run as root.
#   pg_cluster_install            installs Debian's postgresql when no initdb is there
#   pg_cluster_start DIR LOG PORT initialises DIR/pg, starts it on the first free port from PORT (socket in
#                                 DIR/pgsock, initdb's output in LOG); sets PG_BIN, PG_DATA, PG_SOCK, PG_PORT
#   pg_psql ARGS...               psql as the superuser
#   pg_cluster_stop               stops it, if started (for the scripts' exit traps)

PG_BIN="" PG_DATA="" PG_SOCK="" PG_PORT=""

pg_cluster_install() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return 0
  echo "installing postgresql" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

pg_cluster_start() {
  local dir=$1 initlog=$2 port=$3
  PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  PG_DATA="$dir/pg" PG_SOCK="$dir/pgsock"
  while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
  PG_PORT=$port
  mkdir -p "$PG_DATA" "$PG_SOCK" && chown postgres: "$PG_DATA" "$PG_SOCK" && chmod 700 "$PG_DATA"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=trust -E UTF8 \
    --locale=C >"$initlog"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -l "$PG_SOCK/postgresql.log" \
    -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
  pg_psql -c "CREATE ROLE postoffice LOGIN"
}

pg_psql() {
  runuser -u postgres -- "$PG_BIN/psql" -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@"
}

pg_cluster_stop() {
  if [[ -n $PG_BIN && -f $PG_DATA/postmaster.pid ]]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  fi
}
