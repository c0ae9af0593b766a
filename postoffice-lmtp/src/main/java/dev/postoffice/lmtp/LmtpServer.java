package dev.postoffice.lmtp;

import dev.postoffice.auth.UserDirectory;
import dev.postoffice.storage.MailDelivery;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LMTP listener: a TCP address or a Unix socket, one platform acceptor thread, one virtual thread per
 * connection, and a watchdog on the given scheduler that ends sessions past their timeout. TCP peers must be
 * trusted (loopback, or the networks the caller allows): LMTP skips the MTA's checks, so it is never for the world.
 */
public final class LmtpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LmtpServer.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LmtpConfig config;
    private final Recipients recipients;
    private final MailDelivery store;
    private final Predicate<InetAddress> trusted;
    private final TlsUpgrade tls;
    private final DeliveryObserver observer;
    private final ServerSocket tcp;
    private final ServerSocketChannel unix;
    private final Path socketPath;
    private final Set<LmtpSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final ScheduledFuture<?> watchdog;
    private final Thread acceptor;
    private volatile boolean closed;

    /** The server side of a TLS handshake on an accepted socket (STARTTLS), e.g. the POP3 server's TLS setup. */
    @FunctionalInterface
    public interface TlsUpgrade {
        Socket upgrade(Socket plain) throws IOException;
    }

    private LmtpServer(LmtpConfig config, UserDirectory users, MailDelivery store, Predicate<InetAddress> trusted,
            TlsUpgrade tls, DeliveryObserver observer, ServerSocket tcp, ServerSocketChannel unix, Path socketPath,
            ScheduledExecutorService scheduler) {
        this.tls = tls;
        this.observer = observer;
        this.config = config;
        this.recipients = new Recipients(users, config.recipientDelimiter(), config.defaultQuota());
        this.store = store;
        this.trusted = trusted;
        this.tcp = tcp;
        this.unix = unix;
        this.socketPath = socketPath;
        this.watchdog = scheduler.scheduleWithFixedDelay(this::checkDeadlines, 1, 1, TimeUnit.SECONDS);
        this.acceptor = Thread.ofPlatform().name("lmtp-accept").daemon().unstarted(this::acceptLoop);
    }

    /**
     * Listens on a TCP address. {@code trusted} is asked about every peer; loopback is always trusted.
     *
     * @throws BindException if the address is in use
     */
    public static LmtpServer listen(InetSocketAddress address, LmtpConfig config, UserDirectory users,
            MailDelivery store, Predicate<InetAddress> trusted, ScheduledExecutorService scheduler) throws IOException {
        return listen(address, config, users, store, trusted, null, scheduler);
    }

    /** As above, offering STARTTLS through {@code tls} (null for none). */
    public static LmtpServer listen(InetSocketAddress address, LmtpConfig config, UserDirectory users,
            MailDelivery store, Predicate<InetAddress> trusted, TlsUpgrade tls, ScheduledExecutorService scheduler)
            throws IOException {
        return listen(address, config, users, store, trusted, tls, DeliveryObserver.NONE, scheduler);
    }

    /** As above, telling {@code observer} every recipient's outcome. */
    public static LmtpServer listen(InetSocketAddress address, LmtpConfig config, UserDirectory users,
            MailDelivery store, Predicate<InetAddress> trusted, TlsUpgrade tls, DeliveryObserver observer,
            ScheduledExecutorService scheduler) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(address, 128);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        LmtpServer server = new LmtpServer(config, users, store, trusted, tls, observer, socket, null, null, scheduler);
        server.acceptor.start();
        log.info("lmtp: listening on {}:{}", socket.getInetAddress().getHostAddress(), socket.getLocalPort());
        return server;
    }

    /** Listens on a Unix socket; a stale socket file left by a process that is gone is replaced. */
    public static LmtpServer listen(Path socketPath, LmtpConfig config, UserDirectory users, MailDelivery store,
            ScheduledExecutorService scheduler) throws IOException {
        return listen(socketPath, config, users, store, DeliveryObserver.NONE, scheduler);
    }

    /** As above, telling {@code observer} every recipient's outcome. */
    public static LmtpServer listen(Path socketPath, LmtpConfig config, UserDirectory users, MailDelivery store,
            DeliveryObserver observer, ScheduledExecutorService scheduler) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socketPath);
        if (Files.exists(socketPath)) {
            try (SocketChannel probe = SocketChannel.open(address)) {
                throw new BindException(socketPath + ": another server is listening there");
            } catch (BindException e) {
                throw e;
            } catch (IOException e) {
                Files.delete(socketPath); // nobody listens: a stale socket
            }
        }
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(address, 128);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        LmtpServer server = new LmtpServer(config, users, store, a -> true, null, observer, null, channel, socketPath, scheduler);
        server.acceptor.start();
        log.info("lmtp: listening on unix:{}", socketPath);
        return server;
    }

    /** The TCP port, or -1 for a Unix socket. */
    public int port() {
        return tcp != null ? tcp.getLocalPort() : -1;
    }

    private void acceptLoop() {
        while (!closed) {
            Link link = null;
            try {
                link = tcp != null ? tcpLink(tcp.accept()) : unixLink(unix.accept());
                start(link);
            } catch (IOException e) {
                if (!closed) {
                    log.warn("lmtp: accept failed: {}", e.toString());
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                // The listener outlives a full heap (which once ended this thread and LMTP with it, until a
                // restart): say so, pause rather than spin while it lasts, and go on accepting.
                if (link != null) {
                    link.close(); // accepted, never started: its connection is not left open
                }
                if (!closed) {
                    log.error("lmtp: could not accept or start a session: {}", e.toString());
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }
    }

    private void start(Link link) {
        if (link.peer().startsWith("untrusted ")) {
            refuse(link, "554 5.7.1 Not a trusted network", "untrusted peer");
            return;
        }
        if (connections.incrementAndGet() > config.maxConnections()) {
            connections.decrementAndGet();
            refuse(link, "421 4.3.2 Too many connections, try again later", "too many connections");
            return;
        }
        LmtpSession session = null;
        try {
            String id = HexFormat.of().formatHex(randomBytes());
            LmtpSession s = session = new LmtpSession(link, config, recipients, store, observer, id);
            sessions.add(s);
            Thread.ofVirtual().name("lmtp-" + id).start(() -> {
                try {
                    s.run();
                } finally {
                    sessions.remove(s);
                    connections.decrementAndGet();
                }
            });
        } catch (RuntimeException | OutOfMemoryError e) {
            // Not started (a full heap): give its slot back; the accept loop closes the connection.
            if (session != null) {
                sessions.remove(session);
            }
            connections.decrementAndGet();
            throw e;
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void refuse(Link link, String reply, String why) {
        log.warn("lmtp: refused {}: {}", link.peer(), why);
        Thread.ofVirtual().start(() -> {
            try (link) {
                OutputStream out = link.out();
                out.write((reply + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // gone already
            }
        });
    }

    private Link tcpLink(Socket plain) throws IOException {
        plain.setTcpNoDelay(true);
        InetAddress address = plain.getInetAddress();
        Socket[] current = {plain};
        boolean ok = address.isLoopbackAddress() || trusted.test(address);
        String peer = (ok ? "" : "untrusted ") + "[" + address.getHostAddress() + "]";
        return new Link() {
            @Override
            public InputStream in() throws IOException {
                return current[0].getInputStream();
            }

            @Override
            public OutputStream out() throws IOException {
                return current[0].getOutputStream();
            }

            @Override
            public void shutdownInput() {
                try {
                    current[0].shutdownInput();
                } catch (IOException | UnsupportedOperationException e) {
                    close(); // a TLS socket cannot half-close
                }
            }

            @Override
            public String peer() {
                return peer;
            }

            @Override
            public boolean tlsAvailable() {
                return tls != null && current[0] == plain;
            }

            @Override
            public void startTls() throws IOException {
                current[0] = tls.upgrade(plain);
            }

            @Override
            public void close() {
                try {
                    current[0].close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        };
    }

    private static Link unixLink(SocketChannel ch) {
        return new Link() {
            @Override
            public InputStream in() {
                return Channels.newInputStream(ch);
            }

            @Override
            public OutputStream out() {
                return Channels.newOutputStream(ch);
            }

            @Override
            public void shutdownInput() {
                try {
                    ch.shutdownInput();
                } catch (IOException e) {
                    close();
                }
            }

            @Override
            public String peer() {
                return "local";
            }

            @Override
            public void close() {
                try {
                    ch.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        };
    }

    /** Sessions open right now (tests). */
    int sessionCount() {
        return sessions.size();
    }

    private void checkDeadlines() {
        long now = System.nanoTime();
        for (LmtpSession s : sessions) {
            s.checkDeadline(now);
        }
    }

    /** Stops accepting, ends every session (a transaction not finished is not delivered) and removes the socket. */
    @Override
    public void close() {
        closed = true;
        watchdog.cancel(false);
        try {
            if (tcp != null) {
                tcp.close();
            } else {
                unix.close();
                Files.deleteIfExists(socketPath);
            }
        } catch (IOException e) {
            log.warn("lmtp: closing the listener: {}", e.toString());
        }
        for (LmtpSession s : sessions) {
            s.shutdown();
        }
    }
}
