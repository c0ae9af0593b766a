package dev.postoffice.protocol;

import java.io.ByteArrayInputStream;

/** An input stream that never returns more than {@code chunk} octets per read, like a slow network. */
public final class ChunkedInputStream extends ByteArrayInputStream {
    private final int chunk;

    public ChunkedInputStream(byte[] data, int chunk) {
        super(data);
        this.chunk = chunk;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, chunk));
    }
}
