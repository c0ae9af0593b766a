package dev.postoffice.lmtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The connection's transport, whatever it is (TCP, a Unix socket). */
interface Link extends AutoCloseable {
    InputStream in() throws IOException;

    OutputStream out() throws IOException;

    /** Makes a blocked read return end of input (used by the watchdog at a timeout). */
    void shutdownInput();

    /** The peer for logs and {@code Received:}, e.g. {@code [127.0.0.1]}. */
    String peer();

    /** Whether STARTTLS can be offered (a TCP link on a server with TLS, not yet upgraded). */
    default boolean tlsAvailable() {
        return false;
    }

    /** The server side of the TLS handshake; afterwards {@link #in()} and {@link #out()} are the TLS streams. */
    default void startTls() throws IOException {
        throw new IOException("TLS is not available");
    }

    @Override
    void close();
}
