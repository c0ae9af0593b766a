#!/usr/bin/env python3
"""The kill -9 matrix (docs/reliability.md): kills the real server, or `deliver`, with SIGKILL at each step of a
POP3 session and of a delivery, restarts, and checks the maildrop against a ledger of what was acknowledged:

- every message whose delivery was acknowledged (exit 0) is there, whole, exactly once;
- a message whose removal UPDATE acknowledged (+OK to QUIT) never comes back, nor does one seen gone once;
- nothing half-written is visible: every message RETR sends is byte for byte one that was delivered;
- LIST sizes equal the octets RETR sends, UIDLs are unique and never change for a message;
- the stale lock of the killed server never refuses the next login (same host: at once).

Steps the test cannot reach from outside (between two removals of UPDATE, between the writes of a delivery)
are reached with the test hook POSTOFFICE_TEST_CRASH_AT, with which the process kills itself there; the others
are timing-free: the client kills the server after reading an answer (or part of RETR's), or kills `deliver`
once its temporary file has data. KILL_MATRIX_RANDOM=N adds N iterations at random steps (a longer run).
KILL_MATRIX_STORE=postgresql runs the same matrix on the PostgreSQL store (a private Debian PostgreSQL cluster),
where the hooks sit at the same points of its transactions: body written but not committed, committed but not
reported, and UPDATE's deletions made but not committed (so that, there, nothing may be gone).
"""
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import itlib
from itlib import Postgres, Server, add_user, canonical, ensure_package, free_port, run, test

WORK = tempfile.mkdtemp(prefix="postoffice-kill-")
DATA = os.path.join(WORK, "data")
MAILDIR = os.path.join(DATA, "home", "alice", "Maildir")
PASSWORD = "kill-matrix-pw"
CRASH = "POSTOFFICE_TEST_CRASH_AT"
STORE = os.environ.get("KILL_MATRIX_STORE", "maildir")
PG = None           # the PostgreSQL cluster when STORE is postgresql
STORE_ARGS = []     # --store URL for every command, on PostgreSQL
LEASE_TTL = 3       # seconds: the PostgreSQL store's lease-ttl in this test (the default is 15)

known = {}          # seq -> the bytes handed to deliver
by_lmtp = set()     # seqs sent over LMTP: stored after the listener's trace headers
acked = set()       # deliveries acknowledged with exit 0
removed = set()     # removals acknowledged with +OK to QUIT
dropped = set()     # marked for removal in an UPDATE that was killed: may be there or not
seen = set()        # seqs LIST has shown at least once
gone = set()        # seqs once seen and then absent: must never come back
uidl_of = {}        # seq -> the UIDL served for it
server = None
next_seq = [1]
stats = {"restart_to_login": []}


def message(size=0):
    seq = next_seq[0]
    next_seq[0] += 1
    body = f"From: matrix@example.org\nSubject: seq {seq}\nX-Seq: {seq}\n\n".encode()
    body += (b"line of the message body, long enough to matter.\n" * (size // 50 + 1))[:size] + b"end\n"
    known[seq] = body
    return seq, body


def deliver(size=0, env=None):
    seq, body = message(size)
    r = run(["deliver", "--user", "alice", "--data", DATA, *STORE_ARGS], stdin=body, env=env)
    if r.returncode == 0:
        acked.add(seq)
    return seq, r.returncode


LMTP_PORT = free_port()


def start(env=None):
    global server
    t0 = time.time()
    server = Server(DATA, WORK, env=env, extra=("--lmtp", f"127.0.0.1:{LMTP_PORT}", *STORE_ARGS))
    return t0


class Lmtp:
    """An LMTP client (RFC 2033) for one transaction to alice; returns what it got for the data."""

    def __init__(self):
        deadline = time.time() + 60
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", LMTP_PORT), timeout=60)
                break
            except OSError:
                assert time.time() < deadline, "the LMTP listener did not start"
                time.sleep(0.1)
        self.f = self.sock.makefile("rb")
        assert self.reply().startswith(b"220"), "LMTP greeting"
        for cmd in (b"LHLO matrix.test", b"MAIL FROM:<matrix@example.org>", b"RCPT TO:<alice>"):
            self.sock.sendall(cmd + b"\r\n")
            r = self.reply()
            assert r.startswith(b"250"), (cmd, r)
        self.sock.sendall(b"DATA\r\n")
        assert self.reply().startswith(b"354")

    def reply(self):
        while True:
            ln = self.f.readline()
            if not ln:
                return b""
            if ln[3:4] != b"-":
                return ln.rstrip(b"\r\n")

    def close(self):
        self.f.close()
        self.sock.close()


def lmtp_message(size):
    seq, body = message(size)
    by_lmtp.add(seq)
    wire = canonical(body)
    return seq, wire.replace(b"\r\n.", b"\r\n..")


def lmtp_deliver(size=1000):
    """One whole LMTP transaction to the running server: (seq, the reply to the data, b'' if the link broke)."""
    seq, wire = lmtp_message(size)
    c = Lmtp()
    try:
        c.sock.sendall(wire + b".\r\n")
        reply = c.reply()
    except OSError:
        reply = b""
    c.close()
    if reply.startswith(b"250"):
        acked.add(seq)
    return seq, reply


def restart_and_check(t_kill=None):
    """A fresh server, then the checks of the ledger; returns the (seq -> number) of this session."""
    if server is None or server.proc.poll() is not None:
        start()
    p = server.client()
    r = p.login("alice", PASSWORD)
    t0 = time.time()
    while STORE == "postgresql" and b"[IN-USE]" in r:
        # The killed node's lease lasts until its liveness expires: the documented limit, lease-ttl.
        assert time.time() - t0 < LEASE_TTL + 5, f"still in use {LEASE_TTL + 5} s after the kill"
        p.close()
        time.sleep(0.2)
        p = server.client()
        r = p.login("alice", PASSWORD)
    assert r.startswith(b"+OK"), f"login after a kill: {r!r}\n{server.output()[-2000:]}"
    if t_kill is not None:
        stats["restart_to_login"].append(time.time() - t_kill)
    sizes = p.listing()
    uidls = p.uidls()
    assert len(set(uidls.values())) == len(uidls), "duplicate UIDLs"
    present = {}
    for n in sorted(sizes):
        _, body = p.multi(f"RETR {n}")
        assert len(body) == sizes[n], f"LIST {n} says {sizes[n]}, RETR sent {len(body)}"
        m = re.search(rb"\r\nX-Seq: (\d+)\r\n", body)
        assert m, f"message {n} is no message of the test (half-written?): {body[:200]!r}"
        seq = int(m.group(1))
        if seq in by_lmtp:  # the listener's Return-Path and Received lines come first
            head, _, rest = body.partition(b"From: matrix@example.org\r\n")
            assert re.fullmatch(rb"(?:(?:Return-Path|Delivered-To|Received):[^\r]*\r\n(?:[ \t][^\r]*\r\n)*)+", head), \
                f"message seq {seq} starts with something other than trace headers: {head[:300]!r}"
            body = b"From: matrix@example.org\r\n" + rest
        assert body == canonical(known[seq]), f"message seq {seq} is not whole"
        assert seq not in present, f"message seq {seq} is there twice"
        assert seq not in removed, f"message seq {seq} came back after UPDATE removed it"
        assert seq not in gone, f"message seq {seq} came back after it was gone"
        assert uidl_of.setdefault(seq, uidls[n]) == uidls[n], f"UIDL of seq {seq} changed"
        present[seq] = n
    missing = acked - removed - dropped - gone - set(present)
    assert not missing, f"acknowledged messages lost: {sorted(missing)}"
    gone.update(seen - set(present))
    seen.update(present)
    assert p.cmd("QUIT").startswith(b"+OK")
    p.close()
    if STORE == "maildir":
        assert not os.path.exists(os.path.join(MAILDIR, "postoffice-pop3.lock")), "lock left after QUIT"
    return present


def kill_server():
    server.kill9()
    return time.time()


def session(env=None):
    """A server (started with env if given) and a logged-in client; returns (client, seq -> number)."""
    global server
    if env is not None or server is None or server.proc.poll() is not None:
        if server is not None:
            server.stop()
        start(env)
    present = restart_and_check()
    p = server.client()
    assert p.login("alice", PASSWORD).startswith(b"+OK")
    return p, present


def fill(n=3):
    for _ in range(n):
        _, code = deliver(200)
        assert code == 0


def kill_after_login():
    fill()
    p, _ = session()
    t = kill_server()
    p.close()
    restart_and_check(t)


def kill_during_retr():
    seq, code = deliver(4_000_000)
    assert code == 0
    p, present = session()
    p.ok(f"RETR {present[seq]}")
    got = 0
    while got < 65536:
        got += len(p.f.read1(65536))
    t = kill_server()
    p.close()
    restart_and_check(t)


def kill_after_each_dele():
    fill()
    for dele in (1, 2):
        p, present = session()
        for n in range(1, dele + 1):
            p.ok(f"DELE {n}")
        t = kill_server()  # after the DELE's +OK: nothing was removed, nothing may be
        p.close()
        after = restart_and_check(t)
        assert set(present) == set(after), (present, after)


def kill_during_update_between_two_removals():
    fill()
    p, present = session(env={CRASH: "update-removed@1"})
    for n in (1, 2, 3):
        p.ok(f"DELE {n}")
    p.send("QUIT")
    try:
        reply = p.line()
    except (ConnectionError, OSError):
        reply = b""
    assert not reply.startswith(b"+OK"), f"QUIT answered {reply!r} although the server was to die in UPDATE"
    server.proc.wait(timeout=60)
    t = time.time()
    p.close()
    by_number = {n: s for s, n in present.items()}
    dropped.update(by_number[n] for n in (1, 2, 3))
    after = restart_and_check(t)
    if STORE == "maildir":
        assert by_number[1] not in after, "the first removal of the killed UPDATE came back"
        assert by_number[2] in after and by_number[3] in after, "UPDATE was killed before the second removal"
    else:  # one transaction: killed before its commit, it removed nothing
        assert all(by_number[n] in after for n in (1, 2, 3)), "a removal of an UPDATE killed before its commit"


def kill_after_quit_reply():
    fill()
    p, present = session()
    by_number = {n: s for s, n in present.items()}
    p.ok("DELE 1")
    p.ok("DELE 2")
    assert p.cmd("QUIT").startswith(b"+OK")
    removed.update({by_number[1], by_number[2]})
    t = kill_server()
    p.close()
    restart_and_check(t)


def kill_deliver_during_the_body():
    seq, body = message(3_000_000)
    proc = subprocess.Popen([itlib.LAUNCHER, "deliver", "--user", "alice", "--data", DATA, *STORE_ARGS],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write(body[: len(body) // 2])
    proc.stdin.flush()
    deadline = time.time() + 120
    while not body_being_written():
        assert time.time() < deadline and proc.poll() is None, "deliver never started writing the body"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    try:
        proc.stdin.close()
    except OSError:
        pass
    assert seq not in restart_and_check()


def body_being_written():
    """Whether a delivery has written part of a body: a Maildir tmp/ file with data, or body chunks inserted by a
    transaction not yet committed (its last statement, as PostgreSQL shows it)."""
    if STORE == "maildir":
        tmp = os.path.join(MAILDIR, "tmp")
        return any(os.path.getsize(os.path.join(tmp, f)) > 0 for f in os.listdir(tmp))
    return PG.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'postoffice'"
                   " AND query ILIKE '%body_chunk%' AND xact_start IS NOT NULL").strip() != "0"


def deliver_killed_at(step):
    seq, code = deliver(1000, env=dict(os.environ, **{CRASH: step}))
    assert code == -signal.SIGKILL, f"deliver was to kill itself at {step}: {code}"
    return seq, restart_and_check()


def kill_deliver_after_the_temporary_file():
    seq, present = deliver_killed_at("deliver-tmp-written")
    assert seq not in present, "a message that was never renamed into new/ is visible"


def kill_deliver_after_the_rename():
    deliver_killed_at("deliver-renamed")  # not acknowledged: there whole, or not at all


def kill_deliver_before_the_reply():
    seq, present = deliver_killed_at("deliver-before-reply")
    assert seq in present, "a message renamed and synced before the kill is gone"


def server_with(env):
    global server
    if server is not None:
        server.stop()
    start(env)


def spool_left():
    spool = os.path.join(DATA, "spool")
    return os.listdir(spool) if os.path.isdir(spool) else []


def kill_lmtp_during_the_body():
    if server is None or server.proc.poll() is not None:
        start()
    seq, wire = lmtp_message(3_000_000)
    c = Lmtp()
    c.sock.sendall(wire[: len(wire) // 2])  # past the in-memory megabyte: spooled to a file

    def spooling():
        fds = f"/proc/{server.proc.pid}/fd"
        for fd in os.listdir(fds):
            try:
                if re.search(r"lmtp-.*\.spool \(deleted\)$", os.readlink(os.path.join(fds, fd))):
                    return True
            except OSError:
                pass
        return False

    deadline = time.time() + 120
    while not spooling():
        assert time.time() < deadline, "the server never spooled the half-sent message"
        time.sleep(0.05)
    t = kill_server()
    c.close()
    assert seq not in restart_and_check(t), "a message whose data never ended is visible"
    assert not spool_left(), f"the killed transaction left spool files: {spool_left()}"


def lmtp_killed_at(step):
    server_with({CRASH: step})
    seq, reply = lmtp_deliver()
    assert not reply.startswith(b"250"), f"the server was to kill itself at {step}, yet answered {reply!r}"
    server.proc.wait(timeout=60)
    assert server.proc.returncode == -signal.SIGKILL, f"server exit {server.proc.returncode} at {step}"
    t = time.time()
    server_with(None)
    return seq, restart_and_check(t)


def kill_lmtp_after_the_temporary_file():
    seq, present = lmtp_killed_at("deliver-tmp-written")
    assert seq not in present, "a message that was never renamed into new/ is visible"


def kill_lmtp_after_the_rename():
    lmtp_killed_at("deliver-renamed")  # no 250 was given: there whole, or not at all


def kill_lmtp_before_the_reply():
    seq, present = lmtp_killed_at("lmtp-before-reply")
    assert seq in present, "a message stored and synced before the kill is gone"


def lmtp_acknowledged():
    server_with(None)
    seq, reply = lmtp_deliver()
    assert reply.startswith(b"250"), reply
    assert seq in restart_and_check()


STEPS = [kill_after_login, kill_during_retr, kill_after_each_dele, kill_during_update_between_two_removals,
         kill_after_quit_reply, kill_deliver_during_the_body, kill_deliver_after_the_temporary_file,
         kill_deliver_after_the_rename, kill_deliver_before_the_reply, lmtp_acknowledged, kill_lmtp_during_the_body,
         kill_lmtp_after_the_temporary_file, kill_lmtp_after_the_rename, kill_lmtp_before_the_reply]


def main():
    global PG
    os.makedirs(DATA)
    if STORE == "postgresql":
        if not ensure_package("postgresql", "/usr/lib/postgresql/*/bin/initdb"):
            print("SKIP kill matrix on PostgreSQL: the postgresql package is missing and cannot be installed here")
            return 0
        PG = Postgres(WORK)
        os.environ["POSTOFFICE_DB_PASSWORD"] = PG.password
        STORE_ARGS.extend(["--store", PG.url() + f"&lease-ttl={LEASE_TTL}s"])
        r = run(["db", "migrate", *STORE_ARGS])
        assert r.returncode == 0, r
        r = run(["user", "add", "alice", *STORE_ARGS], stdin=(PASSWORD + "\n").encode())
        assert r.returncode == 0, r
    else:
        add_user(DATA, "alice", PASSWORD)
    started = time.time()
    try:
        for step in STEPS:
            test(step)
        rounds = int(os.environ.get("KILL_MATRIX_RANDOM", "0"))
        rng = random.Random(int(os.environ.get("KILL_MATRIX_SEED", "15")))
        for i in range(rounds):
            step = rng.choice(STEPS)
            test(step, f"random-{i}-{step.__name__}")
        test(restart_and_check, "final_check")
    finally:
        if server is not None:
            server.kill9()
        if PG is not None:
            PG.stop()
    waits = stats["restart_to_login"]
    print(f"kill matrix ({STORE}): {len(known)} messages, {len(acked)} acknowledged, {len(removed)} removed by UPDATE, "
          f"{len(gone)} gone; restart to first login after a kill: max {max(waits, default=0):.1f}s "
          f"(JVM start included); {time.time() - started:.0f}s", flush=True)
    if all(ok for _, ok in itlib.results):
        subprocess.run(["rm", "-rf", WORK])
    else:
        print(f"kept {WORK} for inspection")
    itlib.summary()


if __name__ == "__main__":
    sys.exit(main())
