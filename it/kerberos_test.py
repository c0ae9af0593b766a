#!/usr/bin/env python3
"""End-to-end: SASL GSSAPI (RFC 4752) with a real MIT Kerberos KDC and real clients.

Creates a throwaway realm under a temporary directory (its own krb5.conf and kdc.conf through KRB5_CONFIG and
KRB5_KDC_PROFILE; /etc is not touched), the user principals alice (who has an account) and bob (who has none),
the service principals pop/localhost (in the server's keytab) and imap/localhost (not), and starts krb5kdc in the
foreground on a free port. Then `postoffice serve` with gssapi-keytab and gssapi-principal, and logs in with
`kinit` + `curl --login-options AUTH=GSSAPI` and with `mpop --auth=gssapi`; checks that a ticket for another
service, a principal without an account, a replayed token, no ticket (after kdestroy) and an expired ticket are
all refused, and that CAPA offers GSSAPI only with a readable keytab. `postoffice fetch` with `;auth=GSSAPI` logs in
with the ticket cache and with a keytab (no password), and fails with exit 69 without a ticket, with an expired
one, or for a principal without an account. Kills the KDC at the end.

Installs krb5-kdc, krb5-admin-server, krb5-user and mpop with apt-get when missing; needs root for that and skips
with a message when not root or when the packages cannot be installed. Prints 'N passed, N failed'.
"""
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "postoffice")
REALM = "POSTOFFICE.TEST"
HOST = "localhost"  # the service principal's host, and the name every client connects to
results = []


def skip(why):
    print(f"kerberos: SKIPPED: {why}", flush=True)
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_packages():
    """MIT Kerberos and mpop, installed with apt-get when missing (root only)."""
    needed = {"krb5kdc": "krb5-kdc", "kadmin.local": "krb5-admin-server", "kinit": "krb5-user", "mpop": "mpop"}
    missing = [pkg for binary, pkg in needed.items() if not shutil.which(binary)
               and not os.path.exists(os.path.join("/usr/sbin", binary))]
    if not missing:
        return
    if os.geteuid() != 0:
        skip(f"not root, and {' '.join(missing)} missing")
    packages = " ".join(missing)
    r = subprocess.run(["bash", "-c", f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {packages} >/dev/null 2>&1"
                        f" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {packages})"],
                       capture_output=True, timeout=900)
    if r.returncode != 0:
        skip(f"apt-get could not install {packages}: {r.stderr.decode(errors='replace')[-300:]}")


def sbin(name):
    return shutil.which(name) or os.path.join("/usr/sbin", name)


class Kdc:
    """A KDC for REALM in WORK: database, principals, the service keytab; krb5kdc in the foreground."""

    def __init__(self, work):
        self.work = work
        self.port = free_port()
        self.conf = os.path.join(work, "krb5.conf")
        self.keytab = os.path.join(work, "pop.keytab")
        self.ccache = os.path.join(work, "ccache")
        with open(self.conf, "w") as f:
            f.write(f"""[libdefaults]
  default_realm = {REALM}
  dns_lookup_realm = false
  dns_lookup_kdc = false
  rdns = false
  dns_canonicalize_hostname = false
  clockskew = 5
  default_ccache_name = FILE:{self.ccache}
[realms]
  {REALM} = {{
    kdc = 127.0.0.1:{self.port}
  }}
[domain_realm]
  {HOST} = {REALM}
""")
        with open(os.path.join(work, "kdc.conf"), "w") as f:
            f.write(f"""[kdcdefaults]
  kdc_ports = {self.port}
  kdc_tcp_ports = {self.port}
[realms]
  {REALM} = {{
    database_name = {work}/principal
    key_stash_file = {work}/stash
    acl_file = {work}/kadm5.acl
    max_life = 1h
    max_renewable_life = 0
  }}
[logging]
  kdc = FILE:{work}/kdc.log
""")
        open(os.path.join(work, "kadm5.acl"), "w").close()
        self.env = dict(os.environ, KRB5_CONFIG=self.conf, KRB5_KDC_PROFILE=os.path.join(work, "kdc.conf"),
                        KRB5CCNAME=f"FILE:{self.ccache}")
        self.run([sbin("kdb5_util"), "create", "-s", "-r", REALM, "-P", "master-key-of-the-test-realm"])
        for query in ("addprinc -pw alice-pw alice", "addprinc -pw bob-pw bob",
                      f"addprinc -randkey pop/{HOST}", f"addprinc -randkey imap/{HOST}",
                      f"ktadd -k {self.keytab} pop/{HOST}"):
            self.run([sbin("kadmin.local"), "-r", REALM, "-q", query])
        self.log = open(os.path.join(work, "krb5kdc.out"), "wb")
        self.proc = subprocess.Popen([sbin("krb5kdc"), "-n", "-r", REALM], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"krb5kdc exited with {self.proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("krb5kdc did not start listening")

    def run(self, args, stdin=None):
        r = subprocess.run(args, env=self.env, input=stdin, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"{args} failed: {r.stderr.decode(errors='replace')}")
        return r

    def kinit(self, user, lifetime=None):
        self.run(["kinit", *(["-l", lifetime] if lifetime else []), user], stdin=f"{user}-pw\n".encode())

    def kdestroy(self):
        subprocess.run(["kdestroy"], env=self.env, capture_output=True, timeout=30)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


class Server:
    """`postoffice serve` with the KDC's keytab; the JVM reads the realm's krb5.conf (clockskew of 5 s)."""

    def __init__(self, data, kdc, keytab=None):
        self.port = free_port()
        env = dict(kdc.env, POSTOFFICE_NO_BUILD=os.environ.get("POSTOFFICE_NO_BUILD", "1"),
                   POSTOFFICE_JAVA_OPTS=f"-Djava.security.krb5.conf={kdc.conf}")
        self.log = open(os.path.join(data, f"server-{self.port}.log"), "wb")
        self.proc = subprocess.Popen(
            [LAUNCHER, "serve", "--data", data, "--pop3", f"127.0.0.1:{self.port}", "--pop3s", "off",
             "--auth-failure-delay", "100ms", "--set", f"gssapi-keytab={keytab or kdc.keytab}",
             "--set", f"gssapi-principal=pop/{HOST}@{REALM}"],
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

    def capa(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            f = s.makefile("rwb")
            f.readline()
            f.write(b"CAPA\r\n")
            f.flush()
            lines = []
            while (line := f.readline().rstrip(b"\r\n")) != b".":
                lines.append(line.decode())
            return lines

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=30)
        return self.proc.returncode


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


def curl(kdc, port, *args, user="alice"):
    """curl with AUTH=GSSAPI against the server, as `user` (curl tries GSSAPI only for a name with a realm)."""
    return subprocess.run(["curl", "-sS", "-v", "--max-time", "30", "-u", f"{user}@{REALM}:", "--login-options", "AUTH=GSSAPI",
                           *args, f"pop3://{HOST}:{port}/"], env=kdc.env, capture_output=True, timeout=60)


def mpop(kdc, work, port, user="alice"):
    """mpop --auth=gssapi in keep mode; returns (exit code, messages delivered, output)."""
    conf = os.path.join(work, "mpoprc")
    mbox = os.path.join(work, "fetched.mbox")
    with open(conf, "w") as f:
        f.write(f"""defaults
tls off
keep on
uidls_file {work}/mpop-uidls
account krb
host {HOST}
port {port}
auth gssapi
user {user}
delivery mbox {mbox}
""")
    os.chmod(conf, 0o600)
    r = subprocess.run(["mpop", "-C", conf, "--auth=gssapi", "-q", "krb"], env=kdc.env, capture_output=True,
                       timeout=60)
    count = open(mbox, "rb").read().count(b"\nFrom ") + 1 if os.path.exists(mbox) and os.path.getsize(mbox) else 0
    return r.returncode, count, (r.stdout + r.stderr).decode(errors="replace")


def auth_lines(server, result):
    return [l for l in server.output().splitlines() if "mechanism=GSSAPI" in l and f"result={result}" in l]


def logged(server, predicate):
    """Whether the server's log satisfies `predicate` within 10 s (the log is written asynchronously)."""
    deadline = time.time() + 10
    while not predicate(server.output()):
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


ensure_packages()
WORK = tempfile.mkdtemp(prefix="postoffice-krb-")
DATA = os.path.join(WORK, "data")
try:
    KDC = Kdc(WORK)
except Exception as e:
    shutil.rmtree(WORK, ignore_errors=True)
    skip(f"MIT Kerberos could not be set up: {e}")
SERVER = None


def setup():
    """alice's account with one message, and the server (the KDC is killed at the end whatever happens here)."""
    global SERVER
    env = dict(os.environ, POSTOFFICE_NO_BUILD=os.environ.get("POSTOFFICE_NO_BUILD", "1"))
    subprocess.run([LAUNCHER, "user", "add", "alice", "--data", DATA], input=b"a-password-nobody-uses\n",
                   env=env, capture_output=True, timeout=120, check=True)
    subprocess.run([LAUNCHER, "deliver", "--user", "alice", "--data", DATA],
                   input=b"From: kdc@postoffice.test\r\nSubject: kerberized\r\n\r\nSingle sign-on works.\r\n",
                   env=env, capture_output=True, timeout=120, check=True)
    SERVER = Server(DATA, KDC)


try:
    setup()
except BaseException:
    KDC.stop()
    shutil.rmtree(WORK, ignore_errors=True)
    raise


@test
def capa_offers_gssapi_with_a_readable_keytab_only():
    assert any(l.startswith("SASL ") and "GSSAPI" in l.split() for l in SERVER.capa()), SERVER.capa()
    missing = Server(DATA, KDC, keytab=os.path.join(WORK, "no-such.keytab"))
    try:
        sasl = [l for l in missing.capa() if l.startswith("SASL ")]
        assert not any("GSSAPI" in l.split() for l in sasl), sasl
        # logged when CAPA asked, by the asynchronous log writer: it may land a moment after the reply
        deadline = time.time() + 10
        while "is not readable; GSSAPI is not offered" not in missing.output() and time.time() < deadline:
            time.sleep(0.1)
        assert "is not readable; GSSAPI is not offered" in missing.output(), missing.output()[-2000:]
    finally:
        missing.stop()


@test
def kinit_and_curl_log_in():
    KDC.kinit("alice")
    r = curl(KDC, SERVER.port)
    assert r.returncode == 0 and r.stdout.strip().startswith(b"1 "), r
    # (not with --sasl-ir: curl 7.88 drops an initial response over POP3's 255 octets, then takes the server's
    # empty challenge for its answer and fails with "Context is already fully established")
    r = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"alice@{REALM}:", "--login-options", "AUTH=GSSAPI",
                        f"pop3://{HOST}:{SERVER.port}/1"], env=KDC.env, capture_output=True, timeout=60)
    assert r.returncode == 0 and b"Single sign-on works." in r.stdout, r
    assert logged(SERVER, lambda _: len(auth_lines(SERVER, "ok")) >= 2), SERVER.output()


@test
def mpop_logs_in():
    KDC.kinit("alice")
    code, count, out = mpop(KDC, WORK, SERVER.port)
    assert code == 0 and count == 1, (code, count, out)


def fetch(kdc, port, name, *args, user="alice"):
    """`postoffice fetch ;auth=GSSAPI` into a Maildir (keep mode); no password anywhere: the ticket is the credential.
    The JVM finds the realm through KRB5_CONFIG and the ticket through KRB5CCNAME, as MIT's tools do."""
    maildir = os.path.join(WORK, f"fetch-{name}")
    env = dict(kdc.env, POSTOFFICE_NO_BUILD=os.environ.get("POSTOFFICE_NO_BUILD", "1"))
    env.pop("POSTOFFICE_PASSWORD", None)
    r = subprocess.run([LAUNCHER, "fetch", f"pop3://{user};auth=GSSAPI@{HOST}:{port}/", "--maildir", maildir,
                        "--keep", "--state", os.path.join(WORK, f"fetch-{name}.state"), "--timeout", "30s", *args],
                       env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    new = os.path.join(maildir, "new")
    files = [open(os.path.join(new, f), "rb").read() for f in os.listdir(new)] if os.path.isdir(new) else []
    return r.returncode, files, (r.stdout + r.stderr).decode(errors="replace")


@test
def postoffice_fetch_logs_in_with_a_ticket():
    KDC.kinit("alice")
    before = len(auth_lines(SERVER, "ok"))
    code, files, out = fetch(KDC, SERVER.port, "ticket")
    assert code == 0 and len(files) == 1 and b"Single sign-on works." in files[0], (code, files, out)
    assert "(GSSAPI)" in out, out
    assert logged(SERVER, lambda _: len(auth_lines(SERVER, "ok")) == before + 1), SERVER.output()
    code, files, out = fetch(KDC, SERVER.port, "ticket")  # keep mode: nothing new the second time
    assert code == 1 and len(files) == 1, (code, files, out)


@test
def postoffice_fetch_logs_in_from_a_keytab_without_a_ticket():
    keytab = os.path.join(WORK, "alice.keytab")
    if not os.path.exists(keytab):
        KDC.run([sbin("kadmin.local"), "-r", REALM, "-q", f"ktadd -norandkey -k {keytab} alice"])  # password kept
    KDC.kdestroy()
    code, files, out = fetch(KDC, SERVER.port, "keytab", "--keytab", keytab)
    assert code == 0 and len(files) == 1, (code, files, out)


@test
def postoffice_fetch_without_a_ticket_or_for_a_principal_without_an_account_fails():
    KDC.kdestroy()
    code, files, out = fetch(KDC, SERVER.port, "none")
    assert code == 69 and not files and "no usable Kerberos credentials for GSSAPI (run kinit" in out, (code, out)
    assert "\tat " not in out and "Exception" not in out.split(": ", 1)[0], out
    KDC.kinit("bob")
    code, files, out = fetch(KDC, SERVER.port, "bob", user="bob")
    assert code == 69 and not files and "login as bob failed (GSSAPI): [AUTH]" in out, (code, out)


@test
def a_ticket_for_another_service_is_refused():
    KDC.kinit("alice")
    before = len(auth_lines(SERVER, "fail"))
    r = curl(KDC, SERVER.port, "--service-name", "imap")
    assert r.returncode == 67 and b"-ERR [AUTH] authentication failed" in r.stderr, r
    assert logged(SERVER, lambda _: len(auth_lines(SERVER, "fail")) == before + 1), SERVER.output()
    assert "gssapi: refused:" in SERVER.output()


@test
def a_principal_without_an_account_is_refused():
    KDC.kinit("bob")
    r = curl(KDC, SERVER.port, user="bob")
    assert r.returncode == 67 and b"-ERR [AUTH] authentication failed" in r.stderr, r
    assert logged(SERVER, lambda out: f"principal bob@{REALM} (authzid '') has no account here" in out), \
        SERVER.output()


class Recorder:
    """A TCP relay between a client and the server that keeps the client's lines (to replay a token)."""

    def __init__(self, port):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target = port
        self.client_lines = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        conn, _ = self.listener.accept()
        upstream = socket.create_connection(("127.0.0.1", self.target))

        def pump(src, dst, record):
            buf = b""
            try:
                while data := src.recv(65536):
                    if record:
                        buf += data
                        while b"\r\n" in buf:
                            line, buf = buf.split(b"\r\n", 1)
                            self.client_lines.append(line)
                    dst.sendall(data)
            except OSError:
                pass  # the other direction closed both sockets first
            dst.close()

        threading.Thread(target=pump, args=(upstream, conn, False), daemon=True).start()
        pump(conn, upstream, True)


@test
def a_replayed_token_is_refused():
    KDC.kinit("alice")
    recorder = Recorder(SERVER.port)
    r = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"alice@{REALM}:", "--login-options", "AUTH=GSSAPI",
                        "--connect-to", f"{HOST}:{SERVER.port}:127.0.0.1:{recorder.port}",
                        f"pop3://{HOST}:{SERVER.port}/"], env=KDC.env, capture_output=True, timeout=60)
    assert r.returncode == 0, r
    first = recorder.client_lines[recorder.client_lines.index(b"AUTH GSSAPI") + 1]
    token = base64.b64decode(first)
    assert len(token) > 100, len(token)  # an AP-REQ
    auth = b"AUTH GSSAPI " + first  # replayed as an initial response
    with socket.create_connection(("127.0.0.1", SERVER.port), timeout=30) as s:
        f = s.makefile("rwb")
        f.readline()
        f.write(auth + b"\r\n")
        f.flush()
        reply = f.readline()
        assert reply.startswith(b"-ERR [AUTH] authentication failed"), reply
    assert logged(SERVER, lambda out: "Request is a replay" in out), SERVER.output()


@test
def bad_tokens_are_refused_without_a_trace():
    with socket.create_connection(("127.0.0.1", SERVER.port), timeout=30) as s:
        f = s.makefile("rwb")
        f.readline()
        for line, expected in ((b"AUTH GSSAPI " + base64.b64encode(b"\x60\x82 not a token"), b"-ERR [AUTH] "),
                               (b"AUTH GSSAPI not*base64", b"-ERR ")):
            f.write(line + b"\r\n")
            f.flush()
            reply = f.readline()
            assert reply.startswith(expected) and b"Exception" not in reply, reply
    assert logged(SERVER, lambda out: "Defective token detected" in out), SERVER.output()
    refusals = [l for l in SERVER.output().splitlines() if "gssapi: refused:" in l]
    assert refusals and not any("not a token" in l for l in refusals), refusals
    assert "\tat " not in SERVER.output()  # no stack trace, in the log either


@test
def no_ticket_after_kdestroy_is_refused():
    KDC.kinit("alice")
    KDC.kdestroy()
    r = curl(KDC, SERVER.port)
    assert r.returncode != 0 and b"+OK alice's maildrop" not in r.stderr, r
    code, count, out = mpop(KDC, WORK, SERVER.port)
    assert code != 0, (code, out)


@test
def an_expired_ticket_is_refused():
    KDC.kinit("alice", lifetime="8s")
    KDC.run(["kvno", f"pop/{HOST}"])  # the service ticket is in the cache too, and expires with the TGT
    r = curl(KDC, SERVER.port)
    assert r.returncode == 0, r  # still valid
    time.sleep(10)
    r = curl(KDC, SERVER.port)
    assert r.returncode != 0 and b"+OK alice's maildrop" not in r.stderr, r
    code, count, out = mpop(KDC, WORK, SERVER.port)
    assert code != 0, (code, out)
    code, files, out = fetch(KDC, SERVER.port, "expired")
    assert code == 69 and not files and "GSSAPI" in out, (code, out)


try:
    SERVER.stop()
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"kerberos: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
finally:
    KDC.stop()
    shutil.rmtree(WORK, ignore_errors=True)
