#!/usr/bin/env bash
# The PostgreSQL store beside Maildir (issue 11, docs/performance.md "PostgreSQL beside Maildir"): one corpus
# delivered into a Maildir data directory and copied with `postoffice migrate` into a private PostgreSQL
# (Debian's package, fsync on, on this machine), two servers with the same settings, the same generator
# (`postoffice bench`), alternating rounds, medians and ratios:
#   login      USER/PASS/STAT/QUIT, 32 clients, {PLAIN} passwords (hashing would hide the store's cost)
#   download   LIST/UIDL/RETR all/QUIT, 2 and 16 clients
#   many       login-to-STAT of one maildrop of --many messages (100,000 by default), one client, warm
# Usage: bench/pg-compare.sh [--rounds N] [--duration S] [--many N] [--keep]; run as root (PostgreSQL runs
# as its `postgres` user). Results: bench/results/pg-STAMP/summary.json and table.txt.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds=3 duration=10 many=100000 keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --many) many=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pg-compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

stamp=$(date +%Y%m%d-%H%M%S)
results="$root/bench/results/pg-$stamp" work="/tmp/postoffice-pgbench-$stamp"
mkdir -p "$results/runs" "$work"
chmod 755 "$work"
source "$root/bench/lib.sh" # log, die, stop_pid, free_port, wait_port, proc_ticks

source "$root/bench/pg-cluster.sh"
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pg_cluster_stop
  if ((keep)); then log "working directory kept: $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "run as root: PostgreSQL runs as its own user"
pg_cluster_install || die "cannot install postgresql"

log "building"
./postoffice --version >"$results/build.log" 2>&1 || { tail -20 "$results/build.log" >&2; die "the application does not build"; }
export POSTOFFICE_NO_BUILD=1
./mvnw -o -B -q -pl postoffice-bench -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=runtime \
  -Dmdep.outputFile="$work/bench.classpath" >>"$results/build.log" 2>&1 || die "the bench module does not build"
source "$root/scripts/find-java.sh"
JAVA=$(find_java) || die "needs a JDK 21 or newer"
CP="$root/postoffice-bench/target/classes:$(cat "$work/bench.classpath")"


log "corpus: 40 users x 10 messages, one of 10 MB, and 'many' with $many"
"$JAVA" -cp "$CP" dev.postoffice.bench.Corpus --out "$work/corpus" --users 40 --messages 10 --pool 80 --big-mb 10 \
  --many "$many" --idle-users 1 >"$results/corpus.txt"
data="$work/maildir"
mkdir -p "$data"
cat "$work/corpus/users-mail" "$work/corpus/users-many" >"$work/users-with-mail"
awk '{print $1 ":{PLAIN}" $2}' "$work/users-with-mail" >"$data/users"
log "delivering into Maildir"
export corpus="$work/corpus" data root
grep -v '^#' "$corpus/manifest" | grep -v '^many' | tr '\t' ' ' \
  | xargs -P 4 -L 1 bash -c 'cd "$corpus" && "$root/postoffice" deliver --data "$data" --user "$0" "$@"'
# 'many': its file names in batches (one line of 100,000 names is longer than a command line may be)
grep '^many' "$corpus/manifest" | cut -f2- | tr ' \t' '\n\n' | grep . \
  | (cd "$corpus" && xargs -n 5000 "$root/postoffice" deliver --data "$data" --user many)

log "PostgreSQL: a private cluster"
pg_cluster_start "$work" "$results/initdb.log" 25432
pg_psql -c "CREATE DATABASE postoffice OWNER postoffice"
URL="postgresql://127.0.0.1:$PG_PORT/postoffice?user=postoffice&pool=20"
./postoffice db migrate --store "$URL" >>"$results/build.log"
log "copying the corpus with postoffice migrate"
t0=$SECONDS
./postoffice migrate --from "maildir:$data" --to "$URL" >"$results/migrate.log" 2>&1 || { tail "$results/migrate.log" >&2; die "migrate failed"; }
log "migrated in $((SECONDS - t0)) s"

conf="$work/postoffice.conf"
printf 'max-connections = 100000\nmax-connections-per-address = 100000\npop3s = off\nallow-plaintext-auth = yes\n' >"$conf"
MD_PORT=$(free_port 22110) && PGS_PORT=$(free_port $((MD_PORT + 1)))
./postoffice serve --data "$data" --pop3 "127.0.0.1:$MD_PORT" --config "$conf" >"$results/maildir-server.log" 2>&1 &
pids+=($!)
mkdir -p "$work/pgnode"
./postoffice serve --data "$work/pgnode" --store "$URL" --pop3 "127.0.0.1:$PGS_PORT" --config "$conf" >"$results/pg-server.log" 2>&1 &
pids+=($!)
wait_port "$MD_PORT" && wait_port "$PGS_PORT" || die "a server did not start"
declare -A PORT=([maildir]=$MD_PORT [postgresql]=$PGS_PORT)
grep '^many ' "$work/users-with-mail" >"$work/users-many"
grep -v '^many ' "$work/users-with-mail" >"$work/users-mail"

bench() { # bench STORE NAME OPTIONS...: one run, its JSON in runs/
  local store=$1 name=$2; shift 2
  ./postoffice bench --no-progress --host 127.0.0.1 --port "${PORT[$store]}" --label "$store" \
    --json "$results/runs/$name.json" "$@" >"$results/runs/$name.txt" 2>&1 || log "  $name: the generator reported failures"
  sleep 1
}
for r in $(seq "$rounds"); do
  for store in maildir postgresql; do
    log "round $r: $store (load $(cut -d' ' -f1 /proc/loadavg))"
    bench "$store" "$store-login-$r" --scenario login --users "$work/users-mail" --concurrency 32 --duration "$duration" --warmup 3
    bench "$store" "$store-download2-$r" --scenario download --users "$work/users-mail" --concurrency 2 --duration "$duration" --warmup 3
    bench "$store" "$store-download16-$r" --scenario download --users "$work/users-mail" --concurrency 16 --duration "$duration" --warmup 3
    bench "$store" "$store-many-$r" --scenario login --users "$work/users-many" --concurrency 1 --duration "$duration" --warmup 3
  done
done

python3 - "$results" "$rounds" <<'EOF'
import json, statistics, sys
results, rounds = sys.argv[1], int(sys.argv[2])
def get(store, kind, r):
    d = json.load(open(f"{results}/runs/{store}-{kind}-{r}.json"))
    stat = d["latency_ms"].get("login-to-stat", {})
    return {"sessions_per_s": d["rates"]["sessions_per_s"], "mb_per_s": d["rates"]["mb_per_s"],
            "failed": d["totals"]["sessions_failed"],
            "login_to_stat_p50_ms": stat.get("p50"), "login_to_stat_p99_ms": stat.get("p99")}
rows = []
for kind, metric in (("login", "sessions_per_s"), ("download2", "mb_per_s"), ("download16", "mb_per_s"),
                     ("many", "login_to_stat_p50_ms"), ("many", "login_to_stat_p99_ms")):
    med = {s: statistics.median(get(s, kind, r)[metric] for r in range(1, rounds + 1)) for s in ("maildir", "postgresql")}
    failed = {s: sum(get(s, kind, r)["failed"] for r in range(1, rounds + 1)) for s in ("maildir", "postgresql")}
    rows.append({"run": kind, "metric": metric, "maildir": round(med["maildir"], 2),
                 "postgresql": round(med["postgresql"], 2), "failed": failed,
                 "postgresql_vs_maildir": round(med["postgresql"] / med["maildir"], 2) if med["maildir"] else None})
json.dump({"rounds": rounds, "rows": rows}, open(f"{results}/summary.json", "w"), indent=2)
with open(f"{results}/table.txt", "w") as t:
    t.write(f"{'run':<11} {'metric':<22} {'Maildir':>10} {'PostgreSQL':>11} {'PG/Maildir':>11} failed\n")
    for x in rows:
        t.write(f"{x['run']:<11} {x['metric']:<22} {x['maildir']:>10} {x['postgresql']:>11} "
                f"{x['postgresql_vs_maildir']:>11} {x['failed']['maildir']}/{x['failed']['postgresql']}\n")
print(open(f"{results}/table.txt").read())
EOF
log "results in $results"
