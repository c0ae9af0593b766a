#!/usr/bin/env bash
# bench/compare.sh: Postoffice, Dovecot (fast process-reuse mode) and the ceiling responder side by side,
# on loopback, with the same mailboxes, users and password scheme; then the Postoffice-only targets.
#
#   bench/compare.sh [--quick] [--rounds N] [--duration S] [--scheme S] [--profile] [--keep]
#   bench/compare.sh --lmtp [OPTIONS]   LMTP deliveries/s against Dovecot's LMTP instead (bench/lmtp-compare.sh)
#   bench/compare.sh --popload [OPTIONS]  download, login and TLS with the neutral C generator (bench/popload-compare.sh):
#                the figures to quote against a ceiling, since this script's Java generator is itself the limit
#                of its download ceiling
#
#   --quick      a small corpus (40 users x 10 messages, a 10 MB message) and short runs: a few minutes
#   --rounds N   rounds of every scenario against every server, alternating (default 3; 1 with --quick)
#   --duration S measured seconds per run (default 10; 6 with --quick)
#   --scheme S   password scheme of every user on both servers: SHA512-CRYPT (default) or PLAIN (to see
#                what a login costs besides hashing)
#   --profile    also record a JFR profile of Postoffice under login, download and mixed load
#   --keep       keep the working directory (mail, users) instead of deleting it; run again with
#                BENCH_WORK=that-directory to skip writing and delivering the mail
#
# Run from the repository root as root (Dovecot runs as a service user, installed with apt-get if
# missing). Results: bench/results/<time>/ with summary.md (printed at the end), summary.json,
# summary.png, every run's JSON and PNG, and the servers' logs. Every server started here is stopped
# on exit, also on failure or Ctrl-C.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ ${1:-} == --lmtp ]] && exec "$root/bench/lmtp-compare.sh" "${@:2}"
[[ ${1:-} == --popload ]] && exec "$root/bench/popload-compare.sh" "${@:2}"
dovecot_sh="${POSTOFFICE_SHARED:-$root/../shared}/bench/dovecot.sh"

quick=0 rounds="" duration="" profile=0 keep=0 SCHEME=SHA512-CRYPT
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) quick=1 ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --scheme) SCHEME=$2; shift ;;
    --profile) profile=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ---- sizes of the run ----
# SHA512-CRYPT: verified by both servers (Dovecot through glibc crypt, Postoffice in Java), about 2 ms of CPU
# per login in both. ARGON2ID costs Postoffice ~250 ms per login and would measure nothing but hashing.
[[ $SCHEME == SHA512-CRYPT || $SCHEME == PLAIN ]] || { echo "compare.sh: --scheme is SHA512-CRYPT or PLAIN" >&2; exit 2; }
if ((quick)); then
  rounds=${rounds:-1} duration=${duration:-6} warmup=3
  corpus_args=(--users 40 --messages 10 --pool 80 --big-mb 10 --many 10000 --idle-users 10000)
  idle_hold=15
else
  rounds=${rounds:-3} duration=${duration:-10} warmup=5
  corpus_args=(--users 200 --messages 50 --pool 500 --big-mb 50 --many 10000 --idle-users 10000)
  idle_hold=30
fi
LOGIN_CLIENTS=32 DOWNLOAD_CLIENTS=16 MIXED_CLIENTS=32
HELD=1000 STAT_INTERVAL=1 IDLE_INTERVAL=10 IDLE_TARGET=10000

stamp=$(date +%Y%m%d-%H%M%S)$( ((quick)) && echo -quick || true)
results="$root/bench/results/$stamp"
work="${BENCH_WORK:-/tmp/postoffice-bench-$stamp}"
[[ -n ${BENCH_WORK:-} ]] && keep=1  # a directory given to be reused is never deleted
mkdir -p "$results"/{runs,targets,charts,logs,cpu} "$work"
chmod 755 "$work"  # Dovecot's service user must reach its directory below
ln -sfn "$stamp" "$root/bench/results/latest"

source "$root/bench/lib.sh" # log, die, stop_pid, free_port, wait_port, proc_ticks

# ---- cleanup: every server started here goes, whatever happens ----
po_pid="" ce_pid="" bg_pid="" dc_dir="$work/dovecot"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $bg_pid ]] && stop_pid "$bg_pid"
  [[ -n $po_pid ]] && stop_pid "$po_pid"
  [[ -n $ce_pid ]] && stop_pid "$ce_pid"
  [[ -f $dc_dir/dovecot.pid ]] && "$dovecot_sh" stop "$dc_dir" || true
  if ((keep)); then log "working directory kept: $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what is needed ----
[[ -x $dovecot_sh ]] || die "$dovecot_sh is missing (set POSTOFFICE_SHARED to the shared/ directory)"
[[ $(id -u) == 0 ]] || die "run as root: Dovecot needs its service user and a chown of its directory"
need_apt=()
# dovecot-core alone has no POP3 service: check for the package itself
dpkg-query -W -f='${Status}' dovecot-pop3d 2>/dev/null | grep -q 'install ok installed' || need_apt+=(dovecot-pop3d)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v ss >/dev/null || need_apt+=(iproute2)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
ulimit -n "$(ulimit -Hn)"
# Postoffice holds one descriptor per session (the socket; the maildrop's lock file is not kept open)
(( $(ulimit -n) >= IDLE_TARGET + 100 )) || log "warning: the open-files limit is $(ulimit -n) (hard $(ulimit -Hn));" \
  "Postoffice needs one per session, so the $IDLE_TARGET-session idle target will fail near $(( $(ulimit -n) - 100 )) sessions"

# shellcheck source=scripts/find-java.sh
source "$root/scripts/find-java.sh"  # find_java: the newest JDK 21+, as ./postoffice finds it
JAVA=$(find_java) || die "needs a JDK 21 or newer"
JCMD="$(dirname "$JAVA")/jcmd"

# ---- build: the application (launcher) and the bench module's classpath ----
log "building (logs in $results/logs/build.log)"
./postoffice --version >"$results/logs/build.log" 2>&1 || { tail -20 "$results/logs/build.log" >&2; die "the application does not build"; }
mvn_cp=(-B -q -pl postoffice-bench -am package -DskipTests dependency:build-classpath
        -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/bench.classpath")
./mvnw -o "${mvn_cp[@]}" >>"$results/logs/build.log" 2>&1 || ./mvnw "${mvn_cp[@]}" >>"$results/logs/build.log" 2>&1 \
  || { tail -20 "$results/logs/build.log" >&2; die "the bench module does not build"; }
CP="$root/postoffice-bench/target/classes:$(cat "$work/bench.classpath")"
export POSTOFFICE_NO_BUILD=1  # from here on, edits in the tree must not trigger rebuilds mid-run
bench_java() { "$JAVA" -cp "$CP" "$@"; }

# The load generator, in one place: `postoffice bench` once the command is wired into the application,
# the bench module's own main until then. Same code either way.
if ./postoffice --help 2>/dev/null | grep -qE '^ +bench( |$)'; then GEN_VIA=launcher; else GEN_VIA=classpath; fi
generator() {
  if [[ $GEN_VIA == launcher ]]; then POSTOFFICE_JAVA_OPTS= ./postoffice bench "$@"
  else bench_java dev.postoffice.bench.BenchCommand "$@"; fi
}
log "load generator: $([[ $GEN_VIA == launcher ]] && echo './postoffice bench' || echo 'java -cp ... dev.postoffice.bench.BenchCommand')"

# ---- mail: one corpus, delivered to Postoffice, hard-linked into Dovecot's Maildirs ----
corpus="$work/corpus" po_data="$work/postoffice" dc_mail="$dc_dir/mail"
setup_id="${corpus_args[*]} $SCHEME"
if [[ -f $work/ready && $(cat "$work/ready") == "$setup_id" ]]; then
  log "reusing the mail and users in $work"
else
  log "writing the corpus"
  bench_java dev.postoffice.bench.Corpus --out "$corpus" "${corpus_args[@]}" | tee "$work/corpus.txt" >&2
  mkdir -p "$po_data" "$dc_mail"

  log "password entries ($SCHEME)"
  # users-mail and users-many: one password each; users-idle: one shared password, so one hash
  cat "$corpus/users-mail" "$corpus/users-many" >"$work/users-with-mail"
  if [[ $SCHEME == PLAIN ]]; then
    cut -d' ' -f2- "$work/users-with-mail" >"$work/hashes"
    idle_hash=$(head -n1 "$corpus/users-idle" | cut -d' ' -f2-)
  else
    cut -d' ' -f2- "$work/users-with-mail" | openssl passwd -6 -stdin >"$work/hashes"
    idle_hash=$(head -n1 "$corpus/users-idle" | cut -d' ' -f2- | openssl passwd -6 -stdin)
  fi
  {
    paste -d' ' <(cut -d' ' -f1 "$work/users-with-mail") "$work/hashes"
    cut -d' ' -f1 "$corpus/users-idle" | sed "s|\$| $idle_hash|"
  } >"$work/user-hashes"
  # Postoffice: name:{SCHEME}hash (Maildir under DATA/home/NAME); Dovecot: the same hash, home in its tree
  awk -v s="$SCHEME" '{print $1 ":{" s "}" $2}' "$work/user-hashes" >"$po_data/users"
  awk -v s="$SCHEME" -v d="$dc_mail" '{print $1 ":{" s "}" $2 ":0:0::" d "/" $1 "::"}' "$work/user-hashes" >"$dc_dir/users"

  log "delivering with ./postoffice deliver (fsync per message; the user 'many' takes longest)"
  export corpus po_data root
  grep -v '^#' "$corpus/manifest" | awk -F'\t' '$1 == "many"' >"$work/manifest-many"
  grep -v '^#' "$corpus/manifest" | awk -F'\t' '$1 != "many"' >"$work/manifest-rest"
  started=$SECONDS
  # the big user alone in the background; the others four at a time (fsync-bound, not CPU-bound)
  (tr '\t' ' ' <"$work/manifest-many" | while read -r user files; do cd "$corpus" && "$root/postoffice" deliver --data "$po_data" --user "$user" $files; done) &
  many_job=$!
  tr '\t' ' ' <"$work/manifest-rest" | xargs -P 4 -L 1 bash -c 'cd "$corpus" && "$root/postoffice" deliver --data "$po_data" --user "$0" "$@"'
  wait "$many_job" || die "delivery to the user 'many' failed"
  log "delivered in $((SECONDS - started)) s"

  # Dovecot gets hard links to the very files Postoffice stored (Dovecot renames its links into cur/)
  cut -f1 "$work/manifest-rest" "$work/manifest-many" | while read -r user; do
    mkdir -p "$dc_mail/$user/Maildir"/{new,cur,tmp}
    find "$po_data/home/$user/Maildir/new" -type f -exec cp -l -t "$dc_mail/$user/Maildir/new/" {} +
  done
  # idle users: empty Maildirs on both sides, so that no first login pays for creating them
  cut -d' ' -f1 "$corpus/users-idle" | awk -v p="$po_data/home" -v d="$dc_mail" \
    '{for (i = 1; i <= 3; i++) { x = (i == 1 ? "new" : i == 2 ? "cur" : "tmp"); print p "/" $1 "/Maildir/" x; print d "/" $1 "/Maildir/" x }}' \
    | xargs mkdir -p
  du -sh "$po_data" >&2
  echo "$setup_id" >"$work/ready"
fi
cp "$work/corpus.txt" "$results/logs/corpus.txt"

# ---- servers ----
PO_PORT=$(free_port 21110); DC_PORT=$(free_port $((PO_PORT + 1))); CE_PORT=$(free_port $((DC_PORT + 1)))
declare -A PORT=([postoffice]=$PO_PORT [dovecot]=$DC_PORT [ceiling]=$CE_PORT)

# Postoffice's abuse limits count connections per client address, and every benchmark connection comes
# from 127.0.0.1: lift them, as dovecot.sh lifts Dovecot's (mail_max_userip_connections, client limits).
# No implicit-TLS listener: it would bind 0.0.0.0:995.
printf 'max-connections = 100000\nmax-connections-per-address = 100000\npop3s = off\n' >"$work/postoffice.conf"
start_postoffice() { # start_postoffice LOGNAME [JVM options]
  POSTOFFICE_JAVA_OPTS="${2:-}" ./postoffice serve --data "$po_data" --pop3 "127.0.0.1:$PO_PORT" \
    --config "$work/postoffice.conf" >"$results/logs/$1.log" 2>&1 &
  po_pid=$!
  wait_port "$PO_PORT" || die "Postoffice did not start (see $results/logs/$1.log)"
}
stop_postoffice() { stop_pid "$po_pid"; po_pid=""; }

log "starting Postoffice on $PO_PORT, Dovecot (fast mode) on $DC_PORT, the ceiling on $CE_PORT"
start_postoffice postoffice
"$dovecot_sh" start "$dc_dir" "$DC_PORT" fast >/dev/null
wait_port "$DC_PORT" || die "Dovecot did not start (see $dc_dir/dovecot.log)"
# dovecot.sh starts Dovecot through su, whose PAM session sets the soft open-files limit to 1024: too few
# for the auth process once 1000 pop3 processes are connected to it ("net_accept() failed: Too many open
# files", then logins hang). Raise the soft limit to the hard one in the running processes (as their own
# user: no capability needed); the master passes it on to the processes it starts later.
for p in $(pgrep -u popsrv); do
  runuser -u popsrv -- prlimit --pid "$p" --nofile="$(ulimit -Hn):$(ulimit -Hn)" 2>/dev/null || true
done
"$JAVA" -cp "$CP" dev.postoffice.bench.CeilingServer --port "$CE_PORT" --manifest "$corpus/manifest" >"$results/logs/ceiling.log" 2>&1 &
ce_pid=$!  # the JVM itself (a function or subshell here would leave the JVM behind at cleanup)
wait_port "$CE_PORT" || die "the ceiling did not start"

# ---- runs ----
server_ticks() {
  case $1 in
    postoffice) proc_ticks "$po_pid" ;;
    ceiling) proc_ticks "$ce_pid" ;;
    dovecot) proc_ticks $(pgrep -u popsrv) ;;  # master (with the children it reaped), auth, login and pop3 processes
  esac
}
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }  # busy: all but idle and iowait
HZ=$(getconf CLK_TCK)
run() { # run SERVER SCENARIO NAME [generator options]: one measured run, JSON in runs/ or targets/
  local server=$1 scenario=$2 name=$3; shift 3
  local json="$results/$name.json" out="$results/logs/${name//\//-}.txt" t0 t1 m0 m1 start gen
  t0=$(server_ticks "$server") m0=$(machine_ticks) start=$(date +%s.%N)
  if ! { TIMEFORMAT='%U %S'; time generator --host 127.0.0.1 --port "${PORT[$server]}" --label "$server" --scenario "$scenario" \
      --json "$json" --chart "$results/charts/${name##*/}.png" "$@" >"$out" 2>"$out.progress"; } 2>"$out.time"; then
    log "  $name: the generator reported a failure (see $out)"
  fi
  t1=$(server_ticks "$server") m1=$(machine_ticks)
  gen=$(awk '{print $1 + $2}' "$out.time" 2>/dev/null || echo null)
  # CPU seconds of the server, of the generator, and of the whole machine (the rest is other work)
  printf '{"server": "%s", "server_cpu_s": %s, "generator_cpu_s": %s, "machine_busy_s": %s, "cores": %s, "wall_s": %s}\n' \
    "$server" "$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')" "${gen:-null}" \
    "$(awk -v a="$m0" -v b="$m1" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')" "$(nproc)" \
    "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')" >"$results/cpu/${name//\//-}.json"
  printf '%s  %-10s %-9s %s | %s\n' "$(date +%H:%M:%S)" "$server" "$scenario" \
    "$(sed -n 's/^  sessions *\([0-9,]*\) *\([0-9.,]*\/s\).*failed \([0-9]*\)/\2 sessions (failed \3)/p' "$out")" \
    "$(sed -n 's/^  received.* \([0-9.,]* MB\/s\).*/\1/p; s/^  held *\(.*\)/\1/p; s/^  errors *\(.*\)/errors: \1/p' "$out" | paste -sd' ')" >&2
  sleep 2  # let the server settle (closing sessions, TIME_WAIT) before the next run
}
scenario_args() { # the options of each scenario
  case $1 in
    login) echo "--users $corpus/users-mail --concurrency $LOGIN_CLIENTS --duration $duration --warmup $warmup" ;;
    download) echo "--users $corpus/users-mail --concurrency $DOWNLOAD_CLIENTS --duration $duration --warmup $warmup" ;;
    mixed) echo "--users $corpus/users-mail --concurrency $MIXED_CLIENTS --duration $duration --warmup $warmup" ;;
    stat) echo "--users $corpus/users-idle --concurrency $HELD --interval $STAT_INTERVAL --duration $duration" ;;
    idle) echo "--users $corpus/users-idle --concurrency $HELD --interval $IDLE_INTERVAL --duration $duration" ;;
  esac
}

users_mail=$(wc -l <"$corpus/users-mail")
log "warm-up: every maildrop downloaded once per server (page cache, Dovecot's indexes, JIT)"
for server in postoffice dovecot ceiling; do
  run "$server" download "logs/warmup-download-$server" --users "$corpus/users-mail" --concurrency 8 --sessions "$users_mail" --duration 10m
  run "$server" login "logs/warmup-many-$server" --users "$corpus/users-many" --concurrency 1 --sessions 3 --duration 10m
done
rm -f "$results"/logs/warmup-*.json "$results"/charts/warmup-*.png

servers=(postoffice dovecot ceiling)
for round in $(seq "$rounds"); do
  log "round $round of $rounds"
  for scenario in login download mixed stat idle; do
    for i in 0 1 2; do  # a different server goes first in each round
      server=${servers[$(( (i + round - 1) % 3 ))]}
      # shellcheck disable=SC2046
      run "$server" "$scenario" "runs/$scenario-$server-r$round" $(scenario_args "$scenario")
    done
  done
done

log "target: login to STAT reply on a 10,000-message maildrop, one client"
for server in postoffice dovecot ceiling; do
  suffix=$([[ $server == postoffice ]] || echo "-$server")
  run "$server" login "targets/many$suffix" --users "$corpus/users-many" --concurrency 1 --duration "$duration" --warmup "$warmup"
done

log "target: $IDLE_TARGET idle sessions on Postoffice with -Xmx512m"
stop_postoffice
start_postoffice postoffice-idle "-Xmx512m -Xlog:gc:file=$results/logs/postoffice-idle-gc.log"
measure_heap() { # waits until the sessions are held (the generator's progress line says "hold"), then
  # writes the heap in use before and after a full GC, and the resident size, to targets/heap.json
  local progress="$results/logs/targets-idle.txt.progress" before after rss established
  for _ in $(seq 2400); do
    grep -q 'idle hold\]' "$progress" 2>/dev/null && break
    sleep 0.25
  done
  sleep 3
  before=$(heap_used); "$JCMD" "$po_pid" GC.run >/dev/null 2>&1 || true; after=$(heap_used)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$po_pid/status")
  established=$(ss -Htn state established "( sport = :$PO_PORT )" | wc -l)
  printf '{"sessions_established_when_measured": %s, "heap_used_before_gc_mb": %s, "heap_used_after_gc_mb": %s, "heap_max_mb": 512, "rss_mb": %s}\n' \
    "$established" "$(( ${before:-0} / 1024 ))" "$(( ${after:-0} / 1024 ))" "$(( ${rss:-0} / 1024 ))" >"$results/targets/heap.json"
  log "  heap with $established sessions open: $(( ${before:-0} / 1024 )) MB in use, $(( ${after:-0} / 1024 )) MB after a full GC, RSS $(( ${rss:-0} / 1024 )) MB"
}
heap_used() { "$JCMD" "$po_pid" GC.heap_info 2>/dev/null | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -n1; }
measure_heap &
bg_pid=$!
run postoffice idle "targets/idle" --users "$corpus/users-idle" --concurrency "$IDLE_TARGET" --interval 30 \
  --duration "$idle_hold" --ramp 64
wait "$bg_pid" || true
bg_pid=""
stop_postoffice

if ((profile)); then
  log "profile: Postoffice under login, download and mixed load with JFR"
  mkdir -p "$results/profile"
  start_postoffice postoffice-profile "-XX:StartFlightRecording=filename=$results/profile/postoffice.jfr,settings=profile,dumponexit=true"
  for scenario in login download mixed; do
    # shellcheck disable=SC2046
    run postoffice "$scenario" "profile/$scenario" $(scenario_args "$scenario")
  done
  stop_postoffice
  JFR="$(dirname "$JAVA")/jfr"
  for view in hot-methods allocation-by-class gc; do
    "$JFR" view --width 160 "$view" "$results/profile/postoffice.jfr" >"$results/profile/$view.txt" 2>&1 || true
  done
  log "  profile summaries in $results/profile/"
fi

# ---- report ----
server_java=$("$JAVA" -version 2>&1 | head -n1)
cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
dovecot_version=$(dovecot --version 2>/dev/null || echo unknown)
commit=${BENCH_COMMIT:-}
[[ -n $commit ]] || commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- postoffice-*/src 2>/dev/null || echo "+uncommitted changes")
bench_java dev.postoffice.bench.CompareReport --results "$results" \
  --env "machine=$(nproc) cores ($cpu), $mem, $(uname -sr)" \
  --env "JDK=$server_java" \
  --env "Dovecot=$dovecot_version, fast mode (../shared/bench/dovecot.sh: login and pop3 processes reused)" \
  --env "Postoffice=commit $commit, default JVM options (idle target: -Xmx512m), connection limits per address lifted" \
  --env "password scheme=$SCHEME for every user on both servers" \
  --env "open files limit=$(ulimit -n) (Postoffice: one per session)" \
  --env "corpus=$(sed 's/^corpus: //; s/, in .*//' "$results/logs/corpus.txt")" \
  --env "runs=$rounds round(s) x ${duration}s measured after ${warmup}s warm-up; login $LOGIN_CLIENTS clients, download $DOWNLOAD_CLIENTS, mixed $MIXED_CLIENTS; stat and idle $HELD held sessions (STAT every ${STAT_INTERVAL}s, NOOP every ${IDLE_INTERVAL}s)" \
  | tee "$results/summary.txt"
log "results in $results (summary.md, summary.json, summary.png, runs/, targets/, charts/, logs/)"
