package dev.postoffice.storage.maildir;

import dev.postoffice.storage.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Maildir's usage (canonical octets and messages) kept in {@code postoffice-usage} ("OCTETS MESSAGES"), updated
 * under a lock by every delivery and every UPDATE of this store, so quotas never list the Maildir. A missing or
 * unreadable file is rebuilt from a listing of {@code new/} and {@code cur/} (the {@code W=} size in the name, else
 * the {@code S=} size or the size on disk: {@link #count}); deleting the file is how to resynchronise after other
 * software changed the Maildir. The file is not fsynced: after a crash it may miss the last deliveries until it is
 * rebuilt. Like every file of the Maildir it is used through the approved handles ({@link MaildirDirs}) and never
 * through a link: one planted in its place is removed (with a warning) and the usage counted again; links and other
 * non-regular entries in {@code new/} and {@code cur/} are not counted.
 */
final class MaildirUsage {
    static final String FILE_NAME = "postoffice-usage";
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MaildirUsage.class);

    /** How long an operation waits for the usage, held by another thread or process, before failing (temporarily). */
    static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * One in-process lock per Maildir in use (the file lock excludes other processes, not other threads), so that
     * a Maildir whose usage is slow to get (its owner holding a lock on a file of theirs put in the usage file's
     * place, a recount of a huge file) holds up no other Maildir's deliveries and UPDATEs.
     */
    private final ConcurrentHashMap<Path, InProcess> inProcess = new ConcurrentHashMap<>();
    private final Duration wait;

    MaildirUsage() {
        this(WAIT);
    }

    MaildirUsage(Duration wait) {
        this.wait = wait;
    }

    /** A Maildir's in-process lock and how many threads hold or wait for it. */
    private static final class InProcess {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    /**
     * Locks the usage of an opened Maildir until the returned hold is closed.
     *
     * @throws IOException if it cannot be opened, or is held elsewhere for longer than {@link #WAIT}
     */
    Held hold(MaildirDirs dirs) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        Path key = dirs.maildir();
        InProcess mine = inProcess.compute(key, (k, v) -> {
            InProcess e = v == null ? new InProcess() : v;
            e.users++;
            return e;
        });
        Runnable leave = () -> inProcess.computeIfPresent(key, (k, v) -> --v.users == 0 ? null : v);
        boolean locked = false;
        FileChannel ch = null;
        try {
            try {
                locked = mine.lock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the usage of " + key, e);
            }
            if (!locked) {
                throw new IOException("the usage of " + key + " stayed held by another session for " + wait.toSeconds()
                        + " s");
            }
            ch = open(dirs);
            FileLock lock = lockFile(ch, dirs.path(MaildirDirs.ROOT, FILE_NAME), deadline);
            InProcess held = mine;
            return new Held(dirs, () -> {
                held.lock.unlock();
                leave.run();
            }, ch, lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            if (locked) {
                mine.lock.unlock();
            }
            leave.run();
            throw e;
        }
    }

    /**
     * Removes the usage file of a Maildir whose usage changed but could not be recorded, so the next use counts it
     * again; never fails (a warning says why it could not).
     */
    static void forget(MaildirDirs dirs) {
        Path file = dirs.path(MaildirDirs.ROOT, FILE_NAME);
        try {
            dirs.deleteIfExists(MaildirDirs.ROOT, FILE_NAME);
            log.warn("{} could not be updated: removed, the next delivery or login counts the usage again", file);
        } catch (IOException e) {
            log.warn("{} could not be updated nor removed, and may overstate the usage until removed: {}", file,
                    e.toString());
        }
    }

    /**
     * The usage file, opened for reading and writing without following a link, made if missing. Anything but a
     * regular file in its place (a link to another file, which every write would truncate and overwrite; a FIFO)
     * is unlinked first, so the usage is counted again; one planted between that check and the open is refused by
     * the open (a link) or by the first write's truncation (a FIFO), and dealt with at the next use.
     */
    private static FileChannel open(MaildirDirs dirs) throws IOException {
        BasicFileAttributes found;
        try {
            found = dirs.attributes(MaildirDirs.ROOT, FILE_NAME);
        } catch (NoSuchFileException e) {
            found = null;
        }
        if (found != null && !found.isRegularFile()) {
            log.warn("{} is not a regular file ({}): removing it and counting the usage again",
                    dirs.path(MaildirDirs.ROOT, FILE_NAME), found.isSymbolicLink() ? "a symbolic link"
                            : found.isDirectory() ? "a directory" : "a special file");
            dirs.deleteIfExists(MaildirDirs.ROOT, FILE_NAME);
        }
        return dirs.openOrCreate(MaildirDirs.ROOT, FILE_NAME);
    }

    /**
     * Locks the usage file, waiting until {@code deadline} ({@link System#nanoTime()}) at most: the file may be one
     * the Maildir's owner put there and holds a lock on (the next use replaces it only if it is not a regular
     * file), and waiting for them must not hang a delivery.
     */
    private FileLock lockFile(FileChannel ch, Path file, long deadline) throws IOException {
        for (long pause = 1; ; pause = Math.min(pause * 2, 50)) {
            try {
                FileLock lock = ch.tryLock();
                if (lock != null) {
                    return lock;
                }
            } catch (OverlappingFileLockException e) {
                // Another store in this JVM holds it (tests run several): wait for it like another process.
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException(file + " stayed locked by another process for " + wait.toSeconds() + " s");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the usage lock", ie);
            }
        }
    }

    /** The locked usage of one Maildir. */
    static final class Held implements AutoCloseable {
        private final MaildirDirs dirs;
        private final Runnable unlockInProcess;
        private final FileChannel ch;
        private final FileLock lock;

        private Held(MaildirDirs dirs, Runnable unlockInProcess, FileChannel ch, FileLock lock) {
            this.dirs = dirs;
            this.unlockInProcess = unlockInProcess;
            this.ch = ch;
            this.lock = lock;
        }

        /** The recorded usage, or the one counted now if nothing valid is recorded. */
        Usage usage() throws IOException {
            long size = ch.size();
            if (size > 0 && size < 64) {
                ByteBuffer buf = ByteBuffer.allocate((int) size);
                while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
                    // read fully
                }
                Usage u = parse(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
                if (u != null) {
                    return u;
                }
            }
            return count(dirs);
        }

        /** Records the usage. */
        void write(Usage usage) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap((usage.bytes() + " " + usage.messages() + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
            long pos = 0;
            while (buf.hasRemaining()) {
                pos += ch.write(buf, pos);
            }
            ch.truncate(pos);
        }

        /**
         * Records the usage, or, when that fails, removes the file so the next use counts it again: for a change
         * already made (a message in {@code new/}, messages removed), which must not be reported as failed.
         */
        void recordOrForget(Usage usage) {
            try {
                write(usage);
            } catch (IOException e) {
                log.warn("cannot update the usage of {}: {}", dirs.maildir(), e.toString());
                forget(dirs);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
                ch.close();
            } finally {
                unlockInProcess.run();
            }
        }
    }

    static Usage parse(String text) {
        String[] parts = text.strip().split(" ");
        if (parts.length != 2) {
            return null;
        }
        try {
            long bytes = Long.parseLong(parts[0]);
            long messages = Long.parseLong(parts[1]);
            return bytes >= 0 && messages >= 0 ? new Usage(bytes, messages) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Lists {@code new/} and {@code cur/} through the Maildir's handles and adds up the sizes of their regular files:
     * the canonical size of the {@code W=} field in the name (all mail delivered here has it), else the {@code S=}
     * field or the size on disk, which for other software's mail with bare LF line ends is a little less than the
     * canonical size. No file is opened: this runs under the usage's lock, where a FIFO swapped in for a message
     * between its check and its open (or a huge sparse file) would hold every later delivery of the Maildir.
     * Links and FIFOs are not messages of this maildrop and are not counted.
     */
    static Usage count(MaildirDirs dirs) throws IOException {
        long bytes = 0;
        long messages = 0;
        for (int dir : new int[] {MaildirDirs.NEW, MaildirDirs.CUR}) {
            List<String> names;
            try {
                names = dirs.names(dir);
            } catch (NoSuchFileException e) {
                continue; // a Maildir not created yet holds nothing
            }
            for (String name : names) {
                if (name.isEmpty() || name.charAt(0) == '.') {
                    continue;
                }
                try {
                    BasicFileAttributes attrs = dirs.attributes(dir, name);
                    if (!attrs.isRegularFile()) {
                        continue;
                    }
                    String base = MaildirNames.baseName(name);
                    long w = MaildirNames.sizeField(base, 'W');
                    long size = MaildirNames.sizeField(base, 'S');
                    bytes += w >= 0 ? w : size >= 0 ? size : attrs.size();
                    messages++;
                } catch (NoSuchFileException e) {
                    // removed meanwhile by other software
                }
            }
        }
        return new Usage(bytes, messages);
    }
}
