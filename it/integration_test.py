#!/usr/bin/env python3
"""End-to-end tests of the real `./postoffice` launcher with real clients (curl, Python's poplib).

Starts `postoffice serve` as a separate process over a fresh data directory, creates users and
delivers mail with the CLI, reads it back with curl and poplib and compares bytes; checks the exit
codes of `deliver`, the maildrop lock across two server processes, crash safety under kill -9,
bounded memory for a message larger than the heap, and a clean exit on SIGTERM.

Prints 'N passed, N failed' and exits non-zero on any failure.
"""
import hashlib
import os
import poplib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "postoffice")
WORK = tempfile.mkdtemp(prefix="postoffice-it-")
# Servers inherit SIGHUP's disposition: at its default whatever this run inherited (under nohup it is ignored, and
# every reload would be a no-op); the one test that wants it ignored sets that around its own server.
signal.signal(signal.SIGHUP, signal.SIG_DFL)
DATA = os.path.join(WORK, "data")
results = []


def run(args, stdin=None, env=None):
    return subprocess.run([LAUNCHER] + args, input=stdin, capture_output=True, env=env, timeout=120)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def canonical(raw: bytes) -> bytes:
    """What RETR must send (before byte-stuffing): CRLF line ends, and a final CRLF."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not text.endswith(b"\n"):
        text += b"\n"
    return text.replace(b"\n", b"\r\n")


class Server:
    def __init__(self, data=DATA, java_opts=None, extra=()):
        self.port = free_port()
        self.tls_port = free_port()
        env = dict(os.environ)
        if java_opts:
            env["POSTOFFICE_JAVA_OPTS"] = java_opts
        self.log = open(os.path.join(WORK, f"server-{self.port}.log"), "wb")
        self.proc = subprocess.Popen(
            [LAUNCHER, "serve", "--data", data, "--pop3", f"127.0.0.1:{self.port}", "--pop3s",
             f"127.0.0.1:{self.tls_port}", "--auth-failure-delay", "100ms", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"+OK"):
                        return
            except OSError:
                time.sleep(0.1)
        self.proc.kill()  # never leave a half-started server behind
        self.proc.wait(timeout=30)
        raise RuntimeError("server did not start: " + self.output())

    def output(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def pop(self, user, password):
        p = poplib.POP3("127.0.0.1", self.port, timeout=30)
        p.user(user)
        p.pass_(password)
        return p

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=30)
        return self.proc.returncode

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def test(fn):
    name = fn.__name__
    only = os.environ.get("IT_ONLY")  # a comma-separated list of tests to run, for working on one
    if only and name not in only.split(","):
        return fn
    started = time.time()
    try:
        fn()
        results.append((name, True))
        print(f"PASS {name} ({time.time() - started:.1f}s)", flush=True)
    except Exception:
        results.append((name, False))
        print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
    return fn


# ---- fixtures: messages as other software would hand them to `deliver` ----
MESSAGES = {
    "lf.eml": b"From: a@example.org\nTo: alice@example.org\nSubject: plain LF\n\nHello Alice.\n",
    "crlf.eml": b"From: b@example.org\r\nSubject: CRLF\r\n\r\nLine one.\r\nLine two.\r\n",
    "dots.eml": b"From: c@example.org\nSubject: dots\n\n.\n..\n.hidden\nend\n",
    "korean.eml": ("From: kim@example.org\nSubject: =?UTF-8?B?7JWI64WV?=\nContent-Type: text/plain; charset=UTF-8\n"
                   "Content-Transfer-Encoding: 8bit\n\n안녕하세요. 내일 봬요.\n").encode("utf-8"),
    "nofinal.eml": b"From: d@example.org\nSubject: no final newline\n\nlast line",
}
PASSWORDS = {"alice": "alice-pw-1", "bob": "bob pw with spaces", "carol@example.org": "c4r0l"}


def deliver_fixtures():
    os.makedirs(os.path.join(WORK, "in"), exist_ok=True)
    paths = []
    for name, body in MESSAGES.items():
        path = os.path.join(WORK, "in", name)
        with open(path, "wb") as f:
            f.write(body)
        paths.append(path)
    for user in ("alice", "bob"):
        r = run(["deliver", "--user", user, "--data", DATA, *paths])
        assert r.returncode == 0, r
    return paths


@test
def cli_users():
    for user, pw in PASSWORDS.items():
        scheme = ["--scheme", "PLAIN"] if user == "bob" else []
        r = run(["user", "add", user, "--data", DATA, *scheme], stdin=(pw + "\n").encode())
        assert r.returncode == 0, r
    r = run(["user", "add", "alice", "--data", DATA], stdin=b"x\n")
    assert r.returncode != 0 and b"already exists" in r.stderr and b"Exception" not in r.stderr, r
    r = run(["user", "list", "--data", DATA])
    assert r.returncode == 0 and b"alice\tARGON2ID" in r.stdout and b"bob\tPLAIN" in r.stdout, r
    with open(os.path.join(DATA, "users"), "rb") as f:
        users = f.read()
    assert b"alice:{ARGON2ID}$argon2id$" in users and b"alice-pw-1" not in users, users
    r = run(["user", "add", "tmp", "--data", DATA], stdin=b"x\n")
    assert r.returncode == 0
    r = run(["user", "passwd", "tmp", "--data", DATA], stdin=b"y\n")
    assert r.returncode == 0, r
    r = run(["user", "del", "tmp", "--data", DATA])
    assert r.returncode == 0, r
    r = run(["user", "del", "tmp", "--data", DATA])
    assert r.returncode != 0 and b"tmp" in r.stderr, r


@test
def a_password_change_takes_effect_at_once_despite_the_auth_cache():
    r = run(["user", "add", "dave", "--data", DATA, "--scheme", "SHA512-CRYPT"], stdin=b"first-pw\n")
    assert r.returncode == 0, r
    srv = Server(extra=("--set", "auth-cache-ttl=10m"))
    try:
        srv.pop("dave", "first-pw").quit()  # remembered for ten minutes...
        r = run(["user", "passwd", "dave", "--data", DATA], stdin=b"second-pw\n")
        assert r.returncode == 0, r
        try:
            srv.pop("dave", "first-pw")  # ...but only while the stored secret is unchanged
            raise AssertionError("the old password still works after a change")
        except poplib.error_proto as e:
            assert str(e).startswith("b'-ERR [AUTH]"), e
        srv.pop("dave", "second-pw").quit()
        srv.pop("dave", "second-pw").quit()
    finally:
        srv.stop()
        run(["user", "del", "dave", "--data", DATA])
    r = subprocess.run([LAUNCHER, "serve", "--data", DATA, "--set", "auth-cache-ttl=soon"], capture_output=True)
    assert r.returncode == 78 and b"auth-cache-ttl" in r.stderr and b"Exception" not in r.stderr, r


@test
def cli_usage_errors():
    for args in (["nonsense"], ["serve", "--bogus"], ["deliver"], ["user", "add"]):
        r = run(args)
        assert r.returncode == 2, (args, r)
        assert b"Usage" in r.stderr and b"Exception" not in r.stderr, (args, r.stderr)
    r = run(["--help"])
    assert r.returncode == 0 and b"serve" in r.stdout and b"deliver" in r.stdout, r
    r = run(["deliver", "--help"])
    assert r.returncode == 0 and b"67" in r.stdout, r


def fake_launcher_tree(name, mvnw_body=""):
    """The real launcher and scripts in a fake tree whose mvnw records its arguments in mvnw-calls, then runs
    mvnw_body (sh, in the tree). Returns the tree and the path of its calls file."""
    tree = os.path.join(WORK, name)
    shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(tree, "scripts"))
    shutil.copy2(LAUNCHER, tree)
    os.makedirs(os.path.join(tree, ".mvn"))
    calls = os.path.join(tree, "mvnw-calls")
    with open(os.path.join(tree, "mvnw"), "w") as f:
        # As Maven does: clean deletes the target directories (where the launcher once kept its build stamp).
        f.write(f'#!/bin/sh\necho "$*" >> {calls}\ncase " $* " in *" clean "*) rm -rf postoffice-*/target ;; esac\n'
                f'{mvnw_body}\n')
    os.chmod(os.path.join(tree, "mvnw"), 0o755)
    return tree, calls


def launcher_env():
    env = dict(os.environ)
    env.pop("POSTOFFICE_NO_BUILD", None)
    return env


def builds_recorded(calls):
    """The builds the fake mvnw recorded since the last call, and forgets them."""
    if not os.path.exists(calls):
        return []
    with open(calls) as f:
        made = f.read().splitlines()
    os.remove(calls)
    return made


@test
def the_launcher_builds_from_clean_when_an_output_has_no_source():
    # A resource or class left in target/classes after its source was deleted (a reverted migration) must not
    # reach the jar.
    # Its mvnw builds as Maven would: compiles every source into target/classes and writes the jar.
    tree, calls = fake_launcher_tree("launcher-tree", """
mkdir -p postoffice-store-pg/target/classes/db postoffice-store-pg/target/classes/x postoffice-app/target
touch postoffice-store-pg/target/classes/db/V1.sql postoffice-store-pg/target/classes/x/A.class \\
  'postoffice-store-pg/target/classes/x/A$1.class' postoffice-app/target/postoffice.jar""")
    module = os.path.join(tree, "postoffice-store-pg")
    for d in ("src/main/resources/db", "src/main/java/x", "target/classes/db", "target/classes/x"):
        os.makedirs(os.path.join(module, d))
    for f in ("src/main/resources/db/V1.sql", "target/classes/db/V1.sql", "src/main/java/x/A.java",
              "target/classes/x/A.class", "target/classes/x/A$1.class"):
        open(os.path.join(module, f), "w").close()
    jar = os.path.join(tree, "postoffice-app", "target", "postoffice.jar")
    os.makedirs(os.path.dirname(jar))

    def launch():
        future = time.time() + 60  # the jar newer than every source: only a stale output can trigger a build
        open(jar, "w").close()
        os.utime(jar, (future, future))
        r = subprocess.run([os.path.join(tree, "postoffice"), "--version"], capture_output=True, env=launcher_env())
        return r, "\n".join(builds_recorded(calls))

    r, made = launch()
    assert made == "", (made, r.stderr)
    open(os.path.join(module, "target/classes/db/V2.sql"), "w").close()  # V2's source is gone
    r, made = launch()
    assert made.split() == ["-B", "-DskipTests", "clean", "package", "-pl", "postoffice-app", "-am"], made
    assert b"postoffice-store-pg/target/classes/db/V2.sql has no source any more" in r.stderr, r.stderr
    # The clean build deleted target/ (and the launcher's stamp with it, once): the launcher went on to run the
    # (fake, empty) jar, so the complaint is java's, not one of the launcher's own; the build log is in place.
    assert b"Invalid or corrupt jarfile" in r.stderr and b"touch:" not in r.stderr, r.stderr
    assert os.path.exists(os.path.join(tree, "postoffice-app", "target", "postoffice-build.log"))
    assert not os.path.exists(os.path.join(module, "target/classes/db/V2.sql"))
    open(os.path.join(module, "target/classes/x/Gone$Inner.class"), "w").close()  # so is Gone.java
    r, made = launch()
    assert "clean" in made.split(), made
    assert b"x/Gone.class has no source" in r.stderr, r.stderr
    r, made = launch()
    assert made == "", (made, r.stderr)


@test
def the_launcher_rebuilds_after_a_source_edited_during_its_build():
    # The jar is dated when its build started: a source saved while Maven ran (after javac may have read it) is
    # newer than the jar, so the next start builds again instead of running the stale jar.
    source = "postoffice-server/src/main/java/x/A.java"
    tree, calls = fake_launcher_tree("launcher-edit", f"""
mkdir -p postoffice-app/target && touch postoffice-app/target/postoffice.jar
[ -f edit-during-build ] && sleep 1 && touch {source} && rm edit-during-build
true""")
    os.makedirs(os.path.join(tree, os.path.dirname(source)))
    open(os.path.join(tree, source), "w").close()
    open(os.path.join(tree, "edit-during-build"), "w").close()

    def launch():
        r = subprocess.run([os.path.join(tree, "postoffice"), "--version"], capture_output=True,
                           env=launcher_env(), timeout=60)
        return r, builds_recorded(calls)

    r, made = launch()
    assert len(made) == 1 and b"building the application" in r.stderr, (made, r.stderr)
    assert not os.path.exists(os.path.join(tree, "edit-during-build"))
    r, made = launch()
    assert len(made) == 1, ("the edit made during the first build was not built", made, r.stderr)
    r, made = launch()
    assert made == [] and b"building" not in r.stderr, (made, r.stderr)


@test
def two_launchers_started_together_build_once():
    # The second waits for the first's build under the lock, then finds the jar current and builds nothing.
    tree, calls = fake_launcher_tree("launcher-together", """
sleep 3
mkdir -p postoffice-app/target && touch postoffice-app/target/postoffice.jar""")
    source = os.path.join(tree, "postoffice-server", "src", "main", "java", "A.java")
    os.makedirs(os.path.dirname(source))
    open(source, "w").close()
    launchers = [subprocess.Popen([os.path.join(tree, "postoffice"), "--version"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=launcher_env()) for _ in range(2)]
    errs = [p.communicate(timeout=60)[1] for p in launchers]
    made = builds_recorded(calls)
    assert len(made) == 1, (made, errs)  # without the lock both see no jar and build (the build takes 3 s)
    assert sum(b"building the application" in e for e in errs) == 1, errs
    # (both may say they wait: each drops its shared lock to take it exclusive, and may find the other's)


@test
def deliver_exit_codes():
    r = run(["deliver", "--user", "nobody", "--data", DATA], stdin=b"Subject: x\n\nx\n")
    assert r.returncode == 67 and b"unknown user" in r.stderr, r
    r = run(["deliver", "--user", "alice", "--data", DATA], stdin=b"")
    assert r.returncode == 65 and len(r.stderr.splitlines()) == 1, r
    r = run(["deliver", "--user", "alice", "--data", DATA, os.path.join(WORK, "does-not-exist")])
    assert r.returncode == 66, r
    r = run(["deliver", "--user", "carol@example.org", "--data", DATA], stdin=b"Subject: via stdin\n\nhi\n")
    assert r.returncode == 0, r


@test
def curl_and_poplib_read_back_exact_bytes():
    paths = deliver_fixtures()
    srv = Server()
    try:
        # curl logs in with APOP whenever the greeting carries a timestamp, and APOP needs a user whose
        # secret is stored in a form that allows it (bob: PLAIN); poplib uses USER/PASS (alice: ARGON2ID).
        base = f"pop3://127.0.0.1:{srv.port}"
        curl_user = "bob:" + PASSWORDS["bob"]
        listing = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", curl_user, base + "/"],
                                 capture_output=True, check=True).stdout
        sizes = [int(line.split()[1]) for line in listing.decode().splitlines()]
        assert len(sizes) == len(paths), listing
        for i, path in enumerate(paths, 1):
            with open(path, "rb") as f:
                want = canonical(f.read())
            got = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", curl_user,
                                  f"{base}/{i}"], capture_output=True, check=True).stdout
            assert got == want, (path, got, want)
            assert sizes[i - 1] == len(want), (path, sizes[i - 1], len(want))

        p = srv.pop("alice", PASSWORDS["alice"])
        count, total = p.stat()
        assert count == len(paths) and total == sum(sizes), (count, total)
        uidls = p.uidl()[1]
        assert len(set(u.split()[1] for u in uidls)) == count
        for i, path in enumerate(paths, 1):
            with open(path, "rb") as f:
                want = canonical(f.read())
            resp, lines, octets = p.retr(i)
            assert b"\r\n".join(lines) + b"\r\n" == want, (path, lines)
            top = p.top(i, 0)[1]
            assert top[-1] == b"" and b"\r\n".join(top) + b"\r\n" == want.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
        p.dele(1)
        p.quit()

        p = srv.pop("alice", PASSWORDS["alice"])
        assert p.stat()[0] == count - 1
        assert p.uidl()[1][0].split()[1] == uidls[1].split()[1], "UIDLs must not change"
        p.quit()

        p = srv.pop("bob", PASSWORDS["bob"])  # a password with spaces
        assert p.stat() == (count, total)
        p.quit()
        p = srv.pop("carol@example.org", PASSWORDS["carol@example.org"])
        assert p.stat()[0] == 1
        p.quit()

        p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
        p.apop("bob", PASSWORDS["bob"])  # PLAIN scheme allows APOP
        p.quit()
        try:
            srv.pop("alice", "wrong")
            raise AssertionError("wrong password accepted")
        except poplib.error_proto as e:
            assert str(e).startswith("b'-ERR [AUTH]"), e
    finally:
        assert srv.stop() == 0, "serve must exit 0 on SIGTERM"
        out = srv.output()
        assert "Exception" not in out, out
    # the log writer's queue is written out on SIGTERM: the last auth line and the shutdown's own lines are there
    assert any("auth: " in l and " user=alice " in l and "result=fail" in l for l in out.splitlines()), out[-2000:]
    assert "listeners stopped" in out, out[-2000:]


@test
def lock_holds_across_two_server_processes():
    one, two = Server(), Server()
    try:
        holder = one.pop("alice", PASSWORDS["alice"])
        other = poplib.POP3("127.0.0.1", two.port, timeout=30)
        other.user("alice")
        try:
            other.pass_(PASSWORDS["alice"])
            raise AssertionError("second process got the maildrop")
        except poplib.error_proto as e:
            assert "[IN-USE]" in str(e), e
        holder.quit()
        time.sleep(0.2)
        other.user("alice")
        other.pass_(PASSWORDS["alice"])
        other.quit()
    finally:
        one.stop()
        two.stop()


@test
def serve_explains_a_port_it_cannot_bind():
    srv = Server()
    try:
        r = subprocess.run([LAUNCHER, "serve", "--data", DATA, "--pop3", f"127.0.0.1:{srv.port}",
                            "--pop3s", f"127.0.0.1:{free_port()}"], capture_output=True, timeout=60)
        err = r.stderr.decode().strip().splitlines()
        assert r.returncode != 0 and len(err) == 1, r
        assert "cannot listen on POP3 127.0.0.1" in err[0] and "--pop3 127.0.0.1:" in err[0], err
    finally:
        srv.stop()


def cert_of(data=DATA):
    return os.path.join(data, "tls", "cert.pem")


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "30", *args], capture_output=True, timeout=60)


@test
def tls_and_sasl_with_real_clients():
    # CAPA offers by default only what every user can use (alice's ARGON2ID rules out CRAM-MD5): offer it
    # explicitly so that curl can be tried with every mechanism it speaks.
    conf = os.path.join(WORK, "sasl.conf")
    with open(conf, "w") as f:
        f.write("sasl-mechanisms = PLAIN LOGIN CRAM-MD5\n")
    srv = Server(extra=("--config", conf))
    try:
        cert = cert_of()
        bob = "bob:" + PASSWORDS["bob"]
        alice = "alice:" + PASSWORDS["alice"]
        plain_url = f"pop3://127.0.0.1:{srv.port}"
        tls_url = f"pop3s://127.0.0.1:{srv.tls_port}"
        # STLS required, and implicit TLS, with the generated certificate as the trust anchor.
        for url in (plain_url, tls_url):
            extra = ["--ssl-reqd"] if url.startswith("pop3:") else []
            r = curl(*extra, "--cacert", cert, "-u", alice, "--login-options", "AUTH=PLAIN", url + "/")
            assert r.returncode == 0 and r.stdout.strip(), (url, r)
        # Every mechanism curl speaks, with and without the initial response.
        for user, mechs in ((bob, ("PLAIN", "LOGIN", "CRAM-MD5")), (alice, ("PLAIN", "LOGIN"))):
            for mech in mechs:
                for ir in ([], ["--sasl-ir"]):
                    r = curl("--ssl-reqd", "--cacert", cert, "-u", user, "--login-options", f"AUTH={mech}", *ir,
                             plain_url + "/1")
                    assert r.returncode == 0 and b"Subject:" in r.stdout, (user, mech, ir, r)
        r = curl("--ssl-reqd", "--cacert", cert, "-u", "alice:wrong", "--login-options", "AUTH=PLAIN", plain_url + "/")
        assert r.returncode == 67, r  # CURLE_LOGIN_DENIED

        # openssl s_client -starttls pop3
        script = f"USER alice\r\nPASS {PASSWORDS['alice']}\r\nSTAT\r\nQUIT\r\n".encode()
        r = subprocess.run(["openssl", "s_client", "-starttls", "pop3", "-connect", f"127.0.0.1:{srv.port}",
                            "-CAfile", cert, "-verify_return_error", "-quiet"],
                           input=script, capture_output=True, timeout=60)
        lines = [l for l in r.stdout.decode().splitlines() if l.startswith(("+OK", "-ERR"))]
        assert any(l.startswith("+OK alice's maildrop") for l in lines) and lines[-1].startswith("+OK"), r

        # Python poplib: stls() and POP3_SSL, verifying the certificate.
        ctx = ssl.create_default_context(cafile=cert)
        p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
        assert "STLS" in p.capa()
        p.stls(context=ctx)
        assert "STLS" not in p.capa()
        p.user("alice")
        p.pass_(PASSWORDS["alice"])
        p.stat()
        p.quit()
        p = poplib.POP3_SSL("127.0.0.1", srv.tls_port, context=ctx, timeout=30)
        p.user("alice")
        p.pass_(PASSWORDS["alice"])
        assert p.stat()[0] >= 1
        p.quit()
    finally:
        srv.stop()


@test
def stored_line_ends_and_large_messages_over_every_transport():
    # deliver stores CRLF by default (the form RETR sends, so the file goes out unchanged, with sendfile in
    # clear); --line-ends lf keeps the Maildir tradition. Either way the client gets the same octets.
    r = run(["user", "add", "erin", "--data", DATA, "--scheme", "PLAIN"], stdin=b"erin-pw\n")
    assert r.returncode == 0, r
    big = os.path.join(WORK, "wire.eml")
    with open(big, "wb") as f:
        f.write(b"From: w@example.org\nSubject: wire form\n\n")
        for i in range(60000):
            f.write(b"line %d %s\n" % (i, b"y" * (i % 80)))
    dotted = os.path.join(WORK, "dotted.eml")
    with open(dotted, "wb") as f:
        f.write(b"Subject: dotted\n\n" + b"text\n" * 5000 + b".starts with a dot\n" + b"text\n" * 5000)
    with open(big, "rb") as f:
        want_big = canonical(f.read())
    with open(dotted, "rb") as f:
        want_dotted = canonical(f.read())
    assert run(["deliver", "--user", "erin", "--data", DATA, big, dotted]).returncode == 0
    r = run(["deliver", "--user", "erin", "--data", DATA, "--line-ends", "lf", big])
    assert r.returncode == 0, r
    r = run(["deliver", "--user", "erin", "--data", DATA, "--line-ends", "cr"], stdin=b"x\n")
    assert r.returncode == 2 and b"line-ends" in r.stderr and b"Exception" not in r.stderr, r
    new = os.path.join(DATA, "home", "erin", "Maildir", "new")
    stored = {}
    for name in os.listdir(new):
        with open(os.path.join(new, name), "rb") as f:
            stored[name] = f.read()
    assert sorted(stored.values(), key=len) == sorted([want_dotted, want_big, want_big.replace(b"\r\n", b"\n")],
                                                      key=len), "stored forms differ from what was asked"
    srv = Server()
    try:
        user = "erin:erin-pw"
        for url, extra in ((f"pop3://127.0.0.1:{srv.port}", []),
                           (f"pop3://127.0.0.1:{srv.port}", ["--ssl-reqd", "--cacert", cert_of()]),
                           (f"pop3s://127.0.0.1:{srv.tls_port}", ["--cacert", cert_of()])):
            for i, want in enumerate((want_big, want_dotted, want_big), 1):
                r = curl(*extra, "-u", user, f"{url}/{i}")
                assert r.returncode == 0 and r.stdout == want, (url, extra, i, r.returncode, len(r.stdout))
        p = srv.pop("erin", "erin-pw")
        for i, want in enumerate((want_big, want_dotted, want_big), 1):
            lines = p.retr(i)[1]
            assert b"\r\n".join(lines) + b"\r\n" == want, i
        p.quit()
    finally:
        srv.stop()
        run(["user", "del", "erin", "--data", DATA])


@test
def cleartext_passwords_refused_from_non_local_addresses():
    # Loopback is not in local-networks here, so it is treated like a remote client.
    srv = Server(extra=["--set", "local-networks=10.0.0.0/8"])
    try:
        p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
        assert "USER" not in p.capa()
        try:
            p.user("alice")
            raise AssertionError("USER accepted in cleartext")
        except poplib.error_proto as e:
            assert "[AUTH]" in str(e), e
        p.stls(context=ssl.create_default_context(cafile=cert_of()))
        p.user("alice")
        p.pass_(PASSWORDS["alice"])
        p.quit()
    finally:
        srv.stop()


@test
def certificate_renewed_on_disk_while_a_session_is_open():
    tls_dir = os.path.join(WORK, "certs")
    os.makedirs(tls_dir, exist_ok=True)
    cert, key = os.path.join(tls_dir, "fullchain.pem"), os.path.join(tls_dir, "privkey.pem")

    def make(kind):
        tmp_key, tmp_cert = key + ".new", cert + ".new"
        if kind == "rsa":  # PKCS#1, as older certbot and openssl genrsa -traditional write it
            subprocess.run(["openssl", "genrsa", "-traditional", "-out", tmp_key, "2048"], check=True,
                           capture_output=True)
        else:  # SEC1 with an EC PARAMETERS block
            subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", tmp_key], check=True,
                           capture_output=True)
        subprocess.run(["openssl", "req", "-new", "-x509", "-key", tmp_key, "-out", tmp_cert, "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True)
        os.replace(tmp_key, key)
        os.replace(tmp_cert, cert)
        with open(cert, "rb") as f:
            return f.read()

    make("rsa")
    srv = Server(extra=["--tls-cert", cert, "--tls-key", key])
    try:
        ctx = ssl.create_default_context(cafile=cert)
        old = poplib.POP3_SSL("127.0.0.1", srv.tls_port, context=ctx, timeout=30)
        old.user("alice")
        old.pass_(PASSWORDS["alice"])
        first = old.sock.getpeercert(binary_form=True)
        make("ec")
        time.sleep(2.5)  # the server looks at the files at most every 2 s
        new_ctx = ssl.create_default_context(cafile=cert)
        fresh = poplib.POP3_SSL("127.0.0.1", srv.tls_port, context=new_ctx, timeout=30)
        assert fresh.sock.getpeercert(binary_form=True) != first
        assert fresh.sock.cipher()[0].startswith(("TLS_", "ECDHE-ECDSA")), fresh.sock.cipher()
        fresh.quit()
        assert old.stat()[0] >= 0  # the open session carries on
        old.quit()
    finally:
        srv.stop()


@test
def fail2ban_filter_matches_failed_logins_only():
    with open(os.path.join(ROOT, "docs", "fail2ban", "postoffice.conf")) as f:
        failregex = next(l.split("=", 1)[1].strip() for l in f if l.startswith("failregex"))
    regex = re.compile(failregex.replace("<HOST>", r"(?P<host>\S+)"))
    srv = Server()
    try:
        try:
            srv.pop("alice", "wrong")
        except poplib.error_proto:
            pass
        srv.pop("alice", PASSWORDS["alice"]).quit()
    finally:
        srv.stop()
    matches = [m.group("host") for m in map(regex.match, srv.output().splitlines()) if m]
    assert matches == ["127.0.0.1"], (matches, srv.output())
    # Each session's lines carry its connection number: the failed and the good login are two sessions,
    # and the good one's auth and logout lines share theirs.
    auth = re.findall(r"session=(\d+) auth: ip=127\.0\.0\.1 user=alice .* result=(\w+)", srv.output())
    logout = re.findall(r"session=(\d+) logout: ip=127\.0\.0\.1 user=alice ", srv.output())
    assert [r for _, r in auth] == ["fail", "ok"] and auth[0][0] != auth[1][0], srv.output()
    assert logout == [auth[1][0]], srv.output()
    assert "session= " not in srv.output() and "session=" not in srv.output().splitlines()[0], srv.output()
    assert PASSWORDS["alice"] not in srv.output() and "wrong" not in srv.output()


def maildir_digest(user):
    md = os.path.join(DATA, "home", user, "Maildir")
    out = {}
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(md, sub)):
            with open(os.path.join(md, sub, name), "rb") as f:
                out[name.split(":")[0]] = hashlib.sha256(f.read()).hexdigest()
    return out


@test
def kill9_during_retr_and_between_dele_and_quit_loses_nothing():
    big = os.path.join(WORK, "big.eml")
    with open(big, "wb") as f:
        f.write(b"From: big@example.org\nSubject: big\n\n")
        line = b"x" * 76 + b"\n"
        f.write(line * (30 * 1024 * 1024 // len(line)))
    assert run(["deliver", "--user", "alice", "--data", DATA, big]).returncode == 0
    before = maildir_digest("alice")

    srv = Server()
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    f = sock.makefile("rb")
    f.readline()
    sock.sendall(f"USER alice\r\nPASS {PASSWORDS['alice']}\r\nSTAT\r\n".encode())
    f.readline(); f.readline()
    count = int(f.readline().split()[1])
    sock.sendall(f"DELE 1\r\nRETR {count}\r\n".encode())
    f.readline(); f.readline()
    f.read(1024 * 1024)  # the transfer is under way
    srv.kill9()
    sock.close()
    assert maildir_digest("alice") == before

    srv = Server()
    p = srv.pop("alice", PASSWORDS["alice"])
    for i in range(1, count + 1):
        p.dele(i)
    srv.kill9()  # after DELE, before QUIT
    assert maildir_digest("alice") == before

    srv = Server()
    try:
        p = srv.pop("alice", PASSWORDS["alice"])  # the lock died with the process
        assert p.stat()[0] == count
        resp, lines, octets = p.retr(count)
        with open(big, "rb") as fh:
            assert octets == len(canonical(fh.read())) + lines.count(b"..")
        p.quit()
    finally:
        srv.stop()


LARGE_BLOCKS = 160  # 160 MB: larger than the server's heap


@test
def a_large_message_streams_in_bounded_memory():
    huge = os.path.join(WORK, "huge.eml")
    with open(huge, "wb") as f:
        f.write(b"From: huge@example.org\nSubject: 160 MB\n\n")
        block = (b"." + b"y" * 98 + b"\n") * 10000  # every line dot-stuffed
        for _ in range(LARGE_BLOCKS):
            f.write(block)
    assert run(["user", "add", "huge", "--data", DATA, "--scheme", "PLAIN"], stdin=b"pw\n").returncode == 0
    assert run(["deliver", "--user", "huge", "--data", DATA, huge]).returncode == 0
    os.remove(huge)
    # The heap is smaller than the message (and holds one 64 MiB Argon2 computation for the equal-cost
    # rejection of unknown users), so the transfer must stream.
    srv = Server(java_opts="-Xmx100m")
    try:
        h = hashlib.sha256()
        n = 0
        with subprocess.Popen(["curl", "-sS", "--max-time", "300", "-u", "huge:pw",
                               f"pop3://127.0.0.1:{srv.port}/1"], stdout=subprocess.PIPE) as c:
            for chunk in iter(lambda: c.stdout.read(1 << 20), b""):
                h.update(chunk)
                n += len(chunk)
        assert c.returncode == 0
        want = hashlib.sha256()
        want.update(b"From: huge@example.org\r\nSubject: 160 MB\r\n\r\n")
        for _ in range(LARGE_BLOCKS):
            want.update((b"." + b"y" * 98 + b"\r\n") * 10000)
        assert n > 150_000_000 and h.hexdigest() == want.hexdigest(), n
        assert srv.proc.poll() is None, "server died: " + srv.output()
    finally:
        srv.stop()
    assert "OutOfMemoryError" not in srv.output()


def ensure_package(package, binary):
    """Installs a Debian package the test needs when its binary is missing (root only); False if unavailable."""
    if shutil.which(binary):
        return True
    if os.geteuid() != 0:
        return False
    subprocess.run(["bash", "-c", f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package} >/dev/null 2>&1 || "
                    f"(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package} >/dev/null 2>&1)"],
                   timeout=900)
    return shutil.which(binary) is not None


class SourcePOP3(poplib.POP3):
    """poplib from a chosen source address (another loopback address), as another host would connect."""
    def __init__(self, host, port, source):
        self._source = source
        super().__init__(host, port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))


@test
def haproxy_send_proxy_v2_passes_the_real_client_address():
    if not ensure_package("haproxy", "haproxy"):
        print("SKIP haproxy: not installed and cannot be installed here")
        return
    srv = Server(extra=("--set", "proxy-protocol-from=127.0.0.2/32"))  # HAProxy connects from there
    front, front_tls = free_port(), free_port()
    cfg = os.path.join(WORK, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write(f"""global
    maxconn 1000
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend pop3
    bind 127.0.0.1:{front}
    default_backend postoffice
frontend pop3s
    bind 127.0.0.1:{front_tls}
    default_backend postoffice_tls
backend postoffice
    balance leastconn
    server a 127.0.0.1:{srv.port} source 127.0.0.2 send-proxy-v2 check check-send-proxy inter 500ms
backend postoffice_tls
    server a 127.0.0.1:{srv.tls_port} source 127.0.0.2 send-proxy-v2 check check-send-proxy inter 500ms
""")
    haproxy = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", front), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline and haproxy.poll() is None, haproxy.stdout.read()
                time.sleep(0.1)
        password = PASSWORDS["alice"]
        direct = srv.pop("alice", password)
        want = direct.uidl()[1]
        direct.quit()
        p = SourcePOP3("127.0.0.1", front, "127.0.0.7")
        p.user("alice")
        p.pass_(password)
        assert p.uidl()[1] == want, "the same maildrop through the proxy"
        p.quit()
        got = subprocess.run(["curl", "-sS", "--max-time", "30", "--interface", "127.0.0.8", "--cacert", cert_of(),
                              "-u", f"alice:{password}", f"pop3s://127.0.0.1:{front_tls}/"],
                             capture_output=True, timeout=60)
        assert got.returncode == 0, got
        time.sleep(1.5)  # a few health checks (PROXY v2 LOCAL) go by
        out = srv.output()
        assert "ip=127.0.0.7 user=alice" in out, out[-3000:]
        assert "ip=127.0.0.8 user=alice" in out, out[-3000:]
        assert "PROXY" not in out, "no connection from HAProxy was refused: " + out[-3000:]
    finally:
        haproxy.terminate()
        haproxy.wait(timeout=30)
        srv.stop()


IDLE_SESSIONS = 10_000
LONG_LINE = 16_000  # octets: an AUTH continuation, the only line that may be this long


@test
def ten_thousand_idle_sessions_fit_512m_after_a_long_line_each():
    """Issue 10 §7: each session sends one long AUTH line, then logs in and idles; -Xmx512m holds them all."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE_SESSIONS + 1000:
        print(f"SKIP idle sessions: open files hard limit {hard} < {IDLE_SESSIONS + 1000}")
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it too
    data = os.path.join(WORK, "idle-data")
    os.makedirs(data)
    with open(os.path.join(data, "users"), "w") as f:
        for i in range(IDLE_SESSIONS):
            f.write(f"idle{i:05d}:{{PLAIN}}pw{i}\n")
    srv = Server(data=data, java_opts="-Xmx512m", extra=(
        "--set", f"max-connections={IDLE_SESSIONS + 100}",
        "--set", f"max-connections-per-address={IDLE_SESSIONS + 100}",
        "--set", f"max-connections-per-user=1"))
    held, errors = [], []
    lock = threading.Lock()

    def expect(f, prefix):
        line = f.readline()
        if not line.startswith(prefix):
            raise AssertionError(f"expected {prefix!r}, got {line!r}")

    def open_sessions(numbers):
        for i in numbers:
            try:
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
                f = s.makefile("rb", buffering=0)
                expect(f, b"+OK")
                s.sendall(b"AUTH PLAIN\r\n")
                expect(f, b"+ ")
                # not base64: refused before any password is looked at, so no failure is counted
                s.sendall(b"!" * LONG_LINE + f"\r\nUSER idle{i:05d}\r\nPASS pw{i}\r\n".encode())
                expect(f, b"-ERR")
                expect(f, b"+OK")
                expect(f, b"+OK")
                with lock:
                    held.append((s, f))
            except Exception as e:  # noqa: BLE001 - collected and reported below
                with lock:
                    errors.append(f"session {i}: {e!r}")
    try:
        threads = [threading.Thread(target=open_sessions, args=(range(k, IDLE_SESSIONS, 8),)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, f"{len(errors)} sessions failed, e.g. {errors[:3]}"
        assert len(held) == IDLE_SESSIONS
        # every held session still answers; a new one works beside them
        for s, f in held[::97]:
            s.sendall(b"NOOP\r\n")
            expect(f, b"+OK")
        probe = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
        pf = probe.makefile("rb", buffering=0)
        expect(pf, b"+OK")
        probe.sendall(b"CAPA\r\n")
        expect(pf, b"+OK")
        probe.close()
        java = os.path.realpath(f"/proc/{srv.proc.pid}/exe")
        jcmd = os.path.join(os.path.dirname(java), "jcmd")
        if os.path.exists(jcmd):
            subprocess.run([jcmd, str(srv.proc.pid), "GC.run"], capture_output=True, timeout=60)
            info = subprocess.run([jcmd, str(srv.proc.pid), "GC.heap_info"], capture_output=True, text=True,
                                  timeout=60).stdout
            used = re.search(r"used (\d+)K", info)
            if used:
                print(f"  {IDLE_SESSIONS} idle sessions after a {LONG_LINE}-octet line each: "
                      f"heap used after full GC {int(used.group(1)) // 1024} MB of 512")
                assert int(used.group(1)) < 256 * 1024, info
        assert srv.proc.poll() is None, "server died: " + srv.output()[-2000:]
    finally:
        for s, _ in held:
            s.close()
        srv.stop()
    assert "OutOfMemoryError" not in srv.output()


@test
def demo_starts_and_serves_sample_mail():
    port = free_port()
    proc = subprocess.Popen([LAUNCHER, "demo", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        password, lines = None, []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stdout.readline().decode()
            lines.append(line)
            if "password:" in line:
                password = line.split()[-1]
            if "Ctrl-C" in line or not line:
                break
        assert password, "".join(lines)
        p = poplib.POP3("127.0.0.1", port, timeout=30)
        p.user("demo")
        p.pass_(password)
        count, _ = p.stat()
        assert count >= 12, count
        p.quit()
        # the curl line the demo prints works as printed
        printed = next(l for l in lines if "curl -u" in l and l.split("#")[0].rstrip().endswith("/1")).split("#")[0].split()
        got = subprocess.run(printed, capture_output=True, timeout=30)
        assert got.returncode == 0 and b"Subject:" in got.stdout, got
    finally:
        # SIGTERM, not SIGINT: a shell starts background jobs with SIGINT ignored, and the JVM keeps an ignored
        # SIGINT ignored, so the demo would not stop when the suite runs in the background (issue 10 §7).
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0



# ---- operations (issue 14): admin endpoint, who/kick, reload, JSON logs, doctor ----
def http(port, path, method="GET"):
    import urllib.error
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(port):
    status, body = http(port, "/metrics")
    assert status == 200, (status, body)
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def wait_for(predicate, what, timeout=30, server=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    # the server's own account of what it did instead, for a failure seen only in CI
    raise AssertionError("timed out waiting for " + what
                         + (f"; the server's output ends:\n{server.output()[-4000:]}" if server else ""))


def self_signed(directory, name):
    key, cert = os.path.join(directory, name + "-key.pem"), os.path.join(directory, name + "-cert.pem")
    subprocess.run(["openssl", "req", "-new", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


@test
def operations_metrics_who_kick_reload_and_json_logs():
    data = os.path.join(WORK, "ops-data")
    r = run(["user", "add", "olga", "--data", data, "--scheme", "PLAIN"], stdin=b"olga-pw\n")
    assert r.returncode == 0, r
    for i in range(3):
        r = run(["deliver", "--user", "olga", "--data", data], stdin=b"Subject: m%d\n\nbody %d\n" % (i, i))
        assert r.returncode == 0, r
    certs = os.path.join(WORK, "ops-certs")
    os.makedirs(certs, exist_ok=True)
    cert1, key1 = self_signed(certs, "one")
    cert2, key2 = self_signed(certs, "two")
    admin = free_port()
    conf = os.path.join(WORK, "ops.conf")
    base = f"log-format = json\nadmin = 127.0.0.1:{admin}\ntls-cert = {cert1}\ntls-key = {key1}\n"
    with open(conf, "w") as f:
        f.write(base + "max-bad-commands = 10\n")
    srv = Server(data=data, extra=("--config", conf))
    try:
        assert http(admin, "/health") == (200, "ok\n")
        assert http(admin, "/ready") == (200, "ready\n")
        # metrics move by exactly what a scripted session did
        before = scrape(admin)
        p = srv.pop("olga", "olga-pw")
        size = int(p.list(1).split()[2])
        p.retr(1)
        p.dele(2)
        p.quit()
        wait_for(lambda: scrape(admin)['postoffice_sessions_active{listener="pop3"}'] == 0, "the session's end",
                 server=srv)
        after = scrape(admin)

        def moved(sample):
            return after[sample] - before.get(sample, 0.0)
        assert moved('postoffice_connections_total{listener="pop3"}') == 1
        assert moved('postoffice_logins_total{mechanism="USER",result="ok"}') == 1
        assert moved('postoffice_commands_total{command="RETR"}') == 1
        assert moved('postoffice_commands_total{command="DELE"}') == 1
        assert moved('postoffice_command_seconds_count{command="RETR"}') == 1
        assert moved("postoffice_retrieved_bytes_total") == size
        assert moved("postoffice_deleted_messages_total") == 1
        r = run(["deliver", "--user", "olga", "--data", data], stdin=b"Subject: late\n\nlate\n")
        assert r.returncode == 0, r
        assert scrape(admin)['postoffice_deliveries_total{result="ok"}'] == after['postoffice_deliveries_total{result="ok"}'] + 1
        assert "jvm_memory_used_bytes" in "".join(after) and "postoffice_auth_queue_depth" in after
        assert after["postoffice_tls_certificate_expiry_seconds"] > time.time() + 29 * 86400, after["postoffice_tls_certificate_expiry_seconds"]

        # who and kick: the session ends, its DELE is not applied
        p = srv.pop("olga", "olga-pw")
        assert p.stat()[0] == 3, p.stat()
        p.dele(1)
        r = run(["who", "--admin", f"127.0.0.1:{admin}"])
        assert r.returncode == 0 and re.search(rb"\tolga\t127\.0\.0\.1\tpop3\ttransaction\t", r.stdout), r
        r = run(["kick", "olga", "--config", conf])  # --admin from the configuration file
        assert r.returncode == 0 and r.stdout == b"ended 1 session(s) of olga\n", r
        try:
            p.noop()
            raise AssertionError("the kicked session still answers")
        except (poplib.error_proto, OSError, EOFError):
            pass
        q = srv.pop("olga", "olga-pw")
        assert q.stat()[0] == 3  # nothing deleted
        q.quit()

        # reload under open sessions: a changed limit and certificate reach the next session only
        old_tls = poplib.POP3_SSL("127.0.0.1", srv.tls_port, context=ssl.create_default_context(cafile=cert1),
                                  timeout=30)
        old_plain = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        old_plain_file = old_plain.makefile("rb")
        assert old_plain_file.readline().startswith(b"+OK")
        with open(conf, "w") as f:
            f.write(base.replace(cert1, cert2).replace(key1, key2) + "max-bad-commands = 2\n")
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "max-bad-commands: 10 -> 2" in srv.output(), "the reload's log line", server=srv)
        fresh = poplib.POP3_SSL("127.0.0.1", srv.tls_port, context=ssl.create_default_context(cafile=cert2),
                                timeout=30)
        fresh.user("olga")
        fresh.pass_("olga-pw")
        fresh.quit()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
            f = s.makefile("rb")
            assert f.readline().startswith(b"+OK")
            s.sendall(b"BOGUS\r\nBOGUS\r\n")
            assert f.readline().startswith(b"-ERR") and b"closing" in f.readline()
            assert f.readline() == b""
        for _ in range(5):  # the open session keeps its 10
            old_plain.sendall(b"BOGUS\r\n")
            assert old_plain_file.readline() == b"-ERR unknown command\r\n"
        old_plain.close()
        old_tls.user("olga")
        old_tls.pass_("olga-pw")
        assert old_tls.stat()[0] == 3  # the open TLS session kept its certificate and goes on
        old_tls.quit()

        # an invalid file is rejected with line numbers; the server goes on with what it had
        with open(conf, "w") as f:
            f.write(base + "max-bad-commands = zero\nmax-bad-comands = 3\n")
        r = run(["reload", "--admin", f"127.0.0.1:{admin}"])
        assert r.returncode == 1, r
        assert f"{conf}:5: max-bad-commands: not a whole number".encode() in r.stderr, r
        assert f"{conf}:6: unknown setting 'max-bad-comands'".encode() in r.stderr, r
        with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
            f = s.makefile("rb")
            assert f.readline().startswith(b"+OK")
            s.sendall(b"BOGUS\r\nBOGUS\r\n")
            assert f.readline().startswith(b"-ERR") and b"closing" in f.readline()  # still 2
        srv.pop("olga", "olga-pw").quit()
    finally:
        assert srv.stop() == 0
    # every line of the JSON log parses, the auth lines carry their fields
    import json
    events = [json.loads(line) for line in srv.output().splitlines() if line.strip()]
    auth = [e for e in events if e.get("event") == "auth"]
    assert auth and all(e["user"] == "olga" and e["mechanism"] == "USER" for e in auth), auth
    assert any(e["result"] == "ok" and e.get("session") for e in auth), auth
    assert any("ended 1 session(s) of olga" in e["msg"] for e in events)
    assert any(e["level"] == "WARN" and "reload rejected" in e["msg"] for e in events)



@test
def a_server_started_with_sighup_ignored_says_it_cannot_reload_on_it():
    # nohup (or a parent ignoring SIGHUP) leaves SIGHUP ignored, and the JVM keeps it so: the server must say so
    # rather than let an operator's SIGHUP do nothing in silence
    warning = "SIGHUP is ignored by this process"
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        srv = Server()
    finally:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        wait_for(lambda: warning in srv.output(), "the warning", server=srv)
    finally:
        srv.stop()
    srv = Server()
    try:
        wait_for(lambda: "serving " in srv.output(), "the line after the signal handlers", server=srv)
        assert warning not in srv.output(), srv.output()
    finally:
        srv.stop()


@test
def doctor_finds_each_seeded_fault():
    data = os.path.join(WORK, "doctor-data")
    r = run(["user", "add", "dora", "--data", data, "--scheme", "PLAIN"], stdin=b"dora-pw\n")
    assert r.returncode == 0, r
    certs = os.path.join(WORK, "doctor-certs")
    os.makedirs(certs, exist_ok=True)
    key, cert = os.path.join(certs, "key.pem"), os.path.join(certs, "cert.pem")
    subprocess.run(["openssl", "req", "-new", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "10", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    os.chmod(data, 0o700)
    os.chmod(os.path.join(data, "users"), 0o600)
    conf = os.path.join(WORK, "doctor.conf")
    with open(conf, "w") as f:
        f.write(f"pop3 = 127.0.0.1:{free_port()}\npop3s = 127.0.0.1:{free_port()}\nhostname = localhost\n")
    r = run(["doctor", "--config", conf, "--data", data])
    assert r.returncode == 0 and r.stdout == b"doctor: no problems found\n", r

    # now break it, one fault of each kind
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    busy_port = busy.getsockname()[1]
    with open(conf, "w") as f:
        f.write(f"pop3 = 127.0.0.1:{busy.getsockname()[1]}\npop3s = off\nhostname = localhost\n"
                f"tls-cert = {cert}\ntls-key = {key}\nsasl-mechanism = PLAIN\n")
    with open(os.path.join(data, "users"), "a") as f:
        f.write("dora:{PLAIN}again\nbroken line without a password\n")
    os.chmod(os.path.join(data, "users"), 0o644)
    os.chmod(data, 0o777)
    os.makedirs(os.path.join(data, "home"), exist_ok=True)
    os.makedirs(os.path.join(WORK, "doctor-elsewhere"), exist_ok=True)
    os.symlink(os.path.join(WORK, "doctor-elsewhere"), os.path.join(data, "home", "dora"))
    try:
        r = run(["doctor", "--config", conf, "--data", data])
    finally:
        busy.close()
    out = r.stdout.decode()
    users = os.path.join(data, "users")
    expected = [
        f"{conf}:6: unknown setting 'sasl-mechanism' (did you mean sasl-mechanisms?); fix: ",
        f"{data}: writable by group or others",
        f"{users}: readable or writable by others: it holds password hashes; fix: chmod 600 {users}",
        f"{users}:2: user dora is defined again (first on line 1); only the first counts; fix: remove the later line",
        f"{users}:3: no password field; fix: ",
        f"{os.path.join(data, 'home', 'dora')}: is a symbolic link",
        f"pop3 127.0.0.1:{busy_port}: cannot be bound (Address already in use): the port is in use; fix: ",
        f"{cert}: expires on ",
    ]
    for e in expected:
        assert e in out, (e, out)
    assert r.returncode == 1 and out.endswith("doctor: 8 problem(s) found\n"), r
    assert b"Exception" not in r.stderr, r


try:
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"integration: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
finally:
    shutil.rmtree(WORK, ignore_errors=True)
