package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Maildir's usage (canonical octets and messages) kept in {@code postoffice-usage} ("OCTETS MESSAGES"), updated
 * under a lock by every delivery and every UPDATE of this store, so quotas never list the Maildir. A missing or
 * unreadable file is rebuilt from a listing of {@code new/} and {@code cur/} (the {@code W=} size in the name, or
 * the file measured); deleting the file is how to resynchronise after other software changed the Maildir. The
 * file is not fsynced: after a crash it may miss the last deliveries until it is rebuilt.
 */
final class MaildirUsage {
    static final String FILE_NAME = "postoffice-usage";

    /** Striped in-process locks (the file lock excludes other processes, not other threads). */
    private final ReentrantLock[] stripes = new ReentrantLock[64];

    MaildirUsage() {
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** Locks the Maildir's usage until the returned hold is closed. */
    Held hold(Path maildir) throws IOException {
        ReentrantLock stripe = stripes[Math.floorMod(maildir.hashCode(), stripes.length)];
        stripe.lock();
        FileChannel ch = null;
        try {
            Path file = maildir.resolve(FILE_NAME);
            ch = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), FileOps.privateFile(file));
            FileLock lock = lockFile(ch);
            return new Held(maildir, stripe, ch, lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            stripe.unlock();
            throw e;
        }
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
        private final Path maildir;
        private final ReentrantLock stripe;
        private final FileChannel ch;
        private final FileLock lock;

        private Held(Path maildir, ReentrantLock stripe, FileChannel ch, FileLock lock) {
            this.maildir = maildir;
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
            return count(maildir);
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

    /** Lists {@code new/} and {@code cur/} and adds up the canonical sizes. */
    static Usage count(Path maildir) throws IOException {
        long bytes = 0;
        long messages = 0;
        for (String dir : new String[] {MaildirMaildrop.NEW, MaildirMaildrop.CUR}) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(maildir.resolve(dir))) {
                for (Path p : stream) {
                    String name = p.getFileName().toString();
                    if (name.isEmpty() || name.charAt(0) == '.') {
                        continue;
                    }
                    long w = MaildirNames.sizeField(MaildirNames.baseName(name), 'W');
                    try {
                        bytes += w >= 0 ? w : measure(p);
                        messages++;
                    } catch (NoSuchFileException e) {
                        // removed meanwhile by other software
                    }
                }
            } catch (NoSuchFileException e) {
                // a Maildir not created yet holds nothing
            }
        }
        return new Usage(bytes, messages);
    }

    private static long measure(Path file) throws IOException {
        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                counter.update(buf, 0, n);
            }
        }
        return counter.size();
    }
}
