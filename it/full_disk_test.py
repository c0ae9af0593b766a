#!/usr/bin/env python3
"""A full file system still lets users take their mail away (docs/reliability.md).

Mounts two small tmpfs file systems holding the data directory, one filled to its last block and one to its
last inode, and on each checks with a real server and a raw POP3 client: `deliver` exits 75 and leaves nothing
in tmp/; login, STAT, LIST, UIDL, RETR (bytes equal to what was delivered, sizes equal to LIST), TOP, DELE and
QUIT work; UPDATE frees the space; a server killed with -9 while a session held the lock, restarted on the full
file system, lets the user in at once. Needs root for mount(8): prints SKIP and exits 0 without it.
"""
import os
import subprocess
import sys
import tempfile
import time

import itlib
from itlib import Server, add_user, canonical, run, test

WORK = tempfile.mkdtemp(prefix="postoffice-full-")
PASSWORD = "full-disk-pw"
MESSAGES = [
    b"From: a@example.org\nSubject: one\n\nFirst message.\n",
    b"From: b@example.org\r\nSubject: two\r\n\r\n.leading dot\r\n..two dots\r\nend\r\n",
    b"From: c@example.org\nSubject: three\n\n" + b"x" * 3000 + b"\n",
    b"From: d@example.org\nSubject: four\n\nno final line break",
]
mounts = []
servers = []


def mount(name, options):
    mnt = os.path.join(WORK, name)
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    mounts.append(mnt)
    return mnt, None


def fill(mnt, kind):
    """Uses up the last block (kind 'blocks') or the last inode ('inodes') of the file system."""
    filler = os.path.join(mnt, "filler")
    os.makedirs(filler, exist_ok=True)
    if kind == "blocks":
        n = len(os.listdir(filler))
        with open(os.path.join(filler, f"blocks-{n}"), "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
    else:
        i = 0
        try:
            while True:
                open(os.path.join(filler, f"inode-{time.monotonic_ns()}-{i}"), "wb").close()
                i += 1
        except OSError:
            pass
    st = os.statvfs(mnt)
    assert (st.f_bavail if kind == "blocks" else st.f_favail) == 0, f"{kind} left: {st}"


def free(mnt, kind):
    st = os.statvfs(mnt)
    return st.f_bfree if kind == "blocks" else st.f_ffree


def files(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def session_takes_mail_away(srv, mnt, kind, data, expected, delete):
    """A whole session on the full file system; returns the messages left (in order)."""
    fill(mnt, kind)
    before = free(mnt, kind)
    p = srv.client()
    r = p.login("alice", PASSWORD)
    assert r.startswith(b"+OK"), f"login on a full file system ({kind}): {r!r}\n{srv.output()[-3000:]}"
    count = int(p.ok("STAT").split()[1])
    assert count == len(expected), (count, len(expected))
    sizes = p.listing()
    uidls = p.uidls()
    assert len(set(uidls.values())) == count
    for n in range(1, count + 1):
        _, body = p.multi(f"RETR {n}")
        assert body == canonical(expected[n - 1]), f"RETR {n} on a full file system"
        assert sizes[n] == len(body), (n, sizes[n], len(body))
    _, top = p.multi("TOP 1 0")
    assert canonical(expected[0]).startswith(top), top
    for n in delete:
        p.ok(f"DELE {n}")
    assert p.cmd("QUIT").startswith(b"+OK")
    p.close()
    if delete:
        assert free(mnt, kind) > before, f"UPDATE freed no {kind}: {before} -> {free(mnt, kind)}"
    return [m for i, m in enumerate(expected, 1) if i not in delete]


def scenario(kind, options):
    mnt, err = mount(kind, options)
    if mnt is None:
        print(f"SKIP full_disk_{kind}: cannot mount a tmpfs ({err})", flush=True)
        return
    data = os.path.join(mnt, "data")
    add_user(data, "alice", PASSWORD)
    inbox = os.path.join(WORK, "in-" + kind)
    os.makedirs(inbox)
    paths = []
    for i, m in enumerate(MESSAGES):
        path = os.path.join(inbox, f"{i}.eml")
        with open(path, "wb") as f:
            f.write(m)
        paths.append(path)
    r = run(["deliver", "--user", "alice", "--data", data, *paths])
    assert r.returncode == 0, r
    maildir = os.path.join(data, "home", "alice", "Maildir")
    expected = list(MESSAGES)

    srv = Server(data, WORK)
    servers.append(srv)
    p = srv.client()
    assert p.login("alice", PASSWORD).startswith(b"+OK")
    p.ok("QUIT")
    p.close()

    # Delivery answers a temporary failure and leaves nothing behind.
    fill(mnt, kind)
    big = os.path.join(inbox, "big.eml")
    with open(big, "wb") as f:
        f.write(b"Subject: big\n\n" + b"y" * 200_000 + b"\n")
    r = run(["deliver", "--user", "alice", "--data", data, big])
    assert r.returncode == 75, f"deliver on a full file system ({kind}): {r.returncode} {r.stderr!r}"
    assert files(os.path.join(maildir, "tmp")) == [], files(os.path.join(maildir, "tmp"))
    assert len(files(os.path.join(maildir, "new"))) + len(files(os.path.join(maildir, "cur"))) == len(expected)

    # A session of the running server: read everything, delete one, UPDATE frees its space.
    expected = session_takes_mail_away(srv, mnt, kind, data, expected, delete=[1])

    # A server killed while a session holds the lock, restarted on the full file system.
    fill(mnt, kind)
    p = srv.client()
    assert p.login("alice", PASSWORD).startswith(b"+OK")
    assert os.path.exists(os.path.join(maildir, "postoffice-pop3.lock"))
    srv.kill9()
    p.close()
    fill(mnt, kind)
    srv2 = Server(data, WORK)
    servers.append(srv2)
    expected = session_takes_mail_away(srv2, mnt, kind, data, expected, delete=[1, 2])
    assert not os.path.exists(os.path.join(maildir, "postoffice-pop3.lock"))
    # Again, with the lock taken from the spares this server adopted.
    expected = session_takes_mail_away(srv2, mnt, kind, data, expected, delete=[])

    # Once there is room again, delivery works and the message is there whole.
    subprocess.run(["rm", "-rf", os.path.join(mnt, "filler")], check=True)
    r = run(["deliver", "--user", "alice", "--data", data, paths[0]])
    assert r.returncode == 0, r
    expected.append(MESSAGES[0])
    session_takes_mail_away(srv2, mnt, kind, data, expected, delete=[])
    assert srv2.stop() == 0
    log = srv2.output()  # the restarted server broke the stale lock and took locks with no room for a file
    assert "removed the stale lock" in log, log[-3000:]
    assert "adopted the spare lock file" in log and "from a spare" in log, log[-3000:]


def main():
    if os.geteuid() != 0:
        print("SKIP full_disk_test: mounting a tmpfs needs root (run the build as root to test a full file system)")
        return 0
    try:
        test(lambda: scenario("blocks", "size=2m,nr_inodes=1000,mode=0700"), "full_disk_blocks")
        test(lambda: scenario("inodes", "size=16m,nr_inodes=200,mode=0700"), "full_disk_inodes")
    finally:
        for s in servers:
            s.kill9()
        for m in mounts:
            subprocess.run(["umount", "-l", m], capture_output=True)
        subprocess.run(["rm", "-rf", WORK])
    itlib.summary()


if __name__ == "__main__":
    sys.exit(main())
