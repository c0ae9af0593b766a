package dev.postoffice.lmtp;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * One transaction's message, read once from the client and delivered to each recipient: in memory up to a
 * threshold, then in a private temporary file that is unlinked as soon as it is created (only the open channel
 * holds it), so that a process killed mid-transaction leaves nothing in the spool directory.
 */
final class Spool extends OutputStream {
    static final int MEMORY_LIMIT = 1 << 20;
    /**
     * Heap that all spools of the process together may hold beyond their first 8 KB: an eighth of the maximum heap,
     * at most 64 MiB. A spool that would take more goes to its file at once, so that many connections each
     * sending a message just under {@link #MEMORY_LIMIT} cannot exhaust the heap (117 of them once filled 256 MB).
     */
    static final long BUDGET = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8);
    private static final java.util.concurrent.atomic.AtomicLong RESERVED = new java.util.concurrent.atomic.AtomicLong();
    private static final int FIRST = 8192;

    private final Path dir;
    private final long budget;
    private byte[] memory = new byte[FIRST];
    /** Of {@link #RESERVED}, what this spool holds (its memory beyond the first 8 KB). */
    private long reserved;
    private int used;
    private FileChannel file;
    private OutputStream fileOut;
    private long size;

    /** @param dir where a large message is spooled */
    Spool(Path dir) {
        this(dir, BUDGET);
    }

    /** With another budget for all spools together (tests). */
    Spool(Path dir, long budget) {
        this.dir = dir;
        this.budget = budget;
    }

    /** What all spools of the process hold in memory beyond their first 8 KB (tests). */
    static long reserved() {
        return RESERVED.get();
    }

    /** Takes {@code more} octets of the budget, or nothing if that would exceed it. */
    private boolean reserve(long more) {
        for (long now = RESERVED.get(); ; now = RESERVED.get()) {
            if (now + more > budget) {
                return false;
            }
            if (RESERVED.compareAndSet(now, now + more)) {
                reserved += more;
                return true;
            }
        }
    }

    private void releaseMemory() {
        RESERVED.addAndGet(-reserved);
        reserved = 0;
        memory = null;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int grown = fileOut == null && used + len > memory.length
                ? Math.min(MEMORY_LIMIT, Math.max(used + len, memory.length * 2)) : -1;
        if (fileOut == null && (used + len > MEMORY_LIMIT || grown > 0 && !reserve(grown - memory.length))) {
            Files.createDirectories(dir);
            Path path = Files.createTempFile(dir, "lmtp-", ".spool",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } finally {
                Files.delete(path);
            }
            fileOut = new BufferedOutputStream(Channels.newOutputStream(file), 64 * 1024);
            fileOut.write(memory, 0, used);
            releaseMemory();
        }
        if (fileOut != null) {
            fileOut.write(b, off, len);
        } else {
            if (grown > 0) {
                memory = Arrays.copyOf(memory, grown); // reserved above
            }
            System.arraycopy(b, off, memory, used, len);
            used += len;
        }
        size += len;
    }

    /** Octets written. */
    long size() {
        return size;
    }

    /** Ends writing; the content can then be read any number of times. */
    void finish() throws IOException {
        if (fileOut != null) {
            fileOut.flush();
        }
    }

    /** A new stream over the content (until {@link #close()}). */
    InputStream open() {
        return file != null ? new Reader(file) : new ByteArrayInputStream(memory, 0, used);
    }

    /** Releases the temporary file, if any (its space goes with its last descriptor). */
    @Override
    public void close() throws IOException {
        if (memory != null) {
            releaseMemory();
        }
        if (file != null) {
            file.close();
        }
    }

    /** Reads the spooled content from its start, by position, so that any number of readers can follow. */
    private static final class Reader extends InputStream {
        private final FileChannel channel;
        private long position;

        Reader(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = channel.read(ByteBuffer.wrap(b, off, len), position);
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }
}
