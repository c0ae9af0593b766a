#!/usr/bin/env python3
"""End-to-end tests of delivery over LMTP: `postoffice serve --lmtp` driven by swaks (--protocol LMTP) and by a
real Postfix relaying to it, each message then read back over POP3 with curl and compared byte for byte.

swaks and postfix are installed with apt-get when missing (Postfix with the "No configuration" answer, so no
system mail configuration is written). Postfix runs from a temporary config_directory and queue_directory on
loopback and is stopped at the end. Needs root for Postfix (its queue belongs to the postfix user); the Postfix
tests are skipped with a message without it. Prints 'N passed, N failed' and exits non-zero on any failure.
"""
import os
import re
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
WORK = tempfile.mkdtemp(prefix="postoffice-lmtp-it-")
DATA = os.path.join(WORK, "data")
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw"}
BOB_QUOTA = 4000
results = []


def run(args, stdin=None):
    return subprocess.run([LAUNCHER] + args, input=stdin, capture_output=True, timeout=120)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, banner, what, proc=None):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(200).startswith(banner):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


def test(fn):
    name = fn.__name__
    started = time.time()
    try:
        fn()
        results.append((name, True))
        print(f"PASS {name} ({time.time() - started:.1f}s)", flush=True)
    except Exception:
        results.append((name, False))
        print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
    return fn


def apt_install(*packages):
    missing = [p for p in packages if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["debconf-set-selections"], input=b"postfix postfix/main_mailer_type select No configuration\n",
                   capture_output=True)
    cmd = ["apt-get", "install", "-y", "-qq", *missing]
    if subprocess.run(cmd, capture_output=True, env=env, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env, timeout=900)
        if subprocess.run(cmd, capture_output=True, env=env, timeout=900).returncode != 0:
            return False
    return True


class Server:
    def __init__(self):
        self.pop3 = free_port()
        self.lmtp = free_port()
        self.log = open(os.path.join(WORK, f"server-{self.pop3}.log"), "wb")
        self.proc = subprocess.Popen(
            [LAUNCHER, "serve", "--data", DATA, "--pop3", f"127.0.0.1:{self.pop3}", "--pop3s", "off",
             "--lmtp", f"127.0.0.1:{self.lmtp}", "--set", "quota-full-tempfail=yes", "--hostname", "store.test"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.pop3, b"+OK", "postoffice", self.proc)
        wait_for(self.lmtp, b"220 ", "postoffice lmtp", self.proc)

    def output(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def curl(self, user, path=""):
        r = subprocess.run(["curl", "-sS", "--max-time", "60", "-u", f"{user}:{PASSWORDS[user]}",
                            f"pop3://127.0.0.1:{self.pop3}/{path}"], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def messages(self, user):
        listing = self.curl(user).decode().split()
        return [self.curl(user, str(n)) for n in range(1, len(listing) // 2 + 1)]

    def delete_all(self, user):
        n = len(self.curl(user).decode().split()) // 2
        for _ in range(n):  # one session each: message 1 is always the next one
            r = subprocess.run(["curl", "-sS", "--max-time", "60", "-u", f"{user}:{PASSWORDS[user]}", "-X",
                                "DELE", "-I", f"pop3://127.0.0.1:{self.pop3}/1"], capture_output=True, timeout=120)
            assert r.returncode == 0, r.stderr

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=30)
        return self.proc.returncode


def body_of(stored):
    """The message below the trace headers the store added (Return-Path, Delivered-To, Received)."""
    m = re.match(rb"Return-Path: <[^>]*>\r\n(Delivered-To: [^\r]*\r\n)?Received: [^\r]*\r\n(\t[^\r]*\r\n)*", stored)
    assert m, stored[:300]
    return stored[m.end():]


def swaks(port, *args, data=None):
    cmd = ["swaks", "--protocol", "LMTP", "--server", "127.0.0.1", "--port", str(port), "--helo", "mta.test",
           "--from", "sender@remote.test", "--timeout", "120", *args]
    if data is not None:
        path = os.path.join(WORK, f"msg-{time.time_ns()}.eml")
        with open(path, "wb") as f:
            f.write(data)
        cmd += ["--data", "@" + path]
    return subprocess.run(cmd, capture_output=True, timeout=300)


def setup():
    for user, pw in PASSWORDS.items():
        r = run(["user", "add", user, "--data", DATA, "--scheme", "PLAIN"], stdin=(pw + "\n").encode())
        assert r.returncode == 0, r
    users = os.path.join(DATA, "users")
    with open(users) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        if line.startswith("bob:"):
            fields = line.split(":")
            fields += [""] * (7 - len(fields))
            line = ":".join(fields[:7] + [f"quota_bytes={BOB_QUOTA}"])
        out.append(line)
    with open(users, "w") as f:
        f.write("\n".join(out) + "\n")


MESSAGE = b"From: sender@remote.test\r\nSubject: lmtp test\r\n\r\n" + b"Body line\r\n" * 200  # 2451 octets


class RawLmtp:
    """A byte-level LMTP client for what swaks cannot send: BDAT and several pipelined transactions."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.f = self.s.makefile("rb")
        assert self.line().startswith(b"220 ")

    def line(self):
        line = self.f.readline()
        assert line.endswith(b"\r\n"), line
        return line[:-2]

    def reply(self):
        lines = [self.line()]
        while lines[-1][3:4] == b"-":
            lines.append(self.line())
        return lines

    def send(self, data):
        self.s.sendall(data)

    def close(self):
        self.s.close()


def postfix_available():
    if os.geteuid() != 0:
        return "needs root (Postfix's queue belongs to the postfix user)"
    if not apt_install("postfix"):
        return "cannot install postfix"
    return None


class Postfix:
    """A Postfix of its own: config_directory and queue_directory under WORK, SMTP on loopback, relaying
    example.org to Postoffice's LMTP listener, retrying deferred mail within seconds."""

    def __init__(self, lmtp_port):
        self.dir = os.path.join(WORK, "postfix")
        self.conf = os.path.join(self.dir, "conf")
        self.queue = os.path.join(self.dir, "queue")
        data = os.path.join(self.dir, "data")
        os.chmod(WORK, 0o755)  # the postfix user must reach its queue below it
        for d in (self.conf, self.queue, data):
            os.makedirs(d)
        shutil.chown(data, "postfix")
        self.port = free_port()
        self.maillog = os.path.join(self.dir, "maillog")
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {self.queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = example.org
relay_transport = lmtp:inet:127.0.0.1:{lmtp_port}
maillog_file_prefixes = {self.dir}
maillog_file = {self.maillog}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtpd_banner = $myhostname ESMTP
""")
        services = [("pickup", "n", "60", "1"), ("cleanup", "n", "-", "0"), ("qmgr", "n", "300", "1"),
                    ("rewrite trivial-rewrite", "-", "-", "-"), ("bounce", "-", "-", "0"),
                    ("defer bounce", "-", "-", "0"), ("trace bounce", "-", "-", "0"), ("verify", "-", "-", "1"),
                    ("flush", "n", "1000?", "0"), ("proxymap", "-", "-", "-"), ("smtp", "-", "-", "-"),
                    ("relay smtp", "-", "-", "-"), ("showq", "n", "-", "-"), ("error", "-", "-", "-"),
                    ("retry error", "-", "-", "-"), ("discard", "-", "-", "-"), ("lmtp", "-", "-", "-"),
                    ("anvil", "-", "-", "1"), ("scache", "-", "-", "1")]
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(f"127.0.0.1:{self.port} inet n - n - - smtpd\n")
            for name, private, wakeup, limit in services:
                service, _, command = name.partition(" ")
                f.write(f"{service} unix {private} - n {wakeup} {limit} {command or service}\n")
            f.write("postlog unix-dgram n - n - 1 postlogd\n")
        r = subprocess.run(["postfix", "-c", self.conf, "start"], capture_output=True, timeout=120)
        assert r.returncode == 0, (r, self.log())
        wait_for(self.port, b"220 ", "postfix")

    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def flush(self):
        subprocess.run(["postfix", "-c", self.conf, "flush"], capture_output=True, timeout=60)

    def stop(self):
        subprocess.run(["postfix", "-c", self.conf, "stop"], capture_output=True, timeout=120)
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        deadline = time.time() + 30
        while os.path.exists(f"/proc/{pid}") and time.time() < deadline:
            time.sleep(0.2)
        assert not os.path.exists(f"/proc/{pid}"), "postfix did not stop"


def eventually(fn, what, timeout=90):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.5)


def main():
    if not apt_install("swaks"):
        print("lmtp: cannot install swaks")
        return 1
    setup()
    srv = Server()
    try:
        run_tests(srv)
    finally:
        srv.stop()
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"lmtp: {passed} passed, {failed} failed")
    return 1 if failed else 0


def run_tests(srv):
    @test
    def swaks_several_recipients_one_unknown_one_over_quota():
        filler = b"Subject: filler\r\n\r\n" + b"x" * 2000 + b"\r\n"
        r = run(["deliver", "--user", "bob", "--data", DATA], stdin=filler)
        assert r.returncode == 0, r
        r = swaks(srv.lmtp, "--to", "alice@example.org,nobody@example.org,bob+box@example.org",
                  "--no-data-fixup", data=MESSAGE + b".\r\n")
        out = r.stdout.decode()
        assert "<** 550 5.1.1 <nobody@example.org>" in out, out
        assert re.search(r"<-\s+250 2\.0\.0 <alice@example\.org>", out), out
        assert re.search(r"<\*\* 452 4\.2\.2 <bob\+box@example\.org>", out), out
        got = srv.messages("alice")
        assert len(got) == 1 and body_of(got[0]) == MESSAGE, got
        assert got[0].startswith(b"Return-Path: <sender@remote.test>\r\nReceived: from mta.test"), got[0][:200]
        assert len(srv.messages("bob")) == 1

    @test
    def swaks_bare_lf_bare_cr_and_dots_verbatim():
        data = b"Subject: bare\n\nline\n.\r\nMAIL FROM:<x@y>\r\n..dotted\r\nbare\rcr\r\n.\r\n"
        r = swaks(srv.lmtp, "--to", "carol@example.org", "--no-data-fixup", data=data)
        assert r.returncode == 0, r.stdout.decode()
        got = srv.messages("carol")[-1]
        assert got.startswith(b"Return-Path: <sender@remote.test>\r\nDelivered-To: carol@example.org\r\n"), got
        assert body_of(got) == b"Subject: bare\r\n\r\nline\r\n.\r\nMAIL FROM:<x@y>\r\n.dotted\r\nbare\r\ncr\r\n", got

    @test
    def swaks_twenty_megabytes():
        line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.0123456789\r\n"
        big = b"Subject: big\r\n\r\n" + line * (20 * 1024 * 1024 // len(line))
        r = swaks(srv.lmtp, "--to", "alice@example.org", "--no-data-fixup", data=big + b".\r\n")
        assert r.returncode == 0, r.stdout.decode()[-2000:]
        got = srv.messages("alice")[-1]
        assert body_of(got) == big, (len(got), len(big))

    @test
    def pipelined_transactions_and_bdat():
        c = RawLmtp(srv.lmtp)
        batch = b"LHLO raw.test\r\n"
        for i in range(3):
            batch += (b"MAIL FROM:<p@remote.test>\r\nRCPT TO:<carol>\r\nDATA\r\nSubject: pipelined %d\r\n\r\n"
                      b"body %d\r\n.\r\n" % (i, i))
        chunk1, chunk2 = b"Subject: chunked\r\n\r\n.not stuffed", b"\r\nbare\nlf\r\n"
        batch += b"MAIL FROM:<p@remote.test>\r\nRCPT TO:<carol>\r\nBDAT %d\r\n%sBDAT %d LAST\r\n%sQUIT\r\n" % (
            len(chunk1), chunk1, len(chunk2), chunk2)
        c.send(batch)
        assert c.reply()[-1].startswith(b"250 ")
        for i in range(3):
            assert [c.line()[:3] for _ in range(4)] == [b"250", b"250", b"354", b"250"]
        assert [c.line()[:3] for _ in range(5)] == [b"250", b"250", b"250", b"250", b"221"]
        c.close()
        got = srv.messages("carol")[-4:]
        assert [body_of(m) for m in got[:3]] == [b"Subject: pipelined %d\r\n\r\nbody %d\r\n" % (i, i)
                                                 for i in range(3)], got
        assert body_of(got[3]) == b"Subject: chunked\r\n\r\n.not stuffed\r\nbare\r\nlf\r\n", got[3]

    @test
    def quota_command_reports_the_usage():
        r = run(["quota", "--data", DATA, "bob"])
        assert r.returncode == 0, r
        cols = r.stdout.decode().splitlines()[1].split()
        assert cols[0] == "bob" and cols[2] == str(BOB_QUOTA) and cols[3] == "1", cols

    @test
    def a_usage_file_linked_elsewhere_is_replaced_never_written_through():
        # A mail user can plant Maildir/postoffice-usage -> any file; every delivery and UPDATE rewrites the
        # usage in place, and used to truncate and overwrite the link's target.
        maildir = os.path.join(DATA, "home", "carol", "Maildir")
        usage = os.path.join(maildir, "postoffice-usage")
        victim = os.path.join(WORK, "victim")

        def plant():
            with open(victim, "wb") as f:
                f.write(b"precious\n")
            if os.path.lexists(usage):
                os.remove(usage)
            os.symlink(victim, usage)

        plant()
        before = len(srv.messages("carol"))
        r = swaks(srv.lmtp, "--to", "carol@example.org", "--no-data-fixup", data=MESSAGE + b".\r\n")
        assert r.returncode == 0, r.stdout.decode()
        assert open(victim, "rb").read() == b"precious\n"
        assert os.path.isfile(usage) and not os.path.islink(usage)
        assert len(srv.messages("carol")) == before + 1
        assert f"{usage} is not a regular file (a symbolic link)" in srv.output(), srv.output()[-2000:]
        plant()
        srv.delete_all("carol")  # UPDATE rewrites the usage too
        assert open(victim, "rb").read() == b"precious\n"
        assert srv.messages("carol") == []
        r = run(["quota", "--data", DATA, "carol"])
        assert r.returncode == 0 and r.stdout.decode().splitlines()[1].split()[3] == "0", r

    why = postfix_available()
    if why:
        print(f"SKIP postfix tests: {why}")
        return

    pf = Postfix(srv.lmtp)
    try:
        @test
        def postfix_relays_over_lmtp_and_retries_after_space_is_freed():
            r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(pf.port), "--helo", "client.test",
                                "--from", "far@remote.test", "--to", "alice@example.org", "--data", "@-"],
                               input=b"Subject: via postfix\r\n\r\nHello through Postfix.\r\n",
                               capture_output=True, timeout=120)
            assert r.returncode == 0, r.stdout.decode()
            before = len(srv.messages("alice"))
            got = eventually(lambda: [m for m in srv.messages("alice") if b"Subject: via postfix" in m],
                             "Postfix to deliver to alice: " + pf.log())
            # Postfix adds its own Received:, Message-Id, Date and From; the body arrives as sent.
            assert b"\r\nSubject: via postfix\r\n" in got[0] and b"\r\n\r\nHello through Postfix.\r\n" in got[0], got[0]
            assert b"Return-Path: <far@remote.test>" in got[0] and b"with LMTP" in got[0], got[0]
            assert len(srv.messages("alice")) >= before

            # bob holds about 2000 of his 4000 octets: 3000 more are deferred (452 4.2.2), then delivered once
            # a POP3 session has deleted his mail.
            msg = b"Subject: deferred\r\n\r\n" + (b"y" * 98 + b"\r\n") * 30
            r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(pf.port), "--helo", "client.test",
                                "--from", "far@remote.test", "--to", "bob@example.org", "--data", "@-"],
                               input=msg, capture_output=True, timeout=120)
            assert r.returncode == 0, r.stdout.decode()
            eventually(lambda: "to=<bob@example.org>" in pf.log() and "status=deferred" in pf.log(),
                       "Postfix to defer bob's message: " + pf.log())
            assert "452 4.2.2" in pf.log(), pf.log()
            assert not any(b"Subject: deferred" in m for m in srv.messages("bob"))
            srv.delete_all("bob")
            pf.flush()
            got = eventually(lambda: [m for m in srv.messages("bob") if b"Subject: deferred" in m],
                             "Postfix to retry bob's message: " + pf.log())
            assert b"\r\n\r\n" + (b"y" * 98 + b"\r\n") * 30 in got[0], got[0][-200:]
            assert len(srv.messages("bob")) == 1
    finally:
        pf.stop()


try:
    code = main()
except Exception:
    traceback.print_exc()
    code = 1
finally:
    shutil.rmtree(WORK, ignore_errors=True)
sys.exit(code)
