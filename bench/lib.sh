# bench/lib.sh: what the bench scripts share, sourced by them (not run): logging with the time to stderr, dying
# with the script's name, stopping a process, finding a free port and waiting for one to listen, and the CPU
# that processes used, from /proc.
# shellcheck shell=bash

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "${0##*/}: $*"; exit 1; }

stop_pid() { # stop_pid PID: TERM, wait up to 30 s, then KILL; nothing if PID is empty or gone
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

free_port() { # free_port FROM: the first TCP port from FROM on that nothing listens on
  local p=$1
  while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

wait_port() { # wait_port PORT [PID]: until 127.0.0.1:PORT accepts a connection (at most 60 s), or PID has ended
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    [[ -z ${2:-} ]] || kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

proc_ticks() { # proc_ticks PID...: CPU clock ticks used so far by these processes and the children they reaped
  local total=0 p stat f
  for p in "$@"; do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a f <<<"${stat##*) }"  # fields from the 3rd on: utime is f[11], stime f[12], cutime f[13], cstime f[14]
    total=$((total + f[11] + f[12] + f[13] + f[14]))
  done
  echo "$total"
}
