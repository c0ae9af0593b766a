package dev.postoffice.server.command;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Tells a failure to read the stored message apart from a failure to write to the client, which both
 * surface as IOException from the streaming loop.
 */
final class ReadFailureMarker extends FilterInputStream {
    static final class ReadFailed extends IOException {
        ReadFailed(IOException cause) {
            super(cause);
        }
    }

    ReadFailureMarker(InputStream in) {
        super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (IOException e) {
            throw new ReadFailed(e);
        }
    }
}
