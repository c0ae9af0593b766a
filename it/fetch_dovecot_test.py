#!/usr/bin/env python3
"""End-to-end: `postoffice fetch` against Dovecot, a server we did not write, over TLS.

Starts Dovecot 2.3 (../shared/bench/dovecot.sh) with a throwaway certificate for 127.0.0.1 on a Maildir of varied
messages (dot lines, 8-bit and UTF-8, not UTF-8 at all, no final newline, 1 MB, empty body) and checks:
  - pop3s:// with --tls-ca (hostname verification against the certificate's IP address): every message arrives
    byte for byte as Dovecot stored it (LF line ends, dots un-stuffed, 8-bit untouched; a missing final newline
    is added), exit 0; the second run in keep mode fetches nothing new, exit 1;
  - pop3:// with --stls: the same over STLS;
  - an interrupted fetch (SIGKILL after the 3rd message, POSTOFFICE_FETCH_HALT) resumed by a rerun in delete mode:
    every message exactly once, Dovecot's Maildir empty.

With --bench N: instead, N mixed-size messages, and `postoffice fetch`, mpop and fetchmail each download all of
them (keep mode, fresh state, same machine, same run), best of --runs; prints messages/s (docs/performance.md).

Needs root (dovecot.sh installs dovecot-pop3d and runs it as a service user); skips with a message otherwise.
Prints 'N passed, N failed'.
"""
import argparse
import hashlib
import os
import random
import shutil
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


def skip(why):
    print(f"fetch from dovecot: SKIPPED: {why}", flush=True)
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_greeting(port):
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"+OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no POP3 greeting on port {port}")


class Dovecot:
    def __init__(self, work, tls, settings=()):
        self.work, self.port, self.tls_port = work, free_port(), free_port()
        env = dict(os.environ)
        if tls:
            env.update(DC_CERT=tls[0], DC_KEY=tls[1], DC_TLSPORT=str(self.tls_port))
        r = subprocess.run(["bash", DOVECOT_SH, "start", work, str(self.port), "fast"], capture_output=True,
                           timeout=600, env=env)
        if r.returncode != 0 or not os.path.exists(os.path.join(work, "dovecot.pid")):
            skip(f"dovecot.sh could not start Dovecot: {r.stderr.decode(errors='replace')[-500:]}")
        if settings:
            # dovecot.sh offers no hook for extra settings: append them and reload, as dovecot_migration_test does.
            log = os.path.join(work, "dovecot.log")
            before = os.path.getsize(log) if os.path.exists(log) else 0
            with open(os.path.join(work, "dovecot.conf"), "a") as f:
                f.write("".join(x + "\n" for x in settings))
            os.kill(int(open(os.path.join(work, "dovecot.pid")).read()), 1)  # SIGHUP
            deadline = time.time() + 20
            while time.time() < deadline:
                with open(log, "rb") as f:
                    f.seek(before)
                    if b"reloading configuration" in f.read():
                        break
                time.sleep(0.1)
            time.sleep(0.5)
        wait_for_greeting(self.port)

    def stop(self):
        subprocess.run(["bash", DOVECOT_SH, "stop", self.work], check=True, timeout=60)


def certificate(work):
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def setup(work, messages):
    os.chmod(work, 0o755)
    maildir = os.path.join(work, "mail", USER, "Maildir")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    with open(os.path.join(work, "users"), "w") as f:
        f.write(f"{USER}:{{PLAIN}}{PASSWORD}:0:0::{work}/mail/{USER}::\n")
    for i, body in enumerate(messages):
        with open(os.path.join(maildir, "new", f"{1700000000 + i}.M{i}P{i}.mx"), "wb") as f:
            f.write(body)
    return maildir


def varied_messages():
    return [
        b"Subject: plain\n\nHello.\n",
        b"Subject: dots\n\n.starts with a dot\n..two\n.\nafter a lone dot\n",
        "Subject: =?UTF-8?B?w6k=?=\nContent-Type: text/plain; charset=utf-8\n\nGr\u00fc\u00dfe \u65e5\u672c\u8a9e\n".encode(),
        b"Subject: latin-1, not UTF-8\n\ncaf\xe9 \xff\xfe\n",
        b"Subject: no final newline\n\nlast line",
        b"Subject: big\n\n" + (b"x" * 76 + b"\n") * 13000,
        b"Subject: empty body\n\n",
        b"From: a@example.org\nSubject: From line\n\nFrom here on\n>From quoted\n",
    ]


def expected(messages):
    return sorted(m if m.endswith(b"\n") else m + b"\n" for m in messages)


def fetched(maildir):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        if os.path.isdir(d):
            for n in os.listdir(d):
                with open(os.path.join(d, n), "rb") as f:
                    out.append(f.read())
    return sorted(out)


def fetch(args, halt=None):
    env = dict(os.environ, POSTOFFICE_NO_BUILD=os.environ.get("POSTOFFICE_NO_BUILD", "1"), POSTOFFICE_PASSWORD=PASSWORD)
    env.pop("POSTOFFICE_FETCH_HALT", None)
    if halt:
        env["POSTOFFICE_FETCH_HALT"] = halt
    return subprocess.run([LAUNCHER, "fetch", *args], capture_output=True, timeout=600, env=env)


def check(name, fn):
    try:
        fn()
        results.append((name, True))
        print(f"PASS {name}", flush=True)
    except Exception:
        results.append((name, False))
        print(f"FAIL {name}", flush=True)
        traceback.print_exc()


def integration():
    work = tempfile.mkdtemp(prefix="postoffice-fetch-dovecot-")
    try:
        messages = varied_messages()
        source = setup(work, messages)
        cert, key = certificate(tempfile.mkdtemp(dir=work))  # dovecot.sh copies them into work
        dc = Dovecot(work, (cert, key))
        try:
            def tls_keep_mode():
                out = os.path.join(work, "out-tls")
                args = [f"pop3s://{USER}@127.0.0.1:{dc.tls_port}/", "--maildir", out, "--tls-ca", cert,
                        "--keep", "--state", os.path.join(work, "tls.state")]
                r = fetch(args)
                assert r.returncode == 0, r
                assert fetched(out) == expected(messages), "bytes differ from Dovecot's files"
                r = fetch(args)
                assert r.returncode == 1, r
                assert b"0 new" in r.stdout, r.stdout
                assert len(fetched(out)) == len(messages)

            def stls_keep_mode():
                out = os.path.join(work, "out-stls")
                r = fetch([f"pop3://{USER}@127.0.0.1:{dc.port}/", "--maildir", out, "--stls", "--tls-ca", cert,
                           "--keep", "--state", os.path.join(work, "stls.state")])
                assert r.returncode == 0, r
                assert fetched(out) == expected(messages)

            def wrong_certificate_is_refused():
                other, _ = certificate(tempfile.mkdtemp(dir=work))
                r = fetch([f"pop3s://{USER}@127.0.0.1:{dc.tls_port}/", "--maildir", os.path.join(work, "x"),
                           "--tls-ca", other, "--state", os.path.join(work, "x.state")])
                assert r.returncode == 69, r
                assert b"TLS" in r.stderr, r.stderr

            def interrupted_fetch_resumed():
                out = os.path.join(work, "out-crash")
                args = [f"pop3s://{USER}@127.0.0.1:{dc.tls_port}/", "--maildir", out, "--tls-ca", cert,
                        "--batch", "2", "--state", os.path.join(work, "crash.state")]
                r = fetch(args, halt="delivered:3")
                assert r.returncode in (137, -9) and b"killing myself" in r.stderr, r
                r = fetch(args)
                assert r.returncode == 0, r
                assert fetched(out) == expected(messages)
                assert fetched(source) == [], "Dovecot still holds messages"

            check("pop3s with --tls-ca: bytes identical, second keep run fetches nothing", tls_keep_mode)
            check("pop3 with --stls", stls_keep_mode)
            check("a certificate the CA file does not vouch for is refused", wrong_certificate_is_refused)
            check("SIGKILL after the third message, rerun: each message once, Dovecot empty", interrupted_fetch_resumed)
        finally:
            dc.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    duplicate_uidls()


def duplicate_uidls():
    """Dovecot with pop3_uidl_format = %v gives every message the same UIDL (the folder's UIDVALIDITY)."""
    work = tempfile.mkdtemp(prefix="postoffice-fetch-dovecot-uidl-")
    try:
        messages = varied_messages() + [b"Subject: twin\n\nfirst\n", b"Subject: twin\n\nsecond\n"]
        setup(work, messages)
        dc = Dovecot(work, None, ["pop3_uidl_format = %v"])
        try:
            def identified_by_header_digests():
                out = os.path.join(work, "out")
                args = [f"pop3://{USER}@127.0.0.1:{dc.port}/", "--maildir", out, "--keep",
                        "--state", os.path.join(work, "s.state")]
                r = fetch(args)
                assert r.returncode == 0, r
                assert b"digest of their headers" in r.stderr, r.stderr
                assert fetched(out) == expected(messages)
                r = fetch(args)
                assert r.returncode == 1, r
                assert fetched(out) == expected(messages)
            check("a server whose UIDLs are all the same: header digests, each message once", identified_by_header_digests)
        finally:
            dc.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def mixed_messages(n):
    rnd = random.Random(13)
    out = []
    for i in range(n):
        r = rnd.random()
        size = rnd.randint(1_000, 4_000) if r < 0.6 else rnd.randint(4_000, 40_000) if r < 0.95 else rnd.randint(40_000, 400_000)
        head = f"From: sender{i}@example.org\nTo: {USER}@example.org\nSubject: message {i}\nMessage-ID: <{i}@bench>\n\n"
        line = (hashlib.sha256(str(i).encode()).hexdigest() + " ")[:72] + "\n"
        out.append(head.encode() + (line * (size // len(line) + 1)).encode())
    return out


def bench(n, runs):
    for tool in ("mpop", "fetchmail"):
        if not shutil.which(tool):
            subprocess.run(["bash", "-c", f"apt-get install -y -qq {tool} >/dev/null 2>&1 || (apt-get update -qq && "
                            f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {tool} >/dev/null)"], timeout=600)
    work = tempfile.mkdtemp(prefix="postoffice-fetch-bench-")
    try:
        messages = mixed_messages(n)
        total = sum(len(m) for m in messages)
        setup(work, messages)
        dc = Dovecot(work, None)
        try:
            def postoffice(i):
                out = os.path.join(work, f"po{i}")
                r = fetch([f"pop3://{USER}@127.0.0.1:{dc.port}/", "--maildir", out, "--keep", "-q",
                           "--state", os.path.join(work, f"po{i}.state")])
                assert r.returncode == 0, r
                return len(os.listdir(os.path.join(out, "new")))

            def mpop(i):
                out = os.path.join(work, f"mpop{i}")
                for sub in ("new", "cur", "tmp"):
                    os.makedirs(os.path.join(out, sub))
                conf = os.path.join(work, f"mpoprc{i}")
                with open(conf, "w") as f:
                    f.write(f"defaults\ntls off\nauth user\nkeep on\nonly_new on\nuidls_file {work}/mpop-uidls{i}\n"
                            f"account bench\nhost 127.0.0.1\nport {dc.port}\nuser {USER}\npassword {PASSWORD}\n"
                            f"delivery maildir {out}\n")
                os.chmod(conf, 0o600)
                r = subprocess.run(["mpop", "-q", "-C", conf, "bench"], capture_output=True, timeout=3600)
                assert r.returncode == 0, r
                return len(os.listdir(os.path.join(out, "new")))

            def fetchmail(i):
                out = os.path.join(work, f"fm{i}.bsmtp")
                home = os.path.join(work, f"fmhome{i}")
                os.makedirs(home)
                rc = os.path.join(home, ".fetchmailrc")
                with open(rc, "w") as f:
                    f.write(f"set no syslog\npoll 127.0.0.1 protocol pop3 port {dc.port} uidl\n"
                            f"  user {USER} password {PASSWORD} keep fetchall sslproto '' bsmtp {out}\n")
                os.chmod(rc, 0o600)
                env = dict(os.environ, HOME=home, FETCHMAILHOME=home)
                r = subprocess.run(["fetchmail", "-f", rc, "--nosyslog"], capture_output=True, timeout=3600, env=env)
                assert r.returncode == 0, r
                with open(out, "rb") as f:
                    return sum(1 for line in f if line.startswith(b"MAIL FROM:"))

            tools = [("postoffice fetch (Maildir, fsync per message)", postoffice), ("mpop (Maildir)", mpop)]
            if shutil.which("fetchmail"):
                tools.append(("fetchmail (--bsmtp file, no fsync)", fetchmail))
            best = {}
            for i in range(runs):
                for name, fn in tools:
                    t = time.time()
                    count = fn(i)
                    dt = time.time() - t
                    assert count == n, f"{name} delivered {count} of {n}"
                    best[name] = min(best.get(name, dt), dt)
                    print(f"  run {i + 1} {name}: {dt:.2f} s", flush=True)
            print(f"\n{n} messages, {total / 1e6:.1f} MB, from Dovecot 2.3 on 127.0.0.1 (best of {runs}):")
            for name, dt in best.items():
                print(f"| {name} | {dt:.2f} s | {n / dt:,.0f} msg/s | {total / dt / 1e6:.1f} MB/s |")
        finally:
            dc.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", type=int, default=0)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if os.geteuid() != 0:
        skip("needs root to install and run Dovecot")
    if a.bench:
        bench(a.bench, a.runs)
        return
    integration()
    failed = sum(1 for _, ok in results if not ok)
    print(f"fetch from dovecot: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
