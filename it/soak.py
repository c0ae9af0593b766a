#!/usr/bin/env python3
"""The soak under abuse (docs/reliability.md, figures in docs/performance.md).

One server, two runs of `postoffice bench --scenario mixed` at --sessions concurrent sessions for --duration
seconds: the first alone, the second with hostile traffic from 127.0.0.2 in the same run (slow-loris
connections that never finish a line, garbage commands, failed logins at a high rate, connections that open
TLS and stall). In both runs, beside the bench: clients that download and delete (users of their own), and
`postoffice deliver` into the very maildrops the bench reads and those that are emptied. Reports errors of the
legitimate traffic, p99 of login and RETR in both runs, heap after a full GC, file descriptors and threads of
the server at the start and the end, and the accounting: delivered = stored = retrieved and deleted + left.

  it/soak.py --sessions 100                # the short version the build runs: 60 s, 100 sessions
  it/soak.py --duration 600 --sessions 1000
Exit status 1 when a promise is broken: an error of the legitimate traffic, a message unaccounted for, heap
grown by more than a quarter (+16 MB), more file descriptors or threads at the end than after the quiet run
(2 of slack each for the JVM's own: a jar opened late, a JIT thread).
"""
import argparse
import json
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import itlib
from itlib import LAUNCHER, Pop, free_port

ap = argparse.ArgumentParser()
ap.add_argument("--duration", type=int, default=60)
ap.add_argument("--sessions", type=int, default=200)
ap.add_argument("--messages", type=int, default=5, help="messages per bench user at the start")
ap.add_argument("--deleters", type=int, default=8, help="clients downloading and deleting")
ap.add_argument("--json", help="write the figures here")
args = ap.parse_args()

WORK = tempfile.mkdtemp(prefix="postoffice-soak-")
DATA = os.path.join(WORK, "data")
BENCH_USERS = [f"u{i:05d}" for i in range(args.sessions + args.sessions // 5)]
DELE_USERS = [f"d{i:03d}" for i in range(args.deleters * 2)]
stop = threading.Event()
lock = threading.Lock()
count = {"delivered": 0, "deliver_failed": 0, "retrieved_deleted": 0, "dele_sessions": 0, "dele_errors": 0,
         "hostile_connections": 0}
errors = []
rng = random.Random(15)


def message(i, size):
    return (f"From: soak@example.org\nSubject: soak {i}\nMessage-Id: <{i}@soak>\n\n".encode()
            + (b"a soak line of moderate length, like most mail.\n" * (size // 48 + 1))[:size])


def setup():
    os.makedirs(os.path.join(DATA, "home"))
    with open(os.path.join(DATA, "users"), "w") as f:
        for u in BENCH_USERS + DELE_USERS:
            f.write(f"{u}:{{PLAIN}}pw-{u}\n")
    n = 0
    for u in BENCH_USERS + DELE_USERS:
        md = os.path.join(DATA, "home", u, "Maildir")
        for d in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(md, d), mode=0o700)
        for _ in range(args.messages):
            n += 1
            size = rng.choice([2000, 5000, 12000, 40000, 150000])
            with open(os.path.join(md, "new", f"{1700000000 + n}.M{n}P1Q1.soak"), "wb") as f:
                f.write(message(n, size))
    with open(os.path.join(WORK, "bench-users"), "w") as f:
        for u in BENCH_USERS:
            f.write(f"{u} pw-{u}\n")
    with open(os.path.join(WORK, "postoffice.conf"), "w") as f:
        f.write("max-connections = 100000\nmax-connections-per-address = 100000\npreauth-timeout = 20s\n")
    return n


def proc_figures(pid):
    subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, timeout=120)
    time.sleep(1)
    out = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"used (\d+)K", out)
    heap_mb = int(m.group(1)) / 1024 if m else -1
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/status") as f:
        threads = int(re.search(r"Threads:\s+(\d+)", f.read()).group(1))
    return {"heap_after_gc_mb": round(heap_mb, 1), "fds": fds, "threads": threads}


def delivering(users):
    """deliver into maildrops in use, a few messages per call, until stopped."""
    inbox = os.path.join(WORK, "in")
    os.makedirs(inbox, exist_ok=True)
    i = 0
    while not stop.is_set():
        user = rng.choice(users)
        files = []
        for _ in range(3):
            i += 1
            path = os.path.join(inbox, f"{threading.get_ident()}-{i}.eml")
            with open(path, "wb") as f:
                f.write(message(10**6 + i, rng.choice([1500, 6000, 30000])))
            files.append(path)
        r = subprocess.run([LAUNCHER, "deliver", "--user", user, "--data", DATA, *files], capture_output=True)
        with lock:
            if r.returncode == 0:
                count["delivered"] += len(files)
            else:
                count["deliver_failed"] += len(files)
                errors.append(f"deliver exit {r.returncode}: {r.stderr[-200:]!r}")
        for p in files:
            os.remove(p)


def download_and_delete(port, users):
    while not stop.is_set():
        for u in users:
            if stop.is_set():
                return
            try:
                p = Pop(port)
                r = p.login(u, f"pw-{u}")
                if r.startswith(b"-ERR [IN-USE]"):
                    p.close()
                    continue
                assert r.startswith(b"+OK"), r
                sizes = p.listing()
                for n in sizes:
                    _, body = p.multi(f"RETR {n}")
                    assert len(body) == sizes[n], (len(body), sizes[n])
                    p.ok(f"DELE {n}")
                assert p.cmd("QUIT").startswith(b"+OK")
                p.close()
                with lock:
                    count["retrieved_deleted"] += len(sizes)
                    count["dele_sessions"] += 1
            except Exception as e:
                with lock:
                    count["dele_errors"] += 1
                    errors.append(f"download-and-delete {u}: {e!r}")
            time.sleep(0.2)


def hostile_socket(port):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    with lock:
        count["hostile_connections"] += 1
    return s


def slow_loris(port):
    while not stop.is_set():
        try:
            s = hostile_socket(port)
            s.recv(512)
            s.sendall(b"USER slow")
            while not stop.is_set():  # a byte now and then, never a line end
                if stop.wait(5):
                    break
                s.sendall(b"w")
            s.close()
        except OSError:
            stop.wait(1)


def garbage(port):
    junk = [b"\x00\xff\xfe garbage\r\n", b"HELO there\r\n", b"RETR 1\r\n", b"A" * 3000 + b"\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", b"LIST -1\r\n", b"UIDL x\r\n"]
    while not stop.is_set():
        try:
            s = hostile_socket(port)
            s.recv(512)
            for _ in range(12):
                s.sendall(rng.choice(junk))
            s.recv(4096)
            s.close()
        except OSError:
            pass
        stop.wait(0.05)


def failed_logins(port):
    while not stop.is_set():
        try:
            s = hostile_socket(port)
            f = s.makefile("rb")
            f.readline()
            for _ in range(3):
                s.sendall(f"USER {rng.choice(BENCH_USERS)}\r\n".encode())
                f.readline()
                s.sendall(b"PASS wrong-password\r\n")
                if not f.readline():
                    break
            s.close()
        except OSError:
            pass


def tls_stall(port, tls_port):
    """Half the time STLS then silence, half the time a TLS hello on POP3S that never finishes."""
    while not stop.is_set():
        try:
            if rng.random() < 0.5:
                s = hostile_socket(port)
                f = s.makefile("rb")
                f.readline()
                s.sendall(b"STLS\r\n")
                f.readline()
            else:
                s = hostile_socket(tls_port)
                s.sendall(b"\x16\x03\x01\x00\x05\x01\x00\x00")  # the start of a ClientHello, then nothing
            stop.wait(35)  # beyond tls-handshake-timeout (30 s): the server must close it
            s.close()
        except OSError:
            stop.wait(1)


def bench(port, label):
    out = os.path.join(WORK, f"bench-{label}.json")
    r = subprocess.run([LAUNCHER, "bench", "--port", str(port), "--users", os.path.join(WORK, "bench-users"),
                        "--scenario", "mixed", "--concurrency", str(args.sessions), "--duration", str(args.duration),
                        "--warmup", "5", "--ramp", "100", "--json", out, "--no-progress", "--label", label,
                        # as from 250 machines: 1,000 sessions from one address would meet the per-address
                        # fairness of the hashing queue, which is not what a morning peak looks like
                        "--sources", "127.0.1.1-127.0.1.250"],
                       capture_output=True, text=True, timeout=args.duration + 600)
    if r.returncode != 0:
        raise RuntimeError(f"bench {label} exited {r.returncode}: {r.stderr[-2000:]}")
    with open(out) as f:
        doc = json.load(f)
    lat = doc["latency_ms"]
    pick = lambda op: lat.get(op, {}).get("p99")
    return {"sessions_per_s": round(doc["rates"]["sessions_per_s"], 1), "errors": doc["errors"]["total"],
            "error_samples": doc["error_samples"][:3], "login_p99_ms": pick("login"), "RETR_p99_ms": pick("RETR"),
            "messages_retrieved": doc["totals"]["messages_retrieved"]}


def phase(port, tls_port, hostile):
    threads = [threading.Thread(target=delivering, args=(BENCH_USERS,)),
               threading.Thread(target=delivering, args=(DELE_USERS,))]
    half = len(DELE_USERS) // 2
    for i in range(args.deleters):
        mine = DELE_USERS[i::args.deleters]
        threads.append(threading.Thread(target=download_and_delete, args=(port, mine)))
    if hostile:
        threads += [threading.Thread(target=slow_loris, args=(port,)) for _ in range(100)]
        threads += [threading.Thread(target=garbage, args=(port,)) for _ in range(4)]
        threads += [threading.Thread(target=failed_logins, args=(port,)) for _ in range(8)]
        threads += [threading.Thread(target=tls_stall, args=(port, tls_port)) for _ in range(25)]
    stop.clear()
    for t in threads:
        t.daemon = True
        t.start()
    try:
        return bench(port, "hostile" if hostile else "quiet")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)


def stored():
    n = 0
    for u in BENCH_USERS + DELE_USERS:
        md = os.path.join(DATA, "home", u, "Maildir")
        n += len(os.listdir(os.path.join(md, "new"))) + len(os.listdir(os.path.join(md, "cur")))
    return n


def main():
    initial = setup()
    port, tls_port = free_port(), free_port()
    log = open(os.path.join(WORK, "server.log"), "wb")
    env = dict(os.environ, POSTOFFICE_JAVA_OPTS=os.environ.get("SOAK_JAVA_OPTS", "-Xmx1g"))
    srv = subprocess.Popen([LAUNCHER, "serve", "--data", DATA, "--pop3", f"127.0.0.1:{port}", "--pop3s",
                            f"127.0.0.1:{tls_port}", "--config", os.path.join(WORK, "postoffice.conf"),
                            "--auth-failure-delay", "200ms"], stdout=log, stderr=subprocess.STDOUT, env=env)
    result = {"duration_s": args.duration, "sessions": args.sessions}
    try:
        deadline = time.time() + 120
        while True:
            try:
                Pop(port).close()
                break
            except (OSError, AssertionError):
                assert time.time() < deadline and srv.poll() is None, "the server did not start"
                time.sleep(0.2)
        result["start"] = proc_figures(srv.pid)
        result["quiet"] = phase(port, tls_port, hostile=False)
        result["after_quiet"] = proc_figures(srv.pid)
        result["hostile"] = phase(port, tls_port, hostile=True)
        time.sleep(5)  # closed hostile connections leave the server
        result["end"] = proc_figures(srv.pid)
        left = stored()
        result["accounting"] = {"initial": initial, "delivered": count["delivered"],
                                "retrieved_and_deleted": count["retrieved_deleted"], "left": left}
        result["counts"] = dict(count)
        result["errors_sample"] = errors[:5]
    finally:
        srv.kill()
        srv.wait()
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    problems = []
    for run in ("quiet", "hostile"):
        if result[run]["errors"]:
            problems.append(f"{run}: {result[run]['errors']} errors of the bench: {result[run]['error_samples']}")
    if count["dele_errors"] or count["deliver_failed"]:
        problems.append(f"download-and-delete or deliver errors: {errors[:5]}")
    a = result["accounting"]
    if a["initial"] + a["delivered"] != a["retrieved_and_deleted"] + a["left"]:
        problems.append(f"messages unaccounted for: {a}")
    s, e = result["after_quiet"], result["end"]
    if e["heap_after_gc_mb"] > s["heap_after_gc_mb"] * 1.25 + 16:
        problems.append(f"heap grew: {s['heap_after_gc_mb']} -> {e['heap_after_gc_mb']} MB")
    # The JVM may open a jar of the class path for a class first used under attack (TLS) or start a JIT thread:
    # 2 of slack for those; a leak per connection would show as hundreds.
    if e["fds"] > s["fds"] + 2:
        problems.append(f"file descriptors: {s['fds']} -> {e['fds']}")
    if e["threads"] > s["threads"] + 2:
        problems.append(f"threads: {s['threads']} -> {e['threads']}")
    for p in problems:
        print("FAIL soak: " + p)
    if not problems:
        print("PASS soak")
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print(f"kept {WORK} for inspection")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
