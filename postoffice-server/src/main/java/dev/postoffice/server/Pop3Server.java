package dev.postoffice.server;

import dev.postoffice.auth.AuthService;
import dev.postoffice.server.session.Session;
import dev.postoffice.storage.MaildropStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The POP3 listener: accepts connections and runs each {@link Session} on its own virtual thread.
 *
 * <p>{@link #close()} is the graceful shutdown: stop accepting, close every session that is not in the
 * UPDATE state (they end without removing anything), and wait for those in UPDATE to finish.
 */
public final class Pop3Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pop3Server.class);

    private final ServerConfig config;
    private final AuthService auth;
    private final MaildropStore store;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private final SecureRandom random = new SecureRandom();
    private final long pid = ProcessHandle.current().pid();
    private final ScheduledExecutorService watchdog;
    private final ServerSocket serverSocket;
    private final Thread acceptor;
    private volatile boolean closing;

    private Pop3Server(ServerConfig config, AuthService auth, MaildropStore store, ServerSocket serverSocket) {
        this.config = config;
        this.auth = auth;
        this.store = store;
        this.serverSocket = serverSocket;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pop3-watchdog");
            t.setDaemon(true);
            return t;
        });
        this.acceptor = Thread.ofPlatform().name("pop3-acceptor").unstarted(this::acceptLoop);
    }

    /**
     * Binds the listener and starts accepting.
     *
     * @throws IOException if the address cannot be bound
     */
    public static Pop3Server start(ServerConfig config, AuthService auth, MaildropStore store) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        try {
            ss.bind(config.pop3Listen(), 512);
        } catch (IOException e) {
            ss.close();
            throw e;
        }
        Pop3Server server = new Pop3Server(config, auth, store, ss);
        server.watchdog.scheduleWithFixedDelay(server::checkStalledWrites, 1, 1, TimeUnit.SECONDS);
        server.acceptor.start();
        log.info("POP3 listening on {}", describe(server.address()));
        return server;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverSocket.getLocalSocketAddress();
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    /** Sessions open right now. */
    public int sessionCount() {
        return sessions.size();
    }

    private void acceptLoop() {
        while (!closing) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (SocketException e) {
                if (!closing) {
                    log.error("POP3 listener failed: {}", e.getMessage());
                }
                return;
            } catch (IOException e) {
                log.warn("accept failed: {}", e.getMessage());
                continue;
            }
            try {
                Session[] holder = new Session[1];
                Session session = new Session(socket, config, auth, store, timestamp(), () -> sessions.remove(holder[0]));
                holder[0] = session;
                sessions.add(session);
                if (closing) {
                    session.shutdown();
                }
                Thread.ofVirtual().name("pop3-" + session.peer()).start(session);
            } catch (IOException | RuntimeException e) {
                log.warn("could not start a session: {}", e.getMessage());
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
        }
    }

    /** RFC 1939 section 7: a timestamp unique to this connection, {@code <process-id.clock@hostname>}. */
    private String timestamp() {
        byte[] nonce = new byte[8];
        random.nextBytes(nonce);
        return "<" + pid + "." + connections.incrementAndGet() + "." + HexFormat.of().formatHex(nonce) + "."
                + System.currentTimeMillis() + "@" + config.hostname() + ">";
    }

    private void checkStalledWrites() {
        long now = System.nanoTime();
        for (Session s : sessions) {
            s.checkWriteStall(now);
        }
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        int updating = 0;
        for (Session s : sessions) {
            if (!s.shutdown()) {
                updating++;
            }
        }
        if (updating > 0) {
            log.info("waiting for {} session(s) in UPDATE to finish", updating);
        }
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        watchdog.shutdownNow();
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("POP3 listener on {} stopped", describe(address()));
    }

    private static String describe(InetSocketAddress a) {
        return a == null ? "?" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
