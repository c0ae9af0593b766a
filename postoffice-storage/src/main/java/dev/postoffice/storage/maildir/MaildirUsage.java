package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Maildir's usage (canonical octets and messages) kept in {@code postoffice-usage} ("OCTETS MESSAGES"), updated
 * under a lock by every delivery and every UPDATE of this store, so quotas never list the Maildir. A missing or
 * unreadable file is rebuilt from a listing of {@code new/} and {@code cur/} (the {@code W=} size in the name, or
 * the file measured); deleting the file is how to resynchronise after other software changed the Maildir. The
 * file is not fsynced: after a crash it may miss the last deliveries until it is rebuilt. Like every file of the
 * Maildir it is used through the approved handles ({@link MaildirDirs}) and never through a link: one planted in
 * its place is removed (with a warning) and the usage counted again; links and other non-regular entries in
 * {@code new/} and {@code cur/} are not counted.
 */
final class MaildirUsage {
    static final String FILE_NAME = "postoffice-usage";
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MaildirUsage.class);

    /** Striped in-process locks (the file lock excludes other processes, not other threads). */
    private final ReentrantLock[] stripes = new ReentrantLock[64];

    MaildirUsage() {
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** Locks the usage of an opened Maildir until the returned hold is closed. */
    Held hold(MaildirDirs dirs) throws IOException {
        ReentrantLock stripe = stripes[Math.floorMod(dirs.maildir().hashCode(), stripes.length)];
        stripe.lock();
        FileChannel ch = null;
        try {
            ch = open(dirs);
            FileLock lock = lockFile(ch);
            return new Held(dirs, stripe, ch, lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            stripe.unlock();
            throw e;
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

    private static FileLock lockFile(FileChannel ch) throws IOException {
        while (true) {
            try {
                return ch.lock();
            } catch (OverlappingFileLockException e) {
                // Another store in this JVM holds it (tests run several): wait for it like another process.
                try {
                    Thread.sleep(1);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the usage lock", ie);
                }
            }
        }
    }

    /** The locked usage of one Maildir. */
    static final class Held implements AutoCloseable {
        private final MaildirDirs dirs;
        private final ReentrantLock stripe;
        private final FileChannel ch;
        private final FileLock lock;

        private Held(MaildirDirs dirs, ReentrantLock stripe, FileChannel ch, FileLock lock) {
            this.dirs = dirs;
            this.stripe = stripe;
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

        @Override
        public void close() throws IOException {
            try {
                lock.release();
                ch.close();
            } finally {
                stripe.unlock();
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
     * Lists {@code new/} and {@code cur/} through the Maildir's handles and adds up the canonical sizes of their
     * regular files (a link or a FIFO is not a message of this maildrop, and is not followed or opened).
     */
    static Usage count(MaildirDirs dirs) throws IOException {
        long bytes = 0;
        long messages = 0;
        byte[] buf = null;
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
                    if (!dirs.attributes(dir, name).isRegularFile()) {
                        continue;
                    }
                    long w = MaildirNames.sizeField(MaildirNames.baseName(name), 'W');
                    if (w < 0 && buf == null) {
                        buf = new byte[1 << 16];
                    }
                    bytes += w >= 0 ? w : measure(dirs, dir, name, buf);
                    messages++;
                } catch (NoSuchFileException e) {
                    // removed meanwhile by other software
                }
            }
        }
        return new Usage(bytes, messages);
    }

    private static long measure(MaildirDirs dirs, int dir, String name, byte[] buf) throws IOException {
        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        try (InputStream in = Channels.newInputStream(dirs.read(dir, name))) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                counter.update(buf, 0, n);
            }
        }
        return counter.size();
    }
}
