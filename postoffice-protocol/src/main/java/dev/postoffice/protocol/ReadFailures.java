package dev.postoffice.protocol;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Marks read failures of a stored message, so they are told apart from failures to write to the peer. */
final class ReadFailures extends FilterInputStream {
    static final class Failed extends IOException {
        Failed(IOException cause) {
            super(cause);
        }
    }

    ReadFailures(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (IOException e) {
            throw new Failed(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (IOException e) {
            throw new Failed(e);
        }
    }
}
