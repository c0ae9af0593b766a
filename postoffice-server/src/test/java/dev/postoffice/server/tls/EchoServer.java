package dev.postoffice.server.tls;

import dev.postoffice.testkit.TlsClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A tiny POP3-flavoured server on 127.0.0.1 that uses {@link TlsManager}: in STLS mode it greets, waits
 * for {@code STLS} and answers {@code +OK} before wrapping; in implicit mode it wraps at once. Over TLS it
 * answers each line with {@code +OK line} and {@code QUIT} with {@code +OK bye}, then closes.
 */
final class EchoServer implements AutoCloseable {
    enum Mode { STLS, IMPLICIT }

    /** The longest any test waits for something the server should do; a bound against hangs, not a timing assertion. */
    static final long PATIENCE_SECONDS = 30;

    final Mode mode;
    /** Accepted plaintext sockets, in order. */
    final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
    /** Sockets the wrap method returned, in order. */
    final BlockingQueue<SSLSocket> wrapped = new LinkedBlockingQueue<>();
    /** What the wrap method threw. */
    final BlockingQueue<IOException> failures = new LinkedBlockingQueue<>();
    /** The plaintext socket's read timeout before wrapping (0: none). */
    volatile int plainTimeoutMillis;

    private final TlsManager tls;
    private final ServerSocket listener;
    private final Thread acceptor;

    EchoServer(TlsManager tls, Mode mode) throws IOException {
        this.tls = tls;
        this.mode = mode;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofPlatform().daemon().name("echo-acceptor").start(this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** A {@link TlsClient} connected to this server (after STLS in STLS mode) for host {@code localhost}. */
    TlsClient connect(SSLContext context) throws IOException {
        return connect(context, "localhost", s -> { });
    }

    /** A {@link TlsClient} connected to this server; {@code configure} adjusts its socket before the handshake. */
    TlsClient connect(SSLContext context, String host, Consumer<SSLSocket> configure) throws IOException {
        return TlsClient.connect(port(), mode == Mode.STLS, context, host, configure,
                Duration.ofSeconds(PATIENCE_SECONDS));
    }

    SSLSocket nextWrapped() throws InterruptedException {
        SSLSocket socket = wrapped.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
        if (socket == null) {
            throw new AssertionError("the server wrapped no connection");
        }
        return socket;
    }

    IOException nextFailure() throws InterruptedException {
        IOException failure = failures.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
        if (failure == null) {
            throw new AssertionError("the server's handshake did not fail");
        }
        return failure;
    }

    Socket nextAccepted() throws InterruptedException {
        Socket socket = accepted.poll(PATIENCE_SECONDS, TimeUnit.SECONDS);
        if (socket == null) {
            throw new AssertionError("the server accepted no connection");
        }
        return socket;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket socket = listener.accept();
                accepted.add(socket);
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void serve(Socket plain) {
        SSLSocket socket;
        try {
            plain.setSoTimeout(plainTimeoutMillis);
            if (mode == Mode.STLS) {
                OutputStream out = plain.getOutputStream();
                out.write("+OK echo ready\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String command = TlsClient.readLine(plain.getInputStream());
                if (!"STLS".equalsIgnoreCase(command)) {
                    plain.close();
                    return;
                }
                out.write("+OK begin TLS negotiation\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                socket = tls.wrapForStls(plain);
            } else {
                socket = tls.wrapImplicit(plain);
            }
        } catch (IOException e) {
            failures.add(e);
            return;
        }
        wrapped.add(socket);
        try (socket;
             BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
             Writer out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.US_ASCII)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("QUIT")) {
                    out.write("+OK bye\r\n");
                    out.flush();
                    return;
                }
                out.write("+OK " + line + "\r\n");
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(PATIENCE_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Socket s : accepted) {
            s.close();
        }
    }
}
