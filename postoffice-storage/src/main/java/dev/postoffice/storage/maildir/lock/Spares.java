package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spare lock files made ahead of need in a template directory, {@code .postoffice-spare-<host>-<pid>-<token>},
 * so that a lock (and the guard of a stale lock's breaking) can be taken on a file system with no free inode
 * or block: a spare already holds an owner line and becomes a separate-file lock by {@code rename(2)}, which
 * allocates nothing, and goes back to its name at the session's end. A rename replaces what it finds, so the
 * check that the lock is absent and the rename happen under {@code .postoffice-spares.lock}, an fcntl lock on
 * a file that exists (and a lock of this JVM, since fcntl locks are per process). The rules are in
 * docs/storage.md ("A full file system").
 */
final class Spares {
    /** Spares kept per template directory: logins on a full file system that may hold the lock at once. */
    static final int COUNT = 8;
    /** Name prefix of the spares. */
    static final String PREFIX = ".postoffice-spare-";
    /** The file whose fcntl lock serialises the claims of all processes. */
    static final String MUTEX = ".postoffice-spares.lock";

    private static final Logger log = LoggerFactory.getLogger(Spares.class);
    /** fcntl locks belong to the process: the stores of this JVM take turns before taking it. */
    private static final ReentrantLock JVM = new ReentrantLock();

    /** One spare: its own name (where it waits and returns) and the token of its owner line. */
    record Spare(Path path, String token) {}

    private final Locks locks;
    private final ConcurrentHashMap<Path, Deque<Spare>> pools = new ConcurrentHashMap<>();
    /** Tokens of every spare of the store, free or in use, so that its own cleaning never removes one. */
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();

    Spares(Locks locks) {
        this.locks = locks;
    }

    private Deque<Spare> pool(Path dir) {
        return pools.computeIfAbsent(dir, d -> new ConcurrentLinkedDeque<>());
    }

    boolean owns(String token) {
        return token != null && tokens.contains(token);
    }

    /** Makes the mutex and tops the spares of a directory up to {@link #COUNT}, while there is room. */
    void provision(Path dir) {
        Deque<Spare> pool = pool(dir);
        try {
            Path mutex = dir.resolve(MUTEX);
            if (!Files.exists(mutex, LinkOption.NOFOLLOW_LINKS)) {
                try (FileChannel ch = LockFiles.open(mutex)) {
                    // empty; never deleted
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // another process made it
                }
            }
            while (pool.size() < COUNT) {
                String token = locks.newToken();
                Owner owner = Owner.of(locks.self(), token, Instant.now());
                Path p = dir.resolve(PREFIX + owner.host() + "-" + owner.pid() + "-" + token);
                tokens.add(token);
                if (!LockFiles.create(p, owner.line())) {
                    tokens.remove(token);
                    break;
                }
                pool.add(new Spare(p, token));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("cannot make spare lock files in {}: {}", dir, e.toString()); // no room: the ones made serve
        }
    }

    /**
     * Takes the lock file by renaming a spare to it, if no file of that name exists.
     *
     * @return the lock; null if a file is in the way (the caller judges it)
     * @throws IOException if there is no spare, or the rename fails (another file system)
     */
    HeldLock claim(Path file, Path dir) throws IOException {
        Spare s = take(dir);
        HeldLock lock = new HeldLock(locks, file, s.token(), null, s);
        boolean used = false;
        try {
            used = underMutex(dir, () -> {
                if (LockFiles.stat(file) != null) {
                    return false;
                }
                locks.register(lock); // before the file exists, as for any lock
                try {
                    Files.move(s.path(), file, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException | RuntimeException e) {
                    locks.deregister(lock);
                    throw e;
                }
                return true;
            });
        } finally {
            if (!used) {
                giveBack(dir, s);
            }
        }
        if (!used) {
            return null;
        }
        touch(file); // a spare's mtime is the last refresh: make it the login's
        log.info("took the lock {} from a spare: the file system has no room for a new one", file);
        return lock;
    }

    /**
     * Breaks a stale lock as {@link StaleLocks#breakStale} does, with a spare as its guard: for a file system
     * with no room for the guard.
     */
    boolean breakStale(Path file, Path dir) throws IOException {
        Path guard = file.resolveSibling(file.getFileName() + Locks.BREAK_SUFFIX);
        Spare s = take(dir);
        boolean guarded = false;
        try {
            guarded = underMutex(dir, () -> {
                if (LockFiles.stat(guard) != null) {
                    return false;
                }
                Files.move(s.path(), guard, StandardCopyOption.ATOMIC_MOVE);
                return true;
            });
            if (!guarded) {
                return false; // another breaker is at it
            }
            touch(guard);
            return locks.breakIfStale(file);
        } finally {
            if (guarded && !putBack(guard, s)) {
                LockFiles.deleteQuietly(guard, null);
                tokens.remove(s.token());
            } else {
                giveBack(dir, s);
            }
        }
    }

    /** A lock made of a spare is released: back to its name, or deleted if that fails. */
    void release(HeldLock lock) throws IOException {
        Spare s = lock.spare;
        if (putBack(lock.file, s)) {
            giveBack(s.path().getParent(), s);
        } else {
            Files.deleteIfExists(lock.file);
            tokens.remove(s.token());
        }
    }

    /** Sets the mtime of the free spares, so that other hosts do not take them as stale. */
    void refresh(FileTime now) {
        for (Deque<Spare> pool : pools.values()) {
            for (Spare s : pool) {
                try {
                    LockFiles.touch(s.path(), now);
                } catch (IOException | RuntimeException e) {
                    if (pool.remove(s)) {
                        tokens.remove(s.token());
                    }
                }
            }
        }
    }

    /** Deletes the free spares (the store is closed). */
    void removeAll() {
        for (Deque<Spare> pool : pools.values()) {
            Spare s;
            while ((s = pool.poll()) != null) {
                LockFiles.deleteQuietly(s.path(), null);
            }
        }
    }

    private Spare take(Path dir) throws IOException {
        Spare s = pool(dir).poll();
        if (s == null) {
            s = adopt(dir);
        }
        if (s == null) {
            throw new IOException("no spare lock file in " + dir);
        }
        return s;
    }

    private void giveBack(Path dir, Spare s) {
        pool(dir).addFirst(s);
    }

    private static boolean putBack(Path from, Spare s) {
        try {
            Files.move(from, s.path(), StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("cannot return {} to {}: {}", from, s.path(), e.toString());
            return false;
        }
    }

    /**
     * A stale spare of another process (killed with the file system full), renamed to a name of this store
     * (only one claimant can rename it) and overwritten in place with this store's owner line, which needs no
     * new block: its own block is big enough for any owner line.
     */
    private Spare adopt(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().startsWith(PREFIX))) {
            for (Path p : entries) {
                LockFiles.Contents c = LockFiles.read(p);
                if (c == null || c.owner() == null || owns(c.owner().token())
                        || locks.judge(p).verdict() != Staleness.Verdict.STALE) {
                    continue;
                }
                String token = locks.newToken();
                Owner owner = Owner.of(locks.self(), token, Instant.now());
                Path mine = dir.resolve(PREFIX + owner.host() + "-" + owner.pid() + "-" + token);
                try {
                    Files.move(p, mine, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    continue; // another process adopted it first
                }
                tokens.add(token);
                try (FileChannel ch = FileChannel.open(mine, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    ByteBuffer b = ByteBuffer.wrap(owner.line().getBytes(StandardCharsets.US_ASCII));
                    while (b.hasRemaining()) {
                        ch.write(b, b.position());
                    }
                    ch.truncate(owner.line().length());
                } catch (IOException e) {
                    tokens.remove(token);
                    LockFiles.deleteQuietly(mine, null);
                    continue;
                }
                log.info("adopted the spare lock file of {} as {}", c.owner().describe(), mine.getFileName());
                return new Spare(mine, token);
            }
        } catch (IOException | DirectoryIteratorException e) {
            log.debug("cannot look for spare lock files in {}: {}", dir, e.toString());
        }
        return null;
    }

    /** Runs a check-and-rename under the JVM's lock and the fcntl lock of the directory's mutex file. */
    private static boolean underMutex(Path dir, IoCondition action) throws IOException {
        JVM.lock();
        try (FileChannel ch = FileChannel.open(dir.resolve(MUTEX), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                FileLock ignored = ch.lock()) {
            return action.run();
        } finally {
            JVM.unlock();
        }
    }

    private static void touch(Path file) {
        try {
            LockFiles.touch(file, FileTime.from(Instant.now()));
        } catch (IOException | RuntimeException e) {
            log.debug("cannot set the mtime of {}: {}", file, e.toString());
        }
    }

    @FunctionalInterface
    private interface IoCondition {
        boolean run() throws IOException;
    }
}
