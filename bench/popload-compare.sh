#!/usr/bin/env bash
# bench/popload-compare.sh: Postoffice, Dovecot (fast mode, tuned read path) and two C ceiling responders that
# do no work: "ceiling" (bench/popload/popceiling.c, an extended copy of ../shared/bench/popceiling.c that keeps
# its threads and makes one system call per reply) and "ceiling-shared" (../shared/bench/popceiling.c itself, a
# thread per connection: the responder issue 18's targets were set against), measured with the neutral C load
# generator (bench/popload/popload.c, an extended copy of ../shared/bench/popload.c that adds STLS), all built
# here with gcc -O2, at low and
# high concurrency: cleartext login and download (a corpus with a realistic share of lines to byte-stuff, and
# today's dot-heavy one), and over implicit TLS (TLS 1.3, the same EC P-256 certificate for both servers):
# full-handshake logins, resumed-session logins, download MB/s; and the same over STLS on the cleartext port.
# Login at 32 threads is issue 18's own figure. Both servers check every password: Postoffice's auth cache is off
# (auth-cache-ttl = 0), as Dovecot's is by default.
#
#   bench/popload-compare.sh [--rounds N] [--duration S] [--pg] [--keep]  (also: bench/compare.sh --popload ...)
#
#   --rounds N    rounds of every scenario against every server, the order rotating each round (default 3)
#   --duration S  seconds per run (default 10)
#   --keep        keep the working directory; BENCH_WORK=DIR reuses its mail on the next run
#   --pg          also a Postoffice on the PostgreSQL store (a private Debian PostgreSQL, fsync on, the same mail
#                 copied with `postoffice migrate`) in the cleartext scenarios: a PostgreSQL column and PG/Maildir;
#                 and in the download scenarios PostgreSQL alone (bench/pgread/PgRead.java: one query per maildrop,
#                 no POP3), the store's own ceiling on these cores
#   POPLOAD_ONLY="login-2 download-2-real ..."  only these scenarios (names as in the summary)
#   POPLOAD_TLS_PROVIDERS="conscrypt bouncycastle"  also one Postoffice per TLS provider (tls-provider, the same
#                 mail), named postoffice-<provider>, in the TLS scenarios; summary.md gets a table of them
#
# Run from the repository root as root (Dovecot runs as a service user). Installs dovecot-pop3d, gcc and
# libssl-dev with apt-get when missing. Results in bench/results/popload-<time>/: runs.tsv (every run, with
# the load average at its start, the generator's and the server's CPU) and summary.md (medians, ratios).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${POSTOFFICE_SHARED:-$root/../shared}/bench"
rounds=3 duration=10 keep=0 pg=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --keep) keep=1 ;;
    --pg) pg=1 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "popload-compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

stamp=$(date +%Y%m%d-%H%M%S)
results="$root/bench/results/popload-$stamp"
work="${BENCH_WORK:-/tmp/postoffice-popload-$stamp}"
[[ -n ${BENCH_WORK:-} ]] && keep=1
mkdir -p "$results/logs" "$work"
chmod 755 "$work"
ln -sfn "popload-$stamp" "$root/bench/results/popload-latest"
source "$root/bench/lib.sh" # log, die, stop_pid, free_port, wait_port, proc_ticks

source "$root/bench/pg-cluster.sh"
po_pid="" ce_pids=() cs_pids=() dc_dir="$work/dovecot" pg_pid=""
declare -A x_pid=() x_port=() x_ports=() # the extra Postoffice servers, by TLS provider
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$po_pid"
  stop_pid "$pg_pid"
  for p in "${x_pid[@]}"; do stop_pid "$p"; done
  pg_cluster_stop
  for p in "${ce_pids[@]}" "${cs_pids[@]}"; do stop_pid "$p"; done
  [[ -f $dc_dir/dovecot.pid ]] && "$shared/dovecot.sh" stop "$dc_dir" || true
  if ((keep)); then log "working directory kept: $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what is needed ----
[[ -f $shared/popceiling.c && -x $shared/dovecot.sh ]] || die "$shared has no popceiling.c or dovecot.sh (set POSTOFFICE_SHARED)"
[[ $(id -u) == 0 ]] || die "run as root: Dovecot needs its service user and a chown of its directory"
need_apt=()
dpkg-query -W -f='${Status}' dovecot-pop3d 2>/dev/null | grep -q 'install ok installed' || need_apt+=(dovecot-pop3d)
command -v gcc >/dev/null || need_apt+=(gcc)
[[ -f /usr/include/openssl/ssl.h ]] || need_apt+=(libssl-dev)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v ss >/dev/null || need_apt+=(iproute2)
((pg)) && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && need_apt+=(postgresql)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
ulimit -n "$(ulimit -Hn)"
# shellcheck source=scripts/find-java.sh
source "$root/scripts/find-java.sh"
JAVA=$(find_java) || die "needs a JDK 21 or newer"

# ---- build: the C generator and ceiling, the application, the corpus writer ----
bin="$root/target/bench-c"
mkdir -p "$bin"
log "building popload and the two popceilings (gcc -O2) into $bin"
gcc -O2 -pthread -o "$bin/popload" "$root/bench/popload/popload.c" -lssl -lcrypto
gcc -O2 -pthread -o "$bin/popceiling" "$root/bench/popload/popceiling.c"
gcc -O2 -pthread -o "$bin/popceiling-shared" "$shared/popceiling.c"
log "building the application (log in $results/logs/build.log)"
./postoffice --version >"$results/logs/build.log" 2>&1 || die "the application does not build"
mvn_cp=(-B -q -pl postoffice-bench -am package -DskipTests dependency:build-classpath
        -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/bench.classpath")
./mvnw -o "${mvn_cp[@]}" >>"$results/logs/build.log" 2>&1 || die "the bench module does not build"
CP="$root/postoffice-bench/target/classes:$(cat "$work/bench.classpath")"
export POSTOFFICE_NO_BUILD=1

# ---- mail: two corpora of 50 users x 20 messages of 2-200 KB, plain passwords ----
# real: 3 % of the messages have lines starting with a dot; heavy: every text message has them (about one line
# in 40), as the corpus of bench/compare.sh. Users are real0001... and heavy0001...
po_data="$work/postoffice" dc_mail="$dc_dir/mail"
if [[ ! -f $work/ready ]]; then
  mkdir -p "$po_data" "$dc_mail"
  : >"$po_data/users"; : >"$dc_dir/users"
  for kind in real heavy; do
    pct=$([[ $kind == real ]] && echo 3 || echo 100)
    c="$work/corpus-$kind"
    "$JAVA" -cp "$CP" dev.postoffice.bench.Corpus --out "$c" --users 50 --messages 20 --pool 200 --max-size 200000 \
      --big-mb 0 --many 0 --idle-users 0 --dotted-percent "$pct" >&2
    sed -i "s/^user/$kind/" "$c/manifest" "$c/users-mail"
    awk '{print $1 ":{PLAIN}" $2}' "$c/users-mail" >>"$po_data/users"
    awk -v d="$dc_mail" '{print $1 ":{PLAIN}" $2 ":0:0::" d "/" $1 "::"}' "$c/users-mail" >>"$dc_dir/users"
    log "delivering the $kind corpus with ./postoffice deliver"
    export c po_data root
    grep -v '^#' "$c/manifest" | tr '\t' ' ' \
      | xargs -P 2 -L 1 bash -c 'cd "$c" && "$root/postoffice" deliver --data "$po_data" --user "$0" "$@"'
    cut -f1 "$c/manifest" | grep -v '^#' | while read -r user; do
      mkdir -p "$dc_mail/$user/Maildir"/{new,cur,tmp}
      find "$po_data/home/$user/Maildir/new" -type f -exec cp -l -t "$dc_mail/$user/Maildir/new/" {} +
    done
  done
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=localhost \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  touch "$work/ready"
fi
mean_size() { # the mean stored size of a corpus's messages (CRLF, as both servers send them before stuffing)
  find "$po_data/home" -path "*/$1*/Maildir/*" -type f -name '*,S=*' -printf '%s\n' | awk '{s += $1; n++} END {printf "%d", s / n}'
}

# ---- servers ----
PO=$(free_port 22110); POS=$(free_port $((PO + 1))); DC=$(free_port $((POS + 1))); DCS=$(free_port $((DC + 1)))
CER=$(free_port $((DCS + 1))); CEH=$(free_port $((CER + 1))); CSR=$(free_port $((CEH + 1))); CSH=$(free_port $((CSR + 1)))
printf 'max-connections = 100000\nmax-connections-per-address = 100000\nmax-connections-per-user = 100\nauth-cache-ttl = 0\n' >"$work/postoffice.conf"
POSTOFFICE_JAVA_OPTS="${POSTOFFICE_JAVA_OPTS:-}" ./postoffice serve --data "$po_data" --pop3 "127.0.0.1:$PO" --pop3s "127.0.0.1:$POS" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --config "$work/postoffice.conf" >"$results/logs/postoffice.log" 2>&1 &
po_pid=$!
wait_port "$PO" || die "Postoffice did not start (see $results/logs/postoffice.log)"
extras=() next=$((CSH + 1))
for tp in ${POPLOAD_TLS_PROVIDERS:-}; do
  x_port[$tp]=$(free_port "$next"); x_ports[$tp]=$(free_port $((x_port[$tp] + 1))); next=$((x_ports[$tp] + 1))
  { cat "$work/postoffice.conf"; echo "tls-provider = $tp"; } >"$work/postoffice-$tp.conf"
  POSTOFFICE_JAVA_OPTS="${POSTOFFICE_JAVA_OPTS:-}" ./postoffice serve --data "$po_data" --pop3 "127.0.0.1:${x_port[$tp]}" \
    --pop3s "127.0.0.1:${x_ports[$tp]}" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
    --config "$work/postoffice-$tp.conf" >"$results/logs/postoffice-$tp.log" 2>&1 &
  x_pid[$tp]=$!
  wait_port "${x_port[$tp]}" || die "Postoffice with tls-provider = $tp did not start (see $results/logs/postoffice-$tp.log)"
  extras+=("postoffice-$tp")
  log "Postoffice with tls-provider = $tp: ${x_port[$tp]} (POP3S ${x_ports[$tp]})"
done
DC_CERT="$work/cert.pem" DC_KEY="$work/key.pem" DC_TLSPORT=$DCS "$shared/dovecot.sh" start "$dc_dir" "$DC" fast >/dev/null
wait_port "$DC" || die "Dovecot did not start (see $dc_dir/dovecot.log)"
for p in $(pgrep -u popsrv); do runuser -u popsrv -- prlimit --pid "$p" --nofile="$(ulimit -Hn):$(ulimit -Hn)" 2>/dev/null || true; done
# the ceiling holds 20 messages of the corpus's mean size: the same octets and RETRs per session
MEAN_REAL=$(mean_size real) MEAN_HEAVY=$(mean_size heavy)
"$bin/popceiling" "$CER" 20 "$MEAN_REAL" >"$results/logs/ceiling-real.log" 2>&1 & ce_pids+=($!)
"$bin/popceiling" "$CEH" 20 "$MEAN_HEAVY" >"$results/logs/ceiling-heavy.log" 2>&1 & ce_pids+=($!)
"$bin/popceiling-shared" "$CSR" 20 "$MEAN_REAL" >"$results/logs/ceiling-shared-real.log" 2>&1 & cs_pids+=($!)
"$bin/popceiling-shared" "$CSH" 20 "$MEAN_HEAVY" >"$results/logs/ceiling-shared-heavy.log" 2>&1 & cs_pids+=($!)
wait_port "$CER" && wait_port "$CEH" && wait_port "$CSR" && wait_port "$CSH" || die "popceiling did not start"
log "Postoffice $PO (POP3S $POS), Dovecot $DC (POP3S $DCS), ceilings $CER and $CEH, shared ceilings $CSR and $CSH (20 x $MEAN_REAL and 20 x $MEAN_HEAVY octets)"
for port in "$POS" "$DCS"; do
  v=$(echo | openssl s_client -connect "127.0.0.1:$port" 2>/dev/null | sed -n 's/^ *Protocol *: *//p; s/^New, \(TLSv[0-9.]*\), .*/\1/p' | head -n1)
  log "  TLS on $port: ${v:-unknown}"
done

# ---- the PostgreSQL store (--pg): a private cluster as bench/pg-compare.sh starts it, the same mail migrated ----
PGPO=""
if ((pg)); then
  rm -rf "$work/pg" "$work/pgsock" "$work/pgnode" && mkdir -p "$work/pgnode"
  pg_cluster_start "$work" "$results/logs/initdb.log" 25432
  pg_psql -c "CREATE DATABASE postoffice OWNER postoffice"
  PGPO=$(free_port $((CSH + 1)))
  PG_URL="postgresql://127.0.0.1:$PG_PORT/postoffice?user=postoffice&pool=20"
  ./postoffice migrate --from "maildir:$po_data" --to "$PG_URL" --migrate-schema >"$results/logs/migrate.log" 2>&1 \
    || die "postoffice migrate failed (see $results/logs/migrate.log)"
  { cat "$work/postoffice.conf"; echo "pop3s = off"; } >"$work/postoffice-pg.conf"
  ./postoffice serve --data "$work/pgnode" --store "$PG_URL" --pop3 "127.0.0.1:$PGPO" --config "$work/postoffice-pg.conf" \
    >"$results/logs/postoffice-pg.log" 2>&1 &
  pg_pid=$!
  wait_port "$PGPO" || die "Postoffice on PostgreSQL did not start (see $results/logs/postoffice-pg.log)"
  javac="$(dirname "$JAVA")/javac"
  "$javac" -d "$work/pgread" -cp "$root/postoffice-app/target/postoffice.jar" "$root/bench/pgread/PgRead.java" \
    || die "bench/pgread/PgRead.java does not compile"
  PGREAD_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/postoffice?user=postoffice&prepareThreshold=1"
  log "Postoffice on PostgreSQL $PGPO (PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on $PG_PORT, fsync on)"
fi

# ---- runs ----
jvm_pid() { case $1 in postoffice) echo "$po_pid" ;; postoffice-*) echo "${x_pid[${1#postoffice-}]}" ;;
  postgresql) echo "$pg_pid" ;; esac; }
server_ticks() { case $1 in postoffice|postoffice-*) proc_ticks "$(jvm_pid "$1")" ;;
  dovecot) proc_ticks $(pgrep -u popsrv) ;; ceiling) proc_ticks "${ce_pids[@]}" ;;
  ceiling-shared) proc_ticks "${cs_pids[@]}" ;;
  postgresql) proc_ticks "$pg_pid" $(pgrep -u postgres) ;; pgread) proc_ticks $(pgrep -u postgres) ;; esac; }
HZ=$(getconf CLK_TCK) NCPU=$(nproc)
printf 'round\tscenario\tserver\tsessions_s\tmb_s\terrors\tp50_ms\tp99_ms\tgen_cpu_s\tserver_cpu_s\twall_s\tload1\n' >"$results/runs.tsv"
# scenario: name mode threads corpus tls(0, 1 implicit, stls) resume(0/1) servers
SCENARIOS=(
  "login-2 login 2 real 0 0 postoffice,dovecot,ceiling,ceiling-shared"
  "login-16 login 16 real 0 0 postoffice,dovecot,ceiling,ceiling-shared"
  "login-32 login 32 real 0 0 postoffice,dovecot,ceiling,ceiling-shared"
  "download-2-real download 2 real 0 0 postoffice,dovecot,ceiling,ceiling-shared"
  "download-16-real download 16 real 0 0 postoffice,dovecot,ceiling,ceiling-shared"
  "download-2-heavy download 2 heavy 0 0 postoffice,dovecot,ceiling,ceiling-shared"
  "download-16-heavy download 16 heavy 0 0 postoffice,dovecot,ceiling,ceiling-shared"
  "pop3s-login-16 login 16 real 1 0 postoffice,dovecot"
  "pop3s-resume-16 login 16 real 1 1 postoffice,dovecot"
  "pop3s-download-2 download 2 real 1 0 postoffice,dovecot"
  "pop3s-download-16 download 16 real 1 0 postoffice,dovecot"
  "stls-login-16 login 16 real stls 0 postoffice,dovecot"
  "stls-resume-16 login 16 real stls 1 postoffice,dovecot"
  "stls-download-16 download 16 real stls 0 postoffice,dovecot"
)
port_of() { # server corpus tls
  case $1 in
    postoffice) [[ $3 == 1 ]] && echo "$POS" || echo "$PO" ;;
    postoffice-*) [[ $3 == 1 ]] && echo "${x_ports[${1#postoffice-}]}" || echo "${x_port[${1#postoffice-}]}" ;;
    dovecot) [[ $3 == 1 ]] && echo "$DCS" || echo "$DC" ;;
    ceiling) [[ $2 == real ]] && echo "$CER" || echo "$CEH" ;;
    ceiling-shared) [[ $2 == real ]] && echo "$CSR" || echo "$CSH" ;;
    postgresql) echo "$PGPO" ;;
  esac
}
run() { # run ROUND NAME MODE THREADS CORPUS TLS RESUME SERVER SECONDS
  local round=$1 name=$2 mode=$3 threads=$4 corpus=$5 tls=$6 resume=$7 server=$8 secs=$9 load t0 t1 start out gen
  load=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(server_ticks "$server") start=$(date +%s.%N)
  if [[ $server == pgread ]]; then # PostgreSQL alone: the same result line, the reader's CPU as the generator's
    out=$( { TIMEFORMAT='%U %S'; time "$JAVA" -cp "$work/pgread:$root/postoffice-app/target/postoffice.jar" PgRead \
      "$PGREAD_URL" "$corpus" "$threads" "$secs" 2>&1; } 2>&1 ) || true
  else
  out=$( { TIMEFORMAT='%U %S'; time POPLOAD_TLS=$([[ $tls == 1 ]] && echo 1 || echo 0) POPLOAD_STLS=$([[ $tls == stls ]] && echo 1 || echo 0) \
      POPLOAD_RESUME=$resume "$bin/popload" 127.0.0.1 \
      "$(port_of "$server" "$corpus" "$tls")" "$work/corpus-$corpus/users-mail" "$threads" "$secs" "$mode" 2>&1; } 2>&1 ) || true
  fi
  t1=$(server_ticks "$server")
  gen=$(tail -n1 <<<"$out" | awk '{print $1 + $2}')
  # popload: sessions/s X MB/s Y errors E p50_ms A p99_ms B sessions N
  read -r _ ss _ mb _ err _ p50 _ p99 _ _ <<<"$(grep '^sessions/s' <<<"$out" || echo 'x 0 x 0 x -1 x 0 x 0 x 0')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$server" "$ss" "$mb" "$err" "$p50" "$p99" "$gen" \
    "$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz}')" \
    "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')" "$load" >>"$results/runs.tsv"
  [[ $round == warm ]] || log "  $name $server: $ss sessions/s, $mb MB/s, errors $err (load $load)"
  sleep 1
}

log "warm-up: every maildrop downloaded, 10 s of cleartext logins, 10 s of TLS handshakes (JIT: a fresh JVM runs at half speed for its first 30 s or so, and the JDK's elliptic-curve code needs its own; page cache, Dovecot's indexes)"
servers=(postoffice dovecot ceiling ceiling-shared "${extras[@]}")
((pg)) && servers+=(postgresql pgread)
for server in "${servers[@]}"; do
  [[ $server == pgread ]] && continue
  [[ $server == postoffice-* ]] || for corpus in real heavy; do run warm warm download 4 "$corpus" 0 0 "$server" 5; done
  [[ $server == ceiling* || $server == postoffice-* ]] || run warm warm login 4 real 0 0 "$server" 10
  [[ $server == ceiling* || $server == postgresql ]] || run warm warm login 4 real 1 0 "$server" 10
done
# A JVM's compiler keeps going long after the warm-up above (about 2 minutes of load here; the first measured round
# of logins came out 10 to 30 % below the next two): each JVM server gets more of the same load until a repetition
# compiles fewer than 20 methods (jstat), at most 8 repetitions. The counts go to the log and to jit.tsv.
jstat_bin="$(dirname "$JAVA")/jstat"
compiled() { "$jstat_bin" -compiler "$1" 2>/dev/null | awk 'NR == 2 {print $1}'; }
printf 'server\trepetition\tcompiled_before\tcompiled_after\n' >"$results/jit.tsv"
for server in "${servers[@]}"; do
  pid=$(jvm_pid "$server")
  [[ -n $pid && -n $(compiled "$pid") ]] || continue
  for rep in $(seq 8); do
    before=$(compiled "$pid")
    if [[ $server != postoffice-* ]]; then
      for corpus in real heavy; do run warm warm download 16 "$corpus" 0 0 "$server" 5; done
      run warm warm login 16 real 0 0 "$server" 5
    fi
    if [[ $server != postgresql ]]; then
      run warm warm login 16 real 1 0 "$server" 5
      run warm warm download 16 real 1 0 "$server" 5
    fi
    after=$(compiled "$pid")
    printf '%s\t%s\t%s\t%s\n' "$server" "$rep" "$before" "$after" >>"$results/jit.tsv"
    log "  $server: JIT warm-up $rep, $before -> $after methods compiled"
    (( after - before < 20 )) && break
  done
done
for round in $(seq "$rounds"); do
  log "round $round of $rounds"
  for s in "${SCENARIOS[@]}"; do
    read -r name mode threads corpus tls resume list <<<"$s"
    [[ -z ${POPLOAD_ONLY:-} || " $POPLOAD_ONLY " == *" $name "* ]] || continue
    [[ $tls == 0 ]] || for x in "${extras[@]}"; do list+=",$x"; done
    for i in "${!servers[@]}"; do
      server=${servers[$(( (i + round - 1) % ${#servers[@]} ))]}
      [[ ",$list," == *",$server,"* || ($server == postgresql && $tls == 0 && ",$list," == *",postoffice,"*)
         || ($server == pgread && $tls == 0 && $mode == download) ]] || continue
      run "$round" "$name" "$mode" "$threads" "$corpus" "$tls" "$resume" "$server" "$duration"
    done
  done
done

# ---- report: medians per scenario and server, ratios, the generator's CPU share ----
python3 - "$results/runs.tsv" "$NCPU" >"$results/summary.md" <<'EOF'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter='\t') if r['round'] != 'warm']
ncpu = int(sys.argv[2])
by = {}
for r in rows:
    by.setdefault((r['scenario'], r['server']), []).append(r)
order = []
for r in rows:
    if r['scenario'] not in order:
        order.append(r['scenario'])
def med(rs, k):
    return statistics.median(float(r[k]) for r in rs)
def fmt(v):
    return '-' if v is None else (f'{v:,.0f}' if v >= 100 else f'{v:.1f}')
print('| scenario | metric | Postoffice | Dovecot | ceiling | shared ceiling | PO/Dovecot | PO/ceiling (by round) | PO/shared ceiling | runs (PO) | generator CPU share (PO; ceiling) | load avg (min-max) |')
print('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|')
for s in order:
    metric = 'MB/s' if 'download' in s else 'logins/s'
    key = 'mb_s' if metric == 'MB/s' else 'sessions_s'
    v = {srv: (med(by[(s, srv)], key) if (s, srv) in by else None) for srv in ('postoffice', 'dovecot', 'ceiling', 'ceiling-shared')}
    ratio = lambda a, b: '-' if a is None or not b else f'{a / b:.2f}x'
    # the ratio of the medians, then the ratio within each round (same load, same minute): on a noisy machine the
    # two differ, and the per-round ratios show the spread
    po_round = {r['round']: float(r[key]) for r in by.get((s, 'postoffice'), [])}
    rounds = [po_round[r['round']] / float(r[key]) for r in by.get((s, 'ceiling'), [])
              if r['round'] in po_round and float(r[key]) > 0]
    to_ceiling = ratio(v['postoffice'], v['ceiling']) + (f" ({', '.join(f'{x:.2f}' for x in rounds)})" if rounds else '')
    share = lambda srv: '-' if (s, srv) not in by else f"{100 * med(by[(s, srv)], 'gen_cpu_s') / med(by[(s, srv)], 'wall_s') / ncpu:.0f} %"
    runs = ', '.join(fmt(float(r[key])) for r in by.get((s, 'postoffice'), []))
    loads = [float(r['load1']) for r in rows if r['scenario'] == s]
    errors = sum(int(r['errors']) for r in rows if r['scenario'] == s)
    print(f"| {s} | {metric}{'' if not errors else f' ({errors} errors)'} | {fmt(v['postoffice'])} | {fmt(v['dovecot'])} | {fmt(v['ceiling'])} | "
          f"{fmt(v['ceiling-shared'])} | {ratio(v['postoffice'], v['dovecot'])} | {to_ceiling} | {ratio(v['postoffice'], v['ceiling-shared'])} | "
          f"{runs} | {share('postoffice')}; {share('ceiling')} | "
          f"{min(loads):.1f}-{max(loads):.1f} |")
extra = sorted({r['server'] for r in rows if r['server'].startswith('postoffice-')})
if extra:
    print()
    print('TLS by provider (POPLOAD_TLS_PROVIDERS); "postoffice" is the JDK\'s TLS. Server cores: its CPU seconds per wall second.')
    print()
    print('| scenario | server | metric | median | runs | / Dovecot | / postoffice (jdk) | server cores | generator CPU share |')
    print('|---|---|---|---:|---|---:|---:|---:|---:|')
    for s in order:
        if not any((s, x) in by for x in extra):
            continue
        metric = 'MB/s' if 'download' in s else 'logins/s'
        key = 'mb_s' if metric == 'MB/s' else 'sessions_s'
        base = {srv: med(by[(s, srv)], key) for srv in ('postoffice', 'dovecot') if (s, srv) in by}
        for srv in ['postoffice'] + extra + ['dovecot']:
            if (s, srv) not in by:
                continue
            rs = by[(s, srv)]
            v = med(rs, key)
            ratio = lambda b: f'{v / base[b]:.2f}x' if base.get(b) else '-'
            print(f"| {s} | {srv} | {metric} | {fmt(v)} | {', '.join(fmt(float(r[key])) for r in rs)} | {ratio('dovecot')} | "
                  f"{ratio('postoffice')} | {med(rs, 'server_cpu_s') / med(rs, 'wall_s'):.2f} | "
                  f"{100 * med(rs, 'gen_cpu_s') / med(rs, 'wall_s') / ncpu:.0f} % |")
EOF
if ((pg)); then # the PostgreSQL store beside Maildir (the column Postoffice above) and Dovecot, same runs
  python3 - "$results/runs.tsv" >>"$results/summary.md" <<'PGEOF'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter='\t') if r['round'] != 'warm']
by = {}
for r in rows:
    by.setdefault((r['scenario'], r['server']), []).append(r)
print('\nPostgreSQL alone: bench/pgread/PgRead.java, one query per maildrop, no POP3 (the store\'s ceiling on these cores).')
print('\n| scenario | metric | Postoffice, Maildir | Postoffice, PostgreSQL | Dovecot | PostgreSQL alone | PG/Maildir | PG/Dovecot | PG/alone | runs (PG) |')
print('|---|---|---:|---:|---:|---:|---:|---:|---:|---|')
for s in dict.fromkeys(r['scenario'] for r in rows if r['server'] == 'postgresql'):
    key = 'mb_s' if 'download' in s else 'sessions_s'
    v = {srv: statistics.median(float(r[key]) for r in by[(s, srv)]) if (s, srv) in by else None
         for srv in ('postoffice', 'postgresql', 'dovecot', 'pgread')}
    fmt = lambda x: '-' if x is None else (f'{x:,.0f}' if x >= 100 else f'{x:.1f}')
    ratio = lambda a, b: '-' if a is None or not b else f'{a / b:.2f}x'
    errors = sum(int(r['errors']) for r in by[(s, 'postgresql')])
    print(f"| {s} | {'MB/s' if key == 'mb_s' else 'logins/s'}{f' ({errors} errors)' if errors else ''} | {fmt(v['postoffice'])} | "
          f"{fmt(v['postgresql'])} | {fmt(v['dovecot'])} | {fmt(v['pgread'])} | {ratio(v['postgresql'], v['postoffice'])} | "
          f"{ratio(v['postgresql'], v['dovecot'])} | {ratio(v['postgresql'], v['pgread'])} | {', '.join(fmt(float(r[key])) for r in by[(s, 'postgresql')])} |")
PGEOF
fi
cat "$results/summary.md"
log "results in $results (runs.tsv, summary.md, logs/)"
