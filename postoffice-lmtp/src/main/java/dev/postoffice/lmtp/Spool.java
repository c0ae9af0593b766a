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

    private final Path dir;
    private byte[] memory = new byte[8192];
    private int used;
    private FileChannel file;
    private OutputStream fileOut;
    private long size;

    /** @param dir where a large message is spooled */
    Spool(Path dir) {
        this.dir = dir;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (fileOut == null && used + len > MEMORY_LIMIT) {
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
            memory = null;
        }
        if (fileOut != null) {
            fileOut.write(b, off, len);
        } else {
            if (used + len > memory.length) {
                memory = Arrays.copyOf(memory, Math.max(used + len, memory.length * 2));
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

    /** A new stream over the content. */
    InputStream open() {
        return file != null ? new Reader(file) : new ByteArrayInputStream(memory, 0, used);
    }

    /** Releases the temporary file, if any (its space goes with its last descriptor). */
    @Override
    public void close() throws IOException {
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
