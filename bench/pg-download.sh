#!/usr/bin/env bash
# bench/pg-download.sh: the PostgreSQL store's download and login speed, A/B between builds of Postoffice, measured
# with the neutral C load generator (bench/popload/popload.c, gcc -O2), so that a change to the read path is judged
# with figures. One corpus (popload-compare.sh's "real" one: 50 users x 20 messages of 2-200 KB, 3 % with lines to
# byte-stuff) delivered with this checkout's `postoffice deliver`, copied with its `postoffice migrate
# --migrate-schema` into ONE database of a private PostgreSQL (bench/pg-cluster.sh: Debian's package, fsync on);
# every build serves that same database from its own node (own --data directory and port, popload-compare.sh's
# PostgreSQL node settings, the auth cache off). Each node is warmed up until its JIT settles; then in every round
# every scenario runs against every build, one run at a time, the order of the builds rotating each round, a
# CHECKPOINT before each run. Scenarios: download-2-real, download-16-real (popload download: STAT, LIST, RETR
# of every message, QUIT; 2 and 16 threads), login-2, login-16 (USER, PASS, STAT, QUIT).
#
#   bench/pg-download.sh [--rounds N (5)] [--duration S (5)] [--build DIR]...
#
#   --rounds N    rounds (default 5)
#   --duration S  seconds per run (default 5)
#   --build DIR   a checkout to measure (repeat for each; default: this one); each is built with
#                 `./postoffice --version` and its jar and lib/ copied aside at once, so a rebuild of the
#                 checkout during the benchmark does not change what runs. The first build is the baseline of
#                 the ratios. Every build must accept the schema this checkout migrates to (an older one that
#                 refuses it, or a newer one with migrations of its own, stops the script with the reason).
#
# Run from anywhere as root (PostgreSQL runs as its own user). Installs gcc, libssl-dev and postgresql with
# apt-get when missing. Results in bench/results/pg-download-<time>/: builds.txt (which build is which: git log -1,
# uncommitted changes, a checksum of its jars), runs.tsv (every run, warm-up included: throughput, latency, errors,
# the CPU seconds of the generator, of the node's JVM and of PostgreSQL's processes, wall seconds, load average),
# jit.tsv (the warm-up) and summary.md (per scenario and build: median, every round, CPU per MB or per login,
# the ratio to the first build by round).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds=5 duration=5 builds=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --build) builds+=("$(cd "$2" && pwd)"); shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pg-download.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((${#builds[@]})) || builds=("$root")
[[ $rounds =~ ^[1-9][0-9]*$ && $duration =~ ^[1-9][0-9]*$ ]] || { echo "pg-download.sh: --rounds and --duration take positive integers" >&2; exit 2; }

stamp=$(date +%Y%m%d-%H%M%S)
results="$root/bench/results/pg-download-$stamp" work="/tmp/postoffice-pgdownload-$stamp"
mkdir -p "$results/logs" "$work"
chmod 755 "$work"
ln -sfn "pg-download-$stamp" "$root/bench/results/pg-download-latest"
source "$root/bench/lib.sh" # log, die, stop_pid, free_port, wait_port, proc_ticks

# shellcheck source=bench/pg-cluster.sh
source "$root/bench/pg-cluster.sh"
node_pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${node_pids[@]}"; do stop_pid "$p"; done
  pg_cluster_stop
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what is needed ----
[[ $(id -u) == 0 ]] || die "run as root: PostgreSQL runs as its own user"
need_apt=()
command -v gcc >/dev/null || need_apt+=(gcc)
[[ -f /usr/include/openssl/ssl.h ]] || need_apt+=(libssl-dev)
command -v ss >/dev/null || need_apt+=(iproute2)
command -v python3 >/dev/null || need_apt+=(python3)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
pg_cluster_install || die "cannot install postgresql"
ulimit -n "$(ulimit -Hn)"
# shellcheck source=scripts/find-java.sh
source "$root/scripts/find-java.sh"
JAVA=$(find_java) || die "needs a JDK 21 or newer"
jstat_bin="$(dirname "$JAVA")/jstat"
read -r -a java_opts <<<"${POSTOFFICE_JAVA_OPTS:-}"

# ---- build: the C generator, every build's application (copied aside at once) ----
bin="$root/target/bench-c"
mkdir -p "$bin"
log "building popload (gcc -O2) into $bin"
gcc -O2 -pthread -o "$bin/popload.$$" "$root/bench/popload/popload.c" -lssl -lcrypto || die "popload does not build"
mv -f "$bin/popload.$$" "$bin/popload" # a rename: another benchmark may be running the old one
snapshot() { # snapshot CHECKOUT DIR: builds CHECKOUT, copies its jar and lib/ into DIR, prints a line for builds.txt
  local b=$1 dir=$2 head dirty sum
  (cd "$b" && ./postoffice --version) >>"$results/logs/build.log" 2>&1 \
    || { tail -n 20 "$results/logs/build.log" >&2; die "$b does not build (see $results/logs/build.log)"; }
  mkdir -p "$dir"
  cp -r "$b/postoffice-app/target/postoffice.jar" "$b/postoffice-app/target/lib" "$dir/"
  head=$(git -C "$b" log -1 --format='%h %ad %s' --date=short 2>/dev/null || echo '?')
  dirty=$(GIT_OPTIONAL_LOCKS=0 git -C "$b" status --porcelain --untracked-files=no 2>/dev/null | wc -l)
  sum=$(cat "$dir/postoffice.jar" "$dir"/lib/postoffice-*.jar | sha256sum | cut -c1-12) # the project's own jars
  echo "$b ($head; $( ((dirty)) && echo "$dirty files changed, uncommitted" || echo "no uncommitted changes"); jars $sum)"
}
java_cmd=("$JAVA" --enable-native-access=ALL-UNNAMED "${java_opts[@]}") # as ./postoffice runs it
log "building $root (it delivers and migrates the mail)"
snapshot "$root" "$work/app" >/dev/null
: >"$results/builds.txt"
for i in "${!builds[@]}"; do
  log "building ${builds[$i]}"
  line=$(snapshot "${builds[$i]}" "$work/build$i") || exit 1
  echo "build$i: $line" >>"$results/builds.txt"
done

# ---- mail: the "real" corpus of popload-compare.sh, delivered into Maildir, migrated into PostgreSQL ----
maildir="$work/maildir" c="$work/corpus-real"
mkdir -p "$maildir"
"$JAVA" -cp "$work/app/postoffice.jar" dev.postoffice.bench.Corpus --out "$c" --users 50 --messages 20 --pool 200 \
  --max-size 200000 --big-mb 0 --many 0 --idle-users 0 --dotted-percent 3 >"$results/logs/corpus.log" 2>&1 \
  || die "the corpus writer failed (see $results/logs/corpus.log)"
sed -i "s/^user/real/" "$c/manifest" "$c/users-mail"
awk '{print $1 ":{PLAIN}" $2}' "$c/users-mail" >"$maildir/users"
log "delivering the corpus ($(grep -vc '^#' "$c/manifest") users) with this checkout's postoffice deliver"
export JAVA c maildir
export DELIVER_JAR="$work/app/postoffice.jar"
# shellcheck disable=SC2016 # expanded by the inner bash
grep -v '^#' "$c/manifest" | tr '\t' ' ' \
  | xargs -P 2 -L 1 bash -c 'cd "$c" && "$JAVA" --enable-native-access=ALL-UNNAMED -jar "$DELIVER_JAR" deliver --data "$maildir" --user "$0" "$@"' \
  >"$results/logs/deliver.log" 2>&1 || die "postoffice deliver failed (see $results/logs/deliver.log)"
n_msgs=$(find "$maildir/home" -path '*/Maildir/new/*' -type f | wc -l)
mb_corpus=$(find "$maildir/home" -path '*/Maildir/new/*' -type f -printf '%s\n' | awk '{s += $1} END {printf "%.1f", s / 1e6}')
log "PostgreSQL: a private cluster, the mail migrated with this checkout's postoffice migrate --migrate-schema"
pg_cluster_start "$work" "$results/logs/initdb.log" 27432
pg_psql -c "CREATE DATABASE postoffice OWNER postoffice"
PG_URL="postgresql://127.0.0.1:$PG_PORT/postoffice?user=postoffice&pool=20"
"${java_cmd[@]}" -jar "$work/app/postoffice.jar" migrate --from "maildir:$maildir" --to "$PG_URL" --migrate-schema >"$results/logs/migrate.log" 2>&1 \
  || die "postoffice migrate failed (see $results/logs/migrate.log)"
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
log "  $n_msgs messages, $mb_corpus MB, PostgreSQL $PG_VERSION on $PG_PORT"

# ---- nodes: one per build, the same database ----
conf="$work/postoffice-pg.conf"
printf 'max-connections = 100000\nmax-connections-per-address = 100000\nmax-connections-per-user = 100\nauth-cache-ttl = 0\npop3s = off\n' >"$conf"
ports=() next=24110
for i in "${!builds[@]}"; do
  port=$(free_port "$next") && next=$((port + 1))
  mkdir -p "$work/node$i"
  "${java_cmd[@]}" -jar "$work/build$i/postoffice.jar" serve --data "$work/node$i" --store "$PG_URL" --pop3 "127.0.0.1:$port" --config "$conf" \
    >"$results/logs/node$i.log" 2>&1 &
  node_pids+=($!) ports+=("$port")
  if ! wait_port "$port" "${node_pids[$i]}"; then
    why=$(grep -m1 -o 'schema version.*' "$results/logs/node$i.log" || true)
    [[ -n $why ]] && die "build$i (${builds[$i]}) refuses the schema this checkout migrated the database to: $why"
    die "the node of build$i (${builds[$i]}) did not start (see $results/logs/node$i.log)"
  fi
  log "build$i: node on $port (${builds[$i]})"
done

# ---- runs ----
pg_ticks() { # the postmaster (with its reaped children) and its live processes
  local pm; pm=$(head -n1 "$PG_DATA/postmaster.pid")
  # shellcheck disable=SC2046 # one pid a word
  proc_ticks "$pm" $(pgrep -P "$pm")
}
HZ=$(getconf CLK_TCK) NCPU=$(nproc)
printf 'round\tscenario\tbuild\tsessions_s\tmb_s\terrors\tp50_ms\tp99_ms\tsessions\tgen_cpu_s\tnode_cpu_s\tpg_cpu_s\twall_s\tload1\n' \
  >"$results/runs.tsv"
SCENARIOS=( # name mode threads
  "download-2-real download 2"
  "download-16-real download 16"
  "login-2 login 2"
  "login-16 login 16"
)
last="" # the last run's result line
run() { # run ROUND NAME MODE THREADS BUILD SECONDS
  local round=$1 name=$2 mode=$3 threads=$4 i=$5 secs=$6 load n0 n1 p0 p1 start out gen ss mb err p50 p99 total
  [[ $round == warm ]] || pg_psql -c CHECKPOINT # its writes now rather than during the run
  load=$(cut -d' ' -f1 /proc/loadavg)
  n0=$(proc_ticks "${node_pids[$i]}") p0=$(pg_ticks) start=$(date +%s.%N)
  out=$( { TIMEFORMAT='%U %S'; time "$bin/popload" 127.0.0.1 "${ports[$i]}" "$c/users-mail" "$threads" "$secs" "$mode" 2>&1; } 2>&1 ) || true
  n1=$(proc_ticks "${node_pids[$i]}") p1=$(pg_ticks)
  gen=$(tail -n1 <<<"$out" | awk '{print $1 + $2}')
  # popload: sessions/s X MB/s Y errors E p50_ms A p99_ms B sessions N
  read -r _ ss _ mb _ err _ p50 _ p99 _ total <<<"$(grep '^sessions/s' <<<"$out" || echo 'x 0 x 0 x -1 x 0 x 0 x 0')"
  [[ $err == -1 ]] && printf '%s\n' "$out" >>"$results/logs/popload-failures.log"
  last="$ss sessions/s, $mb MB/s, errors $err"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "build$i" "$ss" "$mb" "$err" "$p50" "$p99" \
    "$total" "$gen" "$(awk -v a="$n0" -v b="$n1" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')" \
    "$(awk -v a="$p0" -v b="$p1" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')" \
    "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')" "$load" >>"$results/runs.tsv"
  [[ $round == warm ]] || log "  $name build$i: $last (load $load)"
  sleep 1
}

# Warm-up, as popload-compare.sh: a first pass of download and login load, then more of it until a repetition
# compiles fewer than 20 methods (jstat), at most 8 repetitions (a fresh JVM runs far below speed for its first
# minutes; PostgreSQL's cache and the pools' prepared statements warm up on the way).
compiled() { "$jstat_bin" -compiler "$1" 2>/dev/null | awk 'NR == 2 {print $1}'; }
printf 'build\trepetition\tcompiled_before\tcompiled_after\n' >"$results/jit.tsv"
for i in "${!builds[@]}"; do
  log "warm-up of build$i"
  run warm warm download 4 "$i" 5
  [[ $last == 0.0\ * ]] && die "build$i downloads nothing: $last (see $results/logs/node$i.log)"
  [[ $last == *"errors 0" ]] || log "  build$i's first download: $last (see $results/logs/node$i.log)"
  run warm warm login 4 "$i" 10
  pid=${node_pids[$i]}
  [[ -n $(compiled "$pid") ]] || { log "  jstat sees no JIT counters for build$i: no JIT repetitions"; continue; }
  for rep in $(seq 8); do
    before=$(compiled "$pid")
    run warm warm download 16 "$i" 5
    run warm warm download 2 "$i" 5
    run warm warm login 16 "$i" 5
    after=$(compiled "$pid")
    printf 'build%s\t%s\t%s\t%s\n' "$i" "$rep" "$before" "$after" >>"$results/jit.tsv"
    log "  build$i: JIT warm-up $rep, $before -> $after methods compiled"
    ((after - before < 20)) && break
  done
done

n=${#builds[@]}
for round in $(seq "$rounds"); do
  log "round $round of $rounds"
  for s in "${SCENARIOS[@]}"; do
    read -r name mode threads <<<"$s"
    for k in $(seq 0 $((n - 1))); do
      run "$round" "$name" "$mode" "$threads" $(((k + round - 1) % n)) "$duration"
    done
  done
done

# ---- report ----
python3 - "$results/runs.tsv" "$results/builds.txt" "$NCPU" "$rounds" "$duration" "$n_msgs" "$mb_corpus" "$PG_VERSION" \
  >"$results/summary.md" <<'EOF'
import csv, statistics, sys
runs, builds_txt, ncpu, nrounds, duration, n_msgs, mb_corpus, pg_version = sys.argv[1:9]
ncpu = int(ncpu)
rows = [r for r in csv.DictReader(open(runs), delimiter='\t') if r['round'] != 'warm']
builds = [l.split(':', 1)[0] for l in open(builds_txt).read().splitlines() if l.strip()]
order = list(dict.fromkeys(r['scenario'] for r in rows))
by = {}
for r in rows:
    by.setdefault((r['scenario'], r['build']), []).append(r)
def fmt(v):
    return '-' if v is None else (f'{v:,.0f}' if abs(v) >= 100 else f'{v:.1f}' if abs(v) >= 10 else f'{v:.2f}')
def units(r, download):  # MB downloaded, or logins (sessions), in the run
    ss, mb, n = float(r['sessions_s']), float(r['mb_s']), float(r['sessions'])
    return (mb * n / ss if ss > 0 else 0.0) if download else n
def per(r, key, download):  # CPU milliseconds per MB or per login
    u = units(r, download)
    return float(r[key]) * 1000 / u if u > 0 else None
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

print(f"# PostgreSQL store: download and login, {len(builds)} build(s)\n")
print(f"{nrounds} round(s) of {duration} s per run, builds alternating; popload (C) on the same machine ({ncpu} cores); "
      f"one database ({n_msgs} messages, {mb_corpus} MB: 50 users x 20 messages of 2-200 KB, 3 % dotted) in "
      f"PostgreSQL {pg_version} (fsync on), served by every build's node in turn.\n")
print('Builds:\n')
for l in open(builds_txt).read().splitlines():
    if l.strip():
        print(f'- {l}')
print('\nThroughput: MB/s (download) or logins/s (login). Ratio: the build over build0, of the medians, then round by '
      'round (the same minute of the machine). CPU: milliseconds per MB downloaded, or per login, median over the rounds, '
      'of the node\'s JVM and of PostgreSQL\'s processes. Generator: popload\'s share of the machine\'s cores.\n')
print('| scenario | build | metric | median | rounds | / build0 (median; by round) | node CPU | PG CPU | node+PG CPU | '
      'p50 / p99 ms | generator | errors | load avg |')
print('|---|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|')
total_errors = 0
for s in order:
    download = 'download' in s
    key, metric = ('mb_s', 'MB/s') if download else ('sessions_s', 'logins/s')
    unit = 'ms/MB' if download else 'ms/login'
    base = {r['round']: float(r[key]) for r in by.get((s, 'build0'), [])}
    base_med = med(base.values())
    for b in builds:
        rs = sorted(by.get((s, b), []), key=lambda r: int(r['round']))
        if not rs:
            continue
        v = med(float(r[key]) for r in rs)
        if b == 'build0' or not base_med:
            ratio = '-'
        else:
            rr = [float(r[key]) / base[r['round']] for r in rs if base.get(r['round'])]
            ratio = f"{v / base_med:.3f}x; " + ', '.join(f'{x:.3f}' for x in rr)
        node, pg = med(per(r, 'node_cpu_s', download) for r in rs), med(per(r, 'pg_cpu_s', download) for r in rs)
        both = med((per(r, 'node_cpu_s', download) or 0) + (per(r, 'pg_cpu_s', download) or 0) for r in rs)
        gen = med(100 * float(r['gen_cpu_s']) / float(r['wall_s']) / ncpu for r in rs)
        errors = sum(max(int(r['errors']), 0) for r in rs)
        failed = sum(1 for r in rs if int(r['errors']) < 0)
        total_errors += errors + failed
        loads = [float(r['load1']) for r in rs]
        print(f"| {s} | {b} | {metric} | {fmt(v)} | {', '.join(fmt(float(r[key])) for r in rs)} | {ratio} | "
              f"{fmt(node)} {unit} | {fmt(pg)} {unit} | {fmt(both)} {unit} | "
              f"{med(float(r['p50_ms']) for r in rs):.2f} / {med(float(r['p99_ms']) for r in rs):.2f} | {gen:.0f} % | "
              f"{errors}{f' ({failed} runs failed)' if failed else ''} | {min(loads):.1f}-{max(loads):.1f} |")
print()
print('No errors.' if total_errors == 0 else f'**{total_errors} errors** (runs.tsv; a run with errors -1 failed: logs/popload-failures.log).')
EOF
cat "$results/summary.md"
log "results in $results (runs.tsv, summary.md, builds.txt, jit.tsv, logs/)"
