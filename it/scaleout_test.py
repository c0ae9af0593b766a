#!/usr/bin/env python3
"""Two Postoffice nodes on one PostgreSQL database behind HAProxy (issue 11, docs/deployment.md): Debian's
`postgresql` and `haproxy`, installed by this script when missing (root only; otherwise SKIP), then

- mail delivered over LMTP (swaks) through node A is read through HAProxy by curl and poplib, and directly from
  both nodes, with identical UIDLs and bytes;
- a second login to a busy maildrop through the other node (and through HAProxy) gets [IN-USE];
- kill -9 of the node holding a session frees the maildrop within the lease TTL;
- a node paused (SIGSTOP) past the TTL loses its lease: the other node takes the maildrop, and when the paused
  node resumes its session's QUIT deletes nothing;
- the nodes log the real client address HAProxy passes in PROXY v2 (connecting from 127.0.0.7);
- with the database stopped, logins get -ERR [SYS/TEMP], LMTP a 4xx and /ready a 503; once it is back, all work again.
"""
import os
import poplib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import itlib
from itlib import Postgres, Server, ensure_package, free_port, run, test

WORK = tempfile.mkdtemp(prefix="postoffice-scaleout-")
PASSWORD = "scale-out-pw"
TTL = 3  # seconds: lease-ttl of the test's store URL (the default is 15)
MESSAGE = b"From: sender@remote.test\r\nSubject: across nodes\r\n\r\n" + b"a line of the body\r\n" * 300


class Pop(poplib.POP3):
    """poplib from a chosen source address (another loopback address), as another host would connect."""

    def __init__(self, port, source="127.0.0.1"):
        self._source = source
        super().__init__("127.0.0.1", port, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))


def login(port, source="127.0.0.1"):
    p = Pop(port, source)
    p.user("alice")
    p.pass_(PASSWORD)
    return p


def refused(port, code):
    p = Pop(port)
    p.user("alice")
    try:
        p.pass_(PASSWORD)
    except poplib.error_proto as e:
        assert code.encode() in e.args[0], e.args[0]
        p.close()
        return True
    p.quit()
    return False


class Cluster:
    def __init__(self, pg):
        self.env = {"POSTOFFICE_DB_PASSWORD": pg.password}
        self.url = pg.url() + f"&lease-ttl={TTL}s"
        self.lmtp = free_port()
        self.nodes = {}
        self.start("a")
        self.start("b")
        self.front = free_port()
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
    bind 127.0.0.1:{self.front}
    default_backend postoffice
backend postoffice
    balance leastconn
    server a 127.0.0.1:{self.nodes['a'].port} source 127.0.0.2 send-proxy-v2 check check-send-proxy inter 500ms
    server b 127.0.0.1:{self.nodes['b'].port} source 127.0.0.2 send-proxy-v2 check check-send-proxy inter 500ms
""")
        self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.front), timeout=5) as s:
                    if s.recv(100).startswith(b"+OK"):
                        break
            except OSError:
                pass
            assert time.time() < deadline and self.haproxy.poll() is None, "HAProxy did not start"
            time.sleep(0.2)

    def start(self, name):
        data = os.path.join(WORK, f"node-{name}")
        os.makedirs(data, exist_ok=True)
        self.admin = getattr(self, "admin", {})
        self.admin[name] = free_port()
        extra = ["--store", self.url, "--set", "proxy-protocol-from=127.0.0.2/32", "--hostname", f"node-{name}.test",
                 "--admin", f"127.0.0.1:{self.admin[name]}"]
        if name == "a":
            extra += ["--lmtp", f"127.0.0.1:{self.lmtp}"]
        self.nodes[name] = Server(data, WORK, env=self.env, extra=tuple(extra))
        return self.nodes[name]

    def port(self, name):
        return self.nodes[name].port

    def stop(self):
        self.haproxy.terminate()
        self.haproxy.wait(timeout=30)
        for node in self.nodes.values():
            if node.proc.poll() is None:
                os.kill(node.proc.pid, signal.SIGCONT)
            node.stop()


def swaks(port, data):
    path = os.path.join(WORK, f"msg-{time.time_ns()}.eml")
    with open(path, "wb") as f:
        f.write(data + b".\r\n")
    return subprocess.run(["swaks", "--protocol", "LMTP", "--server", "127.0.0.1", "--port", str(port), "--helo",
                           "mta.test", "--from", "sender@remote.test", "--to", "alice@example.org", "--no-data-fixup",
                           "--timeout", "60", "--data", "@" + path], capture_output=True, timeout=120)


def uidls(p):
    return [line.split()[1] for line in p.uidl()[1]]


def ready(admin_port):
    """GET /ready of a node's admin endpoint: (status, body)."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/ready", timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_login(port, limit):
    """Logs in as soon as the maildrop is free; (client, seconds waited); fails after limit seconds."""
    t0 = time.time()
    while True:
        try:
            return login(port), time.time() - t0
        except poplib.error_proto as e:
            assert b"[IN-USE]" in e.args[0], e.args[0]
            assert time.time() - t0 < limit, f"the maildrop is still in use after {limit} s"
            time.sleep(0.2)


def main():
    if not (ensure_package("postgresql", "/usr/lib/postgresql/*/bin/initdb") and ensure_package("haproxy", "haproxy")
            and ensure_package("swaks", "swaks") and ensure_package("curl", "curl")):
        print("SKIP scale-out: PostgreSQL, HAProxy, swaks or curl not installed and cannot be installed here")
        return 0
    pg = Postgres(WORK)
    env = dict(os.environ, POSTOFFICE_DB_PASSWORD=pg.password)
    url = pg.url()
    r = run(["db", "migrate", "--store", url], env=env)
    assert r.returncode == 0, r
    r = run(["user", "add", "alice", "--store", url], stdin=(PASSWORD + "\n").encode(), env=env)
    assert r.returncode == 0, r
    cluster = Cluster(pg)
    try:
        def delivered_through_node_a_reads_the_same_everywhere():
            for _ in range(3):
                r = swaks(cluster.lmtp, MESSAGE)
                assert r.returncode == 0, r.stdout.decode()[-2000:]
            seen = {}
            for name in ("a", "b"):
                p = login(cluster.port(name))
                seen[name] = (uidls(p), b"\r\n".join(p.retr(1)[1]))
                p.quit()
            p = login(cluster.front)
            seen["haproxy"] = (uidls(p), b"\r\n".join(p.retr(1)[1]))
            p.quit()
            assert len(seen["a"][0]) == 3, seen["a"][0]
            assert seen["a"] == seen["b"] == seen["haproxy"], "the same maildrop on every node"
            assert seen["a"][1].endswith(MESSAGE.rstrip(b"\r\n")), seen["a"][1][-200:]
            got = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", f"alice:{PASSWORD}",
                                  f"pop3://127.0.0.1:{cluster.front}/1"], capture_output=True, timeout=60)
            assert got.returncode == 0, got
            assert got.stdout.replace(b"\r\n", b"\n").endswith(MESSAGE.replace(b"\r\n", b"\n")), got.stdout[-300:]

        def a_busy_maildrop_is_in_use_through_the_other_node_and_haproxy():
            holder = login(cluster.port("a"))
            try:
                assert refused(cluster.port("b"), "[IN-USE]"), "a second login through node b was accepted"
                assert refused(cluster.front, "[IN-USE]"), "a second login through HAProxy was accepted"
            finally:
                holder.quit()
            login(cluster.port("b")).quit()

        def kill_9_of_the_holding_node_frees_the_maildrop_within_the_ttl():
            holder = login(cluster.port("a"))
            cluster.nodes["a"].kill9()
            holder.close()
            p, waited = wait_login(cluster.port("b"), TTL + 10)
            p.quit()
            print(f"  kill -9: the maildrop was free again through node b after {waited:.1f} s (lease-ttl {TTL} s)")
            assert waited <= TTL + 2, f"{waited:.1f} s, more than lease-ttl {TTL} s and 2 s of heartbeat slack"
            cluster.start("a")

        def a_paused_node_loses_its_lease_and_its_quit_deletes_nothing():
            before = len(login_and_quit(cluster.port("b")))
            paused = login(cluster.port("a"))
            paused.dele(1)
            os.kill(cluster.nodes["a"].proc.pid, signal.SIGSTOP)
            try:
                p, waited = wait_login(cluster.port("b"), TTL + 10)
                assert len(uidls(p)) == before
                p.quit()
            finally:
                os.kill(cluster.nodes["a"].proc.pid, signal.SIGCONT)
            try:
                reply = paused._shortcmd("QUIT")
            except poplib.error_proto as e:
                reply = e.args[0] if isinstance(e.args[0], bytes) else e.args[0].encode()  # '-ERR EOF': closed
            except (OSError, EOFError):
                reply = b"(closed by the node)"
            assert not reply.startswith(b"+OK"), f"the paused node's QUIT answered {reply!r}"
            print(f"  SIGSTOP: node b took the maildrop after {waited:.1f} s; node a's QUIT then got {reply!r}")
            assert len(login_and_quit(cluster.port("b"))) == before, "the paused node's UPDATE deleted mail"

        def login_and_quit(port):
            p = login(port)
            listed = uidls(p)
            p.quit()
            return listed

        def the_nodes_log_the_real_client_address():
            p = login(cluster.front, "127.0.0.7")
            p.quit()
            time.sleep(0.5)
            logs = cluster.nodes["a"].output() + cluster.nodes["b"].output()
            assert "ip=127.0.0.7 user=alice" in logs, logs[-3000:]

        def the_database_gone_is_a_temporary_failure_and_its_return_heals():
            pg.stop()
            try:
                p = Pop(cluster.port("b"))
                p.user("alice")
                try:
                    p.pass_(PASSWORD)
                    raise AssertionError("a login succeeded without the database")
                except poplib.error_proto as e:
                    assert b"[SYS/TEMP]" in e.args[0], e.args[0]
                p.close()
                r = swaks(cluster.lmtp, MESSAGE)
                assert re.search(rb"<\*\* 4\d\d ", r.stdout), r.stdout.decode()[-2000:]
                code, body = ready(cluster.admin["b"])
                assert code == 503 and "mail store not reachable" in body, (code, body)
            finally:
                pg.start()
            deadline = time.time() + 60
            while True:  # the pool reconnects; the nodes' heartbeats renew their liveness
                try:
                    login_and_quit(cluster.port("b"))
                    break
                except (poplib.error_proto, OSError) as e:
                    assert time.time() < deadline, f"no login 60 s after the database came back: {e}"
                    time.sleep(0.5)
            r = swaks(cluster.lmtp, MESSAGE)
            assert r.returncode == 0, r.stdout.decode()[-2000:]
            assert ready(cluster.admin["b"]) == (200, "ready\n")
            for name in ("a", "b"):
                login_and_quit(cluster.port(name))

        for fn in (delivered_through_node_a_reads_the_same_everywhere,
                   a_busy_maildrop_is_in_use_through_the_other_node_and_haproxy,
                   kill_9_of_the_holding_node_frees_the_maildrop_within_the_ttl,
                   a_paused_node_loses_its_lease_and_its_quit_deletes_nothing,
                   the_nodes_log_the_real_client_address,
                   the_database_gone_is_a_temporary_failure_and_its_return_heals):
            test(fn)
    finally:
        cluster.stop()
        pg.stop()
    if all(ok for _, ok in itlib.results):
        subprocess.run(["rm", "-rf", WORK])
    else:
        print(f"kept {WORK} for inspection")
    itlib.summary()


if __name__ == "__main__":
    sys.exit(main())
