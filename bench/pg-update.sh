#!/usr/bin/env bash
# UPDATE on the PostgreSQL store (docs/performance.md, "QUIT with DELE"): what a session that deletes
# its mail costs, the case of most POP3 clients. A private PostgreSQL (Debian's package, fsync on), one node per
# build on its own database of that cluster, mail delivered over LMTP, then sessions of USER, PASS, STAT, RETR and
# DELE of every message, QUIT, from one client (Python's poplib, so each round trip is waited for), builds
# alternating in every round, a CHECKPOINT before each measured batch. Reports QUIT's latency (the UPDATE) and the
# session's; per session, PostgreSQL's commits, deleted rows and WAL, and the CPU of the node and of PostgreSQL.
# Usage: bench/pg-update.sh [--users N (100)] [--messages M (20)] [--rounds R (5)] [--build DIR]...; as root.
# Each --build is a checkout with its application built (`./postoffice --version` once); the default is this one.
# Results: bench/results/pg-update-STAMP/summary.txt and rounds.txt.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
users=100 messages=20 rounds=5 builds=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --users) users=$2; shift ;;
    --messages) messages=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --build) builds+=("$(cd "$2" && pwd)"); shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pg-update.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((${#builds[@]})) || builds=("$root")

stamp=$(date +%Y%m%d-%H%M%S)
results="$root/bench/results/pg-update-$stamp" work="/tmp/postoffice-pgupdate-$stamp"
mkdir -p "$results" "$work"
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
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "run as root: PostgreSQL runs as its own user"
pg_cluster_install || die "cannot install postgresql"

for b in "${builds[@]}"; do
  log "building $b"
  (cd "$b" && ./postoffice --version) >>"$results/build.log" 2>&1 || die "$b does not build (see build.log)"
done

log "PostgreSQL: a private cluster"
pg_cluster_start "$work" "$results/initdb.log" 26432

conf="$work/postoffice.conf"
printf 'max-connections = 100000\nmax-connections-per-address = 100000\npop3s = off\nallow-plaintext-auth = yes\n' >"$conf"
ports=() lmtps=() dbs=() i=0
for b in "${builds[@]}"; do
  db="build$i" url="postgresql://127.0.0.1:$PG_PORT/build$i?user=postoffice&pool=20"
  pg_psql -c "CREATE DATABASE $db OWNER postoffice"
  (cd "$b" && ./postoffice db migrate --store "$url") >>"$results/build.log" 2>&1 || die "migrate failed for $b"
  for u in $(seq "$users"); do echo "INSERT INTO users (name, secret) VALUES ('u$u', '{PLAIN}pw$u');"; done \
    | pg_psql -d "$db" >/dev/null
  port=$(free_port $((23110 + 10 * i))) && lmtp=$(free_port $((port + 1)))
  mkdir -p "$work/node$i"
  (cd "$b" && POSTOFFICE_NO_BUILD=1 exec ./postoffice serve --data "$work/node$i" --store "$url" \
    --pop3 "127.0.0.1:$port" --lmtp "127.0.0.1:$lmtp" --config "$conf") >"$results/server$i.log" 2>&1 &
  pids+=($!)
  wait_port "$port" && wait_port "$lmtp" || die "the server of $b did not start (see server$i.log)"
  ports+=("$port") lmtps+=("$lmtp") dbs+=("$db")
  echo "build$i: $b ($(cd "$b" && git log -1 --format='%h %s' 2>/dev/null || echo '?'))" >>"$results/builds.txt"
  i=$((i + 1))
done

PSQL="$PG_BIN/psql" python3 - "$results" "$rounds" "$users" "$messages" "$PG_SOCK" "$PG_PORT" "${ports[*]}" "${lmtps[*]}" "${dbs[*]}" "${pids[*]}" <<'EOF'
import glob, os, poplib, pwd, smtplib, statistics, subprocess, sys, time
results, rounds, users, messages, sock, pgport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
ports, lmtps, dbs = ([int(x) for x in sys.argv[7].split()], [int(x) for x in sys.argv[8].split()], sys.argv[9].split())
nodes = [int(x) for x in sys.argv[10].split()]
HZ, PG_UID = os.sysconf("SC_CLK_TCK"), pwd.getpwnam("postgres").pw_uid

def ticks(pid):  # user and system CPU of a process and its reaped children, in clock ticks
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in f[11:15])
    except (OSError, IndexError):
        return 0

def owner(d):
    try:
        return os.stat(d).st_uid
    except OSError:  # ended meanwhile
        return None

def cpu(node):  # seconds of CPU so far: the node's JVM, and every PostgreSQL process (both builds' databases)
    pg = sum(ticks(int(d.rsplit("/", 1)[1])) for d in glob.glob("/proc/[0-9]*") if owner(d) == PG_UID)
    return ticks(node) / HZ, pg / HZ

def body(u, k):  # 2 to 40 KB, some lines starting with a dot
    size = 2000 + (u * 7919 + k * 104729) % 38000
    lines = ["From: bench@example.org", f"To: u{u}@example.org", f"Subject: message {k}", ""]
    n = 0
    while n < size:
        line = (".dotted line %d" if (n // 70) % 40 == 7 else "line %d of the body, some words to fill it") % n
        lines.append(line)
        n += len(line) + 2
    return ("\r\n".join(lines) + "\r\n").encode()

def deliver(port):
    c = smtplib.LMTP("127.0.0.1", port)
    for u in range(1, users + 1):
        for k in range(messages):
            c.sendmail("bench@example.org", [f"u{u}@example.org"], body(u, k))
    c.quit()

def psql(db, sql):
    return subprocess.run(["runuser", "-u", "postgres", "--", os.environ["PSQL"], "-X", "-At", "-h", sock, "-p", pgport,
                           "-U", "postgres", "-d", db, "-c", sql], capture_output=True, text=True, check=True).stdout

def stats(db):
    out = psql(db, "SELECT xact_commit, tup_deleted FROM pg_stat_database WHERE datname = current_database();"
                   " SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").split()
    c, d = out[0].split("|")
    return int(c), int(d), int(out[1])

def sessions(port):
    quit_ms, total_ms, login_ms, retr_ms = [], [], [], []
    for u in range(1, users + 1):
        t0 = time.perf_counter()
        p = poplib.POP3("127.0.0.1", port)
        p.user(f"u{u}"); p.pass_(f"pw{u}")
        n, _ = p.stat()
        assert n == messages, (u, n)
        ts = time.perf_counter()
        for k in range(1, n + 1):
            p.retr(k)
            p.dele(k)
        t1 = time.perf_counter()
        reply = p.quit()
        t2 = time.perf_counter()
        assert reply.startswith(b"+OK"), reply
        quit_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
        login_ms.append((ts - t0) * 1000)
        retr_ms.append((t1 - ts) * 1000)
    return quit_ms, total_ms, login_ms, retr_ms

rows = {i: {"quit": [], "total": [], "login": [], "retr": [], "xact": [], "deleted": [], "wal": [], "node_ms": [], "pg_ms": []}
        for i in range(len(ports))}
for _ in range(3):  # warm-up: the JIT, the pools' connections and their prepared statements
    for i in range(len(ports)):
        deliver(lmtps[i])
        sessions(ports[i])
for r in range(rounds):
    order = list(range(len(ports)))
    if r % 2:
        order.reverse()
    for i in order:
        deliver(lmtps[i])
        # a checkpoint now rather than during the sessions: its writes and the full-page images after it would
        # land on whichever build runs then
        psql(dbs[i], "CHECKPOINT")
        time.sleep(11)  # an idle backend reports its counters to pg_stat_database within 10 s
        c0, d0, w0 = stats(dbs[i])
        n0, p0 = cpu(nodes[i])
        q, t, lg, rt = sessions(ports[i])
        n1, p1 = cpu(nodes[i])
        time.sleep(11)
        c1, d1, w1 = stats(dbs[i])
        rows[i]["quit"] += q; rows[i]["total"] += t; rows[i]["login"] += lg; rows[i]["retr"] += rt
        rows[i]["xact"].append((c1 - c0) / users); rows[i]["deleted"].append((d1 - d0) / users)
        rows[i]["wal"].append((w1 - w0) / users)
        rows[i]["node_ms"].append((n1 - n0) * 1000 / users); rows[i]["pg_ms"].append((p1 - p0) * 1000 / users)
        line = (f"round {r + 1} build{i}: QUIT p50 {statistics.median(q):.2f} ms, session p50 {statistics.median(t):.1f} ms,"
                f" node CPU {rows[i]['node_ms'][-1]:.2f} ms, PostgreSQL CPU {rows[i]['pg_ms'][-1]:.2f} ms per session")
        print(line, file=sys.stderr)
        with open(f"{results}/rounds.txt", "a") as f:
            f.write(line + "\n")

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]

with open(f"{results}/summary.txt", "w") as f:
    f.write(f"{users} sessions per round x {rounds} rounds; each: USER, PASS, STAT, RETR and DELE of {messages} messages, QUIT\n")
    f.write(f"{'build':<7} {'QUIT p50':>9} {'p90':>7} {'max':>7} {'session p50':>12} {'login p50':>10} {'RETR+DELE p50':>14}"
            f" {'commits/session':>16} {'rows deleted':>13} {'WAL octets':>11} {'node CPU':>9} {'PG CPU':>8}\n")
    for i, x in rows.items():
        f.write(f"build{i:<2} {statistics.median(x['quit']):>7.2f}ms {pct(x['quit'], 90):>5.2f}ms {max(x['quit']):>5.1f}ms"
                f" {statistics.median(x['total']):>10.1f}ms {statistics.median(x['login']):>8.2f}ms {statistics.median(x['retr']):>12.1f}ms"
                f" {statistics.median(x['xact']):>16.1f} {statistics.median(x['deleted']):>13.1f}"
                f" {statistics.median(x['wal']):>11.0f} {statistics.median(x['node_ms']):>7.2f}ms {statistics.median(x['pg_ms']):>6.2f}ms\n")
print(open(f"{results}/builds.txt").read() + open(f"{results}/summary.txt").read())
EOF
log "results in $results"
