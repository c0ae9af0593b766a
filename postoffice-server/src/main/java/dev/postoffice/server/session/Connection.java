package dev.postoffice.server.session;

import dev.postoffice.protocol.LineReader;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.ServerMetrics;
import dev.postoffice.server.tls.TlsManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * The transport under one POP3 session: the socket and its swap to TLS, the buffered line reader and response
 * writer, the zero-copy path, and the read and write deadlines the server's watchdog enforces. Knows nothing of
 * POP3 states.
 */
final class Connection {
    private static final int READ_BUFFER = 2048;
    private static final int WRITE_BUFFER = 8192;

    /** The accepted socket, under TLS too: shutting down its input wakes a read that waits too long. */
    private final Socket raw;
    private Socket socket;
    private boolean secure;
    private WatchedOutputStream watchedOut;
    private LineReader in;
    private ResponseWriter out;
    /** When the current wait for the client's next octets began (nanoTime, odd), or 0 when not waiting. */
    private volatile long readingSince;
    /** How long such a wait may last. */
    private volatile long readTimeoutNanos;
    /** Set by the watchdog when a wait lasted too long; the read then ends as a timeout. */
    private volatile boolean readTimedOut;

    Connection(Socket socket) {
        this.raw = socket;
        this.socket = socket;
    }

    /** Starts the connection: implicit TLS first where the listener asks for it (its handshake counted). */
    void open(TlsManager implicitTls, ServerMetrics metrics) throws IOException {
        socket.setTcpNoDelay(true);
        if (implicitTls != null) {
            socket = handshake(() -> implicitTls.wrapImplicit(socket), metrics);
            secure = true;
        }
        attachStreams();
    }

    private interface Handshake {
        Socket run() throws IOException;
    }

    private Socket handshake(Handshake h, ServerMetrics metrics) throws IOException {
        Socket tls;
        try {
            tls = h.run();
        } catch (IOException e) {
            metrics.tlsHandshake(false, "none");
            throw e;
        }
        metrics.tlsHandshake(true, ((javax.net.ssl.SSLSocket) tls).getSession().getProtocol());
        return tls;
    }

    private void attachStreams() throws IOException {
        watchedOut = new WatchedOutputStream(socket.getOutputStream());
        out = new ResponseWriter(watchedOut, WRITE_BUFFER);
        in = new LineReader(new WatchedInputStream(socket.getInputStream()), READ_BUFFER,
                ServerConfig.HARD_LINE_LIMIT, out::flush);
    }

    /**
     * STLS after {@code +OK} went out: throws away whatever the client pipelined in cleartext (it must never run as
     * if it had come through TLS) and negotiates TLS. Returns the number of octets discarded.
     */
    int startTls(TlsManager tls, ServerMetrics metrics) throws IOException {
        out.flush();
        int discarded = in.discardBuffered();
        Socket plain = socket;
        socket = handshake(() -> tls.wrapForStls(plain), metrics);
        secure = true;
        attachStreams();
        return discarded;
    }

    /** Whether the connection has been closed (by the server: shutdown, a timeout, the end of the session). */
    boolean closed() {
        return raw.isClosed() || readTimedOut;
    }

    /**
     * Whether the client has hung up, asked while the session waits for something else (its password hash): a read
     * that waits a millisecond at most, whose octets stay buffered for the next command. Session thread only.
     */
    boolean peerHungUp() {
        if (closed()) {
            return true;
        }
        try {
            socket.setSoTimeout(1);
            try {
                return !in.pollPeer();
            } finally {
                socket.setSoTimeout(0);
            }
        } catch (IOException e) {
            return true; // reset, or TLS broken off: gone either way
        }
    }

    boolean secure() {
        return secure;
    }


    LineReader in() {
        return in;
    }

    ResponseWriter out() {
        return out;
    }

    /**
     * How long the client may keep the server waiting for its next octets. Not SO_TIMEOUT: a timed read parks the
     * virtual thread with a timer, and arming and cancelling one per read cost a scheduler thread wake-up each. The
     * server's watchdog checks waits once a second instead ({@link #checkReadIdle}).
     */
    void readTimeout(Duration d) {
        readTimeoutNanos = d.toNanos();
    }

    /**
     * The zero-copy path for stored messages that need no conversion: on a cleartext connection, file octets go to
     * the socket with sendfile. Null under TLS (the octets must be encrypted in the JVM) or without a channel.
     */
    ResponseWriter.DirectTransfer directTransfer() {
        SocketChannel channel = secure ? null : socket.getChannel();
        if (channel == null) {
            return null;
        }
        WatchedOutputStream watched = watchedOut;
        return new ResponseWriter.DirectTransfer() {
            @Override
            public long transfer(FileChannel file, long position, long count) throws IOException {
                return watched.transfer(file, position, count, channel);
            }

            @Override
            public void write(ByteBuffer... octets) throws IOException {
                watched.write(octets, channel);
            }
        };
    }

    /**
     * Wakes a wait for the client that has lasted longer than the timeout; it then ends as a timeout. Returns whether
     * the session is waiting for the client now.
     */
    boolean checkReadIdle(long nowNanos) {
        long since = readingSince;
        long limit = readTimeoutNanos;
        if (since != 0 && limit > 0 && nowNanos - since > limit && !readTimedOut) {
            readTimedOut = true;
            try {
                raw.shutdownInput();
            } catch (IOException e) {
                close();
            }
        }
        return since != 0;
    }

    /**
     * Ends the connection's reading now, whatever the client sends: the current or next read ends as a timeout once
     * the octets already buffered are used up.
     */
    void expireReads() {
        if (!readTimedOut) {
            readTimedOut = true;
            try {
                raw.shutdownInput();
            } catch (IOException e) {
                close();
            }
        }
    }

    /** Whether a write has been blocked on a peer that does not read for longer than {@code limit}. */
    boolean writeStalled(long nowNanos, Duration limit) {
        WatchedOutputStream w = watchedOut;
        long started = w == null ? 0 : w.blockedSince;
        return started != 0 && nowNanos - started > limit.toNanos();
    }

    long bytesWritten() {
        return out == null ? 0 : out.bytesWritten();
    }

    void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** The client's stream, noting when a read waits (see {@link #checkReadIdle}). */
    private final class WatchedInputStream extends InputStream {
        private final InputStream in;

        WatchedInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            readingSince = System.nanoTime() | 1;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                throw readTimedOut ? timedOut() : e;
            } finally {
                readingSince = 0;
            }
            if (n < 0 && readTimedOut) {
                throw timedOut();
            }
            return n;
        }

        private SocketTimeoutException timedOut() {
            return new SocketTimeoutException("no command from the client within the timeout");
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }
    }

    /** Tracks how long a write has been blocked on a peer that does not read. */
    private static final class WatchedOutputStream extends OutputStream {
        private final OutputStream out;
        private volatile long blockedSince;

        WatchedOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            blockedSince = System.nanoTime() | 1;
            try {
                out.write(b, off, len);
            } finally {
                blockedSince = 0;
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        /**
         * Sends file octets with {@link FileChannel#transferTo}, watched like a write. Virtual threads keep the
         * socket non-blocking underneath, so this returns 0 rather than waiting when the peer's window is full.
         */
        /** Writes all of some off-heap buffers to the channel (gathering), watched like any write. */
        void write(ByteBuffer[] octets, SocketChannel channel) throws IOException {
            blockedSince = System.nanoTime() | 1;
            try {
                while (octets[octets.length - 1].hasRemaining()) {
                    channel.write(octets);
                }
            } finally {
                blockedSince = 0;
            }
        }

        long transfer(FileChannel file, long position, long count, SocketChannel channel) throws IOException {
            blockedSince = System.nanoTime() | 1;
            try {
                return file.transferTo(position, count, channel);
            } finally {
                blockedSince = 0;
            }
        }
    }
}
