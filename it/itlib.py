"""Shared helpers of the reliability scripts (full_disk_test.py, kill_matrix_test.py, soak.py): the real
launcher, a server process, a raw POP3 client that reads exact bytes, and the test/summary bookkeeping."""
import os
import signal
import socket
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "postoffice")
results = []


def run(args, stdin=None, env=None, timeout=120):
    return subprocess.run([LAUNCHER] + args, input=stdin, capture_output=True, env=env, timeout=timeout)


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


def add_user(data, name, password):
    r = run(["user", "add", name, "--data", data], stdin=(password + "\n").encode())
    assert r.returncode == 0, r


class Server:
    """`postoffice serve` on an ephemeral port (POP3 only), its output in a log file outside the data directory."""

    def __init__(self, data, logdir, env=None, extra=()):
        self.port = free_port()
        e = dict(os.environ)
        e.update(env or {})
        self.log = open(os.path.join(logdir, f"server-{self.port}.log"), "wb")
        self.proc = subprocess.Popen(
            [LAUNCHER, "serve", "--data", data, "--pop3", f"127.0.0.1:{self.port}", "--pop3s", "off",
             "--auth-failure-delay", "100ms", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=e)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"+OK"):
                        return
            except OSError:
                time.sleep(0.1)
        self.proc.kill()
        self.proc.wait(timeout=30)
        raise RuntimeError("server did not start: " + self.output())

    def output(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client(self, timeout=30):
        return Pop(self.port, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=60)
        return self.proc.returncode

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


class Pop:
    """A minimal POP3 client over a raw socket: exact bytes, multi-line answers un-stuffed."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()
        assert self.greeting.startswith(b"+OK"), self.greeting

    def line(self):
        ln = self.f.readline()
        if not ln:
            raise ConnectionError("connection closed")
        return ln.rstrip(b"\r\n")

    def send(self, cmd):
        self.sock.sendall(cmd.encode() + b"\r\n")

    def cmd(self, cmd):
        self.send(cmd)
        return self.line()

    def ok(self, cmd):
        r = self.cmd(cmd)
        assert r.startswith(b"+OK"), f"{cmd.split(' ')[0]}: {r!r}"
        return r

    def multi(self, cmd):
        """(status line, body bytes with CRLF line ends, dots un-stuffed)."""
        status = self.ok(cmd)
        body = bytearray()
        while True:
            ln = self.f.readline()
            if not ln:
                raise ConnectionError("connection closed in a multi-line answer")
            if ln == b".\r\n":
                return status, bytes(body)
            body += ln[1:] if ln.startswith(b".") else ln

    def login(self, user, password):
        self.ok(f"USER {user}")
        return self.cmd(f"PASS {password}")

    def listing(self):
        _, body = self.multi("LIST")
        return {int(a): int(b) for a, b in (ln.split() for ln in body.decode().splitlines())}

    def uidls(self):
        _, body = self.multi("UIDL")
        return {int(a): b for a, b in (ln.split() for ln in body.decode().splitlines())}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def test(fn, name=None):
    name = name or fn.__name__
    only = os.environ.get("IT_ONLY")
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


def summary():
    failed = [n for n, ok in results if not ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


def ensure_package(package, binary):
    """Installs a Debian package when its binary is missing (root only); False if it cannot be had."""
    import glob
    import shutil
    def found():
        return shutil.which(binary) or glob.glob(binary)
    if found():
        return True
    if os.geteuid() != 0:
        return False
    subprocess.run(["bash", "-c", f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package} >/dev/null 2>&1 || "
                    f"(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package} >/dev/null 2>&1)"],
                   timeout=900)
    return bool(found())


class Postgres:
    """A private PostgreSQL cluster (Debian's package) on an ephemeral loopback port, password authentication over
    TCP, one database and role for Postoffice; run as the `postgres` user when this script runs as root."""

    def __init__(self, workdir, db="postoffice", user="postoffice", password="pg-it-secret"):
        import glob
        import pwd
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed")
        self.bin = os.path.dirname(bins[-1])
        self.dir = os.path.join(workdir, "pg")
        self.sockdir = os.path.join(workdir, "pg-socket")
        os.makedirs(self.dir, mode=0o700)
        os.makedirs(self.sockdir)
        self.as_user = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            for d in (workdir, self.dir, self.sockdir):
                os.chown(d, pw.pw_uid, pw.pw_gid)
            os.chmod(workdir, 0o755)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.db, self.user, self.password = db, user, password
        pwfile = os.path.join(self.sockdir, "superuser-pw")
        with open(pwfile, "w") as f:
            f.write("unused-superuser-password\n")
        if self.as_user:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", self.dir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                  f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C")
        self.log = os.path.join(self.sockdir, "postgresql.log")
        self.start()
        self.psql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        self.psql(f"CREATE DATABASE {db} OWNER {user}")

    def start(self):
        self._run("pg_ctl", "-D", self.dir, "-w", "-l", self.log, "-o",
                  f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 -c fsync=on", "start")

    def _run(self, tool, *args):
        r = subprocess.run(self.as_user + [os.path.join(self.bin, tool), *args], capture_output=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} failed: {r.stdout.decode()} {r.stderr.decode()}")
        return r.stdout.decode()

    def psql(self, sql, db="postgres"):
        return self._run("psql", "-X", "-q", "-At", "-h", self.sockdir, "-p", str(self.port), "-U", "postgres",
                         "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql)

    def url(self):
        """The store URL Postoffice takes (the password given separately, through the environment)."""
        return f"postgresql://127.0.0.1:{self.port}/{self.db}?user={self.user}"

    def stop(self):
        try:
            self._run("pg_ctl", "-D", self.dir, "-m", "immediate", "stop")
        except RuntimeError:
            pass
