#!/usr/bin/env python3
"""End-to-end: switching a Maildir from Dovecot to Postoffice without a single re-download.

Starts Dovecot 2.3 with ../shared/bench/dovecot.sh on a Maildir, records the UIDL list it serves (poplib) and
lets mpop fetch everything in keep mode; stops it, starts `postoffice serve` on the same Maildir and users file,
and checks that the UIDL list and the message order are identical and that mpop fetches nothing new (then exactly
the one message delivered after the switch). Once with Dovecot's default pop3_uidl_format, once with `%u`.

Needs root (dovecot.sh installs dovecot-pop3d and runs it as a service user); skips with a message when Dovecot
cannot be installed or started. Installs mpop with apt-get if missing. Prints 'N passed, N failed'.
"""
import os
import poplib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "postoffice")
DOVECOT_SH = os.environ.get("DOVECOT_SH", os.path.join(os.path.dirname(ROOT), "shared", "bench", "dovecot.sh"))
USER, PASSWORD = "alice", "alice-pw"
results = []


T0 = time.time()


def step(what):
    if os.environ.get("DOVECOT_IT_TIMES"):
        print(f"  {time.time() - T0:6.2f}s {what}", flush=True)


def skip(why):
    print(f"dovecot migration: SKIPPED: {why}", flush=True)
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def message(n, seconds):
    """A message file as Dovecot's LDA would name and write it (LF line ends, no size in the name)."""
    name = f"{seconds}.M{n}P{1000 + n}.mx"
    body = f"From: sender{n}@example.org\nTo: alice@example.org\nSubject: message {n}\n\nBody {n}.\n".encode()
    return name, body


class Dovecot:
    """dovecot.sh on DIR; `settings` are appended to the configuration it writes and applied by a reload."""

    def __init__(self, work, settings=()):
        self.work, self.port = work, free_port()
        r = subprocess.run(["bash", DOVECOT_SH, "start", work, str(self.port)], capture_output=True, timeout=600)
        if r.returncode != 0 or not os.path.exists(os.path.join(work, "dovecot.pid")):
            skip(f"dovecot.sh could not start Dovecot: {r.stderr.decode(errors='replace')[-500:]}")
        self.pid = int(open(os.path.join(work, "dovecot.pid")).read())
        if settings:
            # dovecot.sh writes its configuration at every start and offers no hook: add ours and reload.
            log = os.path.join(work, "dovecot.log")
            before = os.path.getsize(log) if os.path.exists(log) else 0
            with open(os.path.join(work, "dovecot.conf"), "a") as f:
                f.write("".join(s + "\n" for s in settings))
            os.kill(self.pid, signal.SIGHUP)
            deadline = time.time() + 20
            while time.time() < deadline:
                with open(log, "rb") as f:
                    f.seek(before)
                    if b"reloading configuration" in f.read():
                        break
                time.sleep(0.1)
            else:
                raise RuntimeError("Dovecot did not reload its configuration")
            time.sleep(0.5)
        wait_for_greeting(self.port)

    def stop(self):
        subprocess.run(["bash", DOVECOT_SH, "stop", self.work], check=True, timeout=60)


class Postoffice:
    def __init__(self, data, extra=()):
        self.port = free_port()
        env = dict(os.environ, POSTOFFICE_NO_BUILD=os.environ.get("POSTOFFICE_NO_BUILD", "1"))
        self.log = open(os.path.join(data, f"postoffice-{self.port}.log"), "wb")
        self.proc = subprocess.Popen(
            [LAUNCHER, "serve", "--data", data, "--pop3", f"127.0.0.1:{self.port}", "--pop3s", "off", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_for_greeting(self.port, self.proc)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def wait_for_greeting(port, proc=None):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"+OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no POP3 greeting on port {port}")


def uidl_list(port):
    """[(number, uidl, subject)] as the server lists them."""
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    try:
        p.user(USER)
        p.pass_(PASSWORD)
        out = []
        for line in p.uidl()[1]:
            num, uidl = line.decode().split(" ", 1)
            top = p.top(int(num), 0)[1]
            subject = next(h.decode() for h in top if h.lower().startswith(b"subject:"))
            out.append((int(num), uidl, subject))
        return out
    finally:
        p.quit()


def mpop_fetch(work, port):
    """Runs mpop in keep mode against the server; returns how many messages it delivered."""
    conf = os.path.join(work, "mpoprc")
    mbox = os.path.join(work, "fetched.mbox")
    with open(conf, "w") as f:
        f.write(f"""defaults
tls off
auth user
keep on
only_new on
uidls_file {work}/mpop-uidls
account migration
host 127.0.0.1
user {USER}
password {PASSWORD}
delivery mbox {mbox}
""")
    os.chmod(conf, 0o600)
    before = count_mbox(mbox)
    r = subprocess.run(["mpop", "-C", conf, f"--port={port}", "migration"], capture_output=True, timeout=60)
    assert r.returncode == 0, r
    return count_mbox(mbox) - before


def count_mbox(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        return sum(1 for line in f if line.startswith(b"From "))


def have_mpop():
    if shutil.which("mpop"):
        return True
    r = subprocess.run(["bash", "-c", "apt-get install -y -qq mpop >/dev/null 2>&1 || "
                        "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mpop)"],
                       capture_output=True, timeout=600)
    return r.returncode == 0 and shutil.which("mpop") is not None


def scenario(dovecot_settings, postoffice_settings, looks_like):
    work = tempfile.mkdtemp(prefix="postoffice-dovecot-")
    os.chmod(work, 0o755)  # Dovecot's service user must reach it
    try:
        maildir = os.path.join(work, "mail", USER, "Maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(maildir, sub))
        with open(os.path.join(work, "users"), "w") as f:
            f.write(f"{USER}:{{PLAIN}}{PASSWORD}:0:0::{work}/mail/{USER}::\n")

        def put(n, seconds):
            name, body = message(n, seconds)
            with open(os.path.join(maildir, "new", name), "wb") as f:
                f.write(body)
            return name

        # Two batches, the second with older names: Dovecot numbers them in the order it saw them, which is
        # not the order Postoffice would give them on its own.
        put(1, 1700000300)
        put(2, 1700000400)
        dovecot = Dovecot(work, dovecot_settings)
        step('dovecot started')
        try:
            uidl_list(dovecot.port)
            put(3, 1700000100)
            put(4, 1700000200)
            served = uidl_list(dovecot.port)
            step('dovecot listed')
            fetched = mpop_fetch(work, dovecot.port) if MPOP else None
            step('mpop from dovecot')
            served_after = uidl_list(dovecot.port)  # RETR marked them seen: the files now carry flags
        finally:
            dovecot.stop()
            step('dovecot stopped')
        assert served == served_after, (served, served_after)
        assert [s for _, _, s in served] == [f"Subject: message {n}" for n in (1, 2, 3, 4)], served
        assert all(looks_like(u) for _, u, _ in served), served
        assert fetched in (None, 4), fetched
        assert os.listdir(os.path.join(maildir, "new")) == [], "Dovecot moved everything to cur/"
        uidlist = os.path.join(maildir, "dovecot-uidlist")
        uidlist_before = (open(uidlist, "rb").read(), os.stat(uidlist).st_mtime_ns)

        server = Postoffice(work, postoffice_settings)
        step('postoffice started')
        try:
            ours = uidl_list(server.port)
            step('postoffice listed')
            assert ours == served, f"Dovecot served {served}\nPostoffice serves {ours}"
            if MPOP:
                assert mpop_fetch(work, server.port) == 0, "mpop fetched again what it had from Dovecot"
            late = put(5, 1700000000)  # delivered after the switch, and older by name than all the others
            ours = uidl_list(server.port)
            assert ours == served + [(5, late, "Subject: message 5")], ours
            if MPOP:
                assert mpop_fetch(work, server.port) == 1
        finally:
            assert server.stop() == 0
            step('postoffice stopped')
        assert (open(uidlist, "rb").read(), os.stat(uidlist).st_mtime_ns) == uidlist_before, \
            "Postoffice must never write dovecot-uidlist"
        print(f"  Dovecot {dovecot_settings or 'default'}: {[u for _, u, _ in served]}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test(fn):
    started = time.time()
    try:
        fn()
        results.append(True)
        print(f"PASS {fn.__name__} ({time.time() - started:.1f}s)", flush=True)
    except Exception:
        results.append(False)
        print(f"FAIL {fn.__name__}\n{traceback.format_exc()}", flush=True)


if os.geteuid() != 0:
    skip("needs root (dovecot.sh installs dovecot-pop3d and runs it as a service user)")
if not os.path.exists(DOVECOT_SH):
    skip(f"{DOVECOT_SH} not found (set DOVECOT_SH)")
MPOP = have_mpop()
if not MPOP:
    print("dovecot migration: mpop could not be installed; checking the UIDL lists only", flush=True)


@test
def default_uidl_format_carries_over():
    scenario((), (), lambda u: len(u) == 16 and all(c in "0123456789abcdef" for c in u))


@test
def uid_only_format_carries_over():
    scenario(("pop3_uidl_format = %u",), ("--set", "dovecot-uidl-format=%u"), str.isdigit)


passed = sum(results)
print(f"dovecot migration: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
