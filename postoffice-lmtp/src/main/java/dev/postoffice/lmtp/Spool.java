package dev.postoffice.lmtp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * One transaction's message, read once from the client and delivered to each recipient: in memory up to a
 * threshold, then in a private temporary file, deleted by {@link #close()}.
 */
final class Spool extends OutputStream {
    static final int MEMORY_LIMIT = 1 << 20;

    private final Path dir;
    private byte[] memory = new byte[8192];
    private int used;
    private Path file;
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
            file = Files.createTempFile(dir, "lmtp-", ".spool",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            fileOut = Files.newOutputStream(file, StandardOpenOption.WRITE);
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
            fileOut.close();
        }
    }

    /** A new stream over the content. */
    InputStream open() throws IOException {
        return file != null ? Files.newInputStream(file) : new ByteArrayInputStream(memory, 0, used);
    }

    /** Deletes the temporary file, if any. */
    @Override
    public void close() throws IOException {
        try {
            if (fileOut != null) {
                fileOut.close();
            }
        } finally {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }
}
