#!/usr/bin/env bash
# bench/lmtp-compare.sh: deliveries per second over LMTP, Postoffice against Dovecot's LMTP (dovecot-lmtpd), with
# the same generator (`postoffice bench --scenario lmtp`), the same users and the same messages, fsync on in both
# (Postoffice always fsyncs the message and new/; Dovecot with mail_fsync = always). Also `bench/compare.sh --lmtp`.
#
#   bench/lmtp-compare.sh [--rounds N] [--duration S] [--concurrency N] [--size OCTETS] [--users N] [--keep]
#
#   --rounds N       runs against each server, alternating (default 3)
#   --duration S     measured seconds per run (default 10), after 2 s of warm-up
#   --concurrency N  LMTP connections, each running transactions back to back (default 16)
#   --size OCTETS    message size (default 4096)
#   --users N        recipients, delivered to in turn (default 100)
#   --keep           keep the working directory
#
# Run from the repository root as root (Dovecot runs as the service user popsrv; dovecot-lmtpd is installed with
# apt-get if missing). Results: bench/results/<time>-lmtp/ with summary.md (printed at the end) and every run's
# JSON. Both servers are stopped on exit, also on failure or Ctrl-C.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds=3 duration=10 concurrency=16 size=4096 nusers=100 keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --concurrency) concurrency=$2; shift ;;
    --size) size=$2; shift ;;
    --users) nusers=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lmtp-compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

source "$root/bench/lib.sh" # log, die, stop_pid, free_port, wait_port, proc_ticks
[[ $(id -u) == 0 ]] || die "run as root: Dovecot runs as its service user"

stamp=$(date +%Y%m%d-%H%M%S)
results="$root/bench/results/$stamp-lmtp"
work="/tmp/postoffice-lmtp-bench-$stamp"
mkdir -p "$results" "$work"
chmod 755 "$work"
po_pid="" dc_pid="" dc="$work/dovecot"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$po_pid"
  stop_pid "$dc_pid"
  if ((keep)); then log "working directory kept: $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dpkg-query -W -f='${Status}' dovecot-lmtpd 2>/dev/null | grep -q 'install ok installed' || {
  log "installing dovecot-lmtpd"
  apt-get install -y -qq dovecot-lmtpd >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-lmtpd >/dev/null; }
}
id popsrv >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin popsrv
uid=$(id -u popsrv) gid=$(id -g popsrv)

log "building"
./postoffice --version >"$results/build.log" 2>&1 || { tail -20 "$results/build.log" >&2; die "the application does not build"; }
export POSTOFFICE_NO_BUILD=1

free_port() { # an ephemeral port, chosen by the kernel (instead of bench/lib.sh's free_port FROM)
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- users: the same names in both; the generator's file is "name password" ----
mkdir -p "$work/po" "$dc/mail" "$dc/run" "$dc/state"
: >"$work/po/users"; : >"$dc/users"; : >"$work/bench-users"
for i in $(seq "$nusers"); do
  echo "user$i:{PLAIN}pw$i" >>"$work/po/users"
  echo "user$i:{PLAIN}pw$i:$uid:$gid::$dc/mail/user$i::" >>"$dc/users"
  echo "user$i pw$i" >>"$work/bench-users"
  mkdir -p "$dc/mail/user$i"
done

# ---- Postoffice ----
po_lmtp=$(free_port) po_pop3=$(free_port)
./postoffice serve --data "$work/po" --pop3 "127.0.0.1:$po_pop3" --pop3s off --lmtp "127.0.0.1:$po_lmtp" \
  --hostname bench.test >"$results/postoffice.log" 2>&1 &
po_pid=$!
wait_port "$po_lmtp" || die "Postoffice did not start (see $results/postoffice.log)"

# ---- Dovecot LMTP ----
dc_lmtp=$(free_port)
cat >"$dc/dovecot.conf" <<CONF
protocols = lmtp
listen = 127.0.0.1
base_dir = $dc/run
state_dir = $dc/state
instance_name = dovecot-lmtp-$dc_lmtp
log_path = $dc/dovecot.log
ssl = no
default_internal_user = popsrv
default_login_user = popsrv
default_internal_group = popsrv
default_process_limit = 2000
default_client_limit = 20000
mail_fsync = always
service anvil {
  chroot =
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $dc_lmtp
  }
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dc/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dc/users
}
mail_location = maildir:$dc/mail/%u/Maildir
namespace inbox {
  inbox = yes
}
CONF
chown -R popsrv:popsrv "$dc"
setpriv --reuid=popsrv --regid=popsrv --init-groups dovecot -F -c "$dc/dovecot.conf" >"$results/dovecot.out" 2>&1 &
dc_pid=$!
wait_port "$dc_lmtp" || die "Dovecot did not start (see $results/dovecot.out)"

# ---- runs, alternating ----
run() { # run LABEL PORT ROUND
  ./postoffice bench --scenario lmtp --port "$2" --users "$work/bench-users" --concurrency "$concurrency" \
    --duration "$duration" --warmup 2 --message-size "$size" --label "$1" --json "$results/$1-$3.json" \
    | tee -a "$results/runs.txt" >&2
}
for r in $(seq "$rounds"); do
  run postoffice "$po_lmtp" "$r"
  run dovecot "$dc_lmtp" "$r"
done
# What was delivered is really there: the same number of files as the generator counted at least.
po_files=$(find "$work/po/home" -path '*/new/*' -type f | wc -l)
dc_files=$(find "$dc/mail" -path '*/new/*' -type f | wc -l)

python3 - "$results" "$rounds" "$po_files" "$dc_files" "$concurrency" "$size" "$duration" >"$results/summary.md" <<'PY'
import json, statistics, sys
res, rounds, po_files, dc_files, conc, size, dur = sys.argv[1:]
def rates(label):
    return [json.load(open(f"{res}/{label}-{r}.json"))["deliveries_per_second"] for r in range(1, int(rounds) + 1)]
def p99(label):
    return [json.load(open(f"{res}/{label}-{r}.json"))["latency_ms_p99"] for r in range(1, int(rounds) + 1)]
po, dc = rates("postoffice"), rates("dovecot")
print(f"# LMTP deliveries per second ({conc} connections, {size}-octet messages, {dur} s runs, fsync on in both)\n")
print("| server | median deliveries/s | runs | median p99 latency (ms) | files in new/ |")
print("|---|---|---|---|---|")
print(f"| Postoffice | {statistics.median(po):.0f} | {', '.join(f'{x:.0f}' for x in po)} | {statistics.median(p99('postoffice')):.2f} | {po_files} |")
print(f"| Dovecot 2.3 LMTP | {statistics.median(dc):.0f} | {', '.join(f'{x:.0f}' for x in dc)} | {statistics.median(p99('dovecot')):.2f} | {dc_files} |")
print(f"\nPostoffice / Dovecot: {statistics.median(po) / statistics.median(dc):.2f}x")
PY
cat "$results/summary.md"
