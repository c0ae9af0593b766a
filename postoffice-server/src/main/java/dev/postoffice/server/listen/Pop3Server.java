package dev.postoffice.server.listen;

import dev.postoffice.auth.AuthService;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.ServerContext;
import dev.postoffice.server.ServerMetrics;
import dev.postoffice.server.session.SessionInfo;
import dev.postoffice.server.Scheduler;
import dev.postoffice.server.command.Commands;
import dev.postoffice.server.auth.AccountSaslBackend;
import dev.postoffice.server.limits.AuthThrottle;
import dev.postoffice.server.limits.ConnectionLimits;
import dev.postoffice.server.limits.RefusalLog;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.server.tls.TlsSettings;
import dev.postoffice.storage.MaildropStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners: cleartext POP3 (with STLS) and implicit-TLS POP3S (RFC 8314). Each accepted connection
 * runs as a {@link Session} on its own virtual thread.
 *
 * <p>{@link #close()} is the graceful shutdown: stop accepting, close every session that is not in the
 * UPDATE state (they end without removing anything), and wait for those in UPDATE to finish.
 *
 * <p>Longer than 400 lines because the administrator's side (the session list, kick, reload) works on the same
 * session set and context as the accept loop.
 */
public final class Pop3Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pop3Server.class);
    /** A burst of refused connections is logged once per this. */
    private static final java.time.Duration REFUSAL_LOG_INTERVAL = java.time.Duration.ofMinutes(1);

    /** Replaced by {@link #reconfigure}; each session keeps the one it started with. */
    private volatile ServerContext ctx;
    /** Where generated keys live when the configuration names no TLS directory; null if not known. */
    private Path dataDir;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    /** Sessions not logged in yet, oldest first: the one to close when the server is full. */
    private final ConcurrentSkipListMap<Long, Session> unauthenticated = new ConcurrentSkipListMap<>();
    private final RefusalLog refusals = new RefusalLog(REFUSAL_LOG_INTERVAL);
    private final ProxiedConnections proxies;
    private final AtomicLong connections = new AtomicLong();
    private final SecureRandom random = new SecureRandom();
    private final long pid = ProcessHandle.current().pid();
    /** The server's scheduler (see {@link Scheduler}); shut down at close only when the server made it. */
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final List<ScheduledFuture<?>> periodic = new ArrayList<>();
    private final Commands commands = new Commands();
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final List<Thread> acceptors = new ArrayList<>();
    private ServerSocket pop3;
    private ServerSocket pop3s;
    private volatile boolean closing;

    private Pop3Server(ServerContext ctx, ScheduledExecutorService scheduler, boolean ownScheduler) {
        this.ctx = ctx;
        this.scheduler = scheduler;
        this.ownScheduler = ownScheduler;
        this.proxies = new ProxiedConnections(refusals);
    }

    /**
     * Builds the server's services from the configuration and binds the listeners.
     *
     * @param auth    every login method (see {@link dev.postoffice.server.auth.ServerAuth#create})
     * @param dataDir where generated keys live when the configuration names no TLS directory
     * @throws IOException if a listener cannot be bound
     * @throws dev.postoffice.server.tls.TlsConfigException if the TLS certificate or key is unusable
     */
    public static Pop3Server start(ServerConfig config, AuthService auth, MaildropStore store, Path dataDir)
            throws IOException {
        ScheduledExecutorService scheduler = Scheduler.create();
        try {
            return start(config, auth, store, dataDir, scheduler, true);
        } catch (IOException | RuntimeException e) {
            scheduler.shutdownNow();
            throw e;
        }
    }

    /**
     * As above, with periodic work and TLS deadlines on the caller's scheduler (the one its store's lock refresh
     * uses too), which the caller shuts down after {@link #close()}.
     */
    public static Pop3Server start(ServerConfig config, AuthService auth, MaildropStore store, Path dataDir,
            ScheduledExecutorService scheduler) throws IOException {
        return start(config, auth, store, dataDir, scheduler, false, ServerMetrics.NONE);
    }

    /** As above, reporting to {@code metrics}. */
    public static Pop3Server start(ServerConfig config, AuthService auth, MaildropStore store, Path dataDir,
            ScheduledExecutorService scheduler, ServerMetrics metrics) throws IOException {
        return start(config, auth, store, dataDir, scheduler, false, metrics);
    }

    private static Pop3Server start(ServerConfig config, AuthService auth, MaildropStore store, Path dataDir,
            ScheduledExecutorService scheduler, boolean ownScheduler) throws IOException {
        return start(config, auth, store, dataDir, scheduler, ownScheduler, ServerMetrics.NONE);
    }

    private static Pop3Server start(ServerConfig config, AuthService auth, MaildropStore store, Path dataDir,
            ScheduledExecutorService scheduler, boolean ownScheduler, ServerMetrics metrics) throws IOException {
        Optional<TlsManager> tls = Optional.of(tls(config, dataDir, scheduler));
        ServerContext ctx = new ServerContext(config, auth, AccountSaslBackend.create(auth, config), store, tls,
                new ConnectionLimits(config.maxConnections(), config.maxConnectionsPerAddress(),
                        config.maxConnectionsPerUser()),
                new AuthThrottle(config.authFailureDelay(), config.authFailureDelayMax()), metrics);
        Pop3Server server = start(ctx, scheduler, ownScheduler);
        server.dataDir = dataDir;
        return server;
    }

    private static TlsManager tls(ServerConfig config, Path dataDir, ScheduledExecutorService scheduler)
            throws IOException {
        return TlsManager.create(new TlsSettings(config.tlsCertificate(), config.tlsPrivateKey(),
                config.tlsDirectory().orElse(dataDir.resolve("tls")), config.hostname(), config.handshakeTimeout(),
                config.tlsProvider()),
                scheduler);
    }

    /**
     * A configuration reload: new connections get {@code next} (limits, delays, timeouts, mechanisms, the
     * certificate) and {@code auth}; sessions open now keep what they started with. The listeners stay as they are
     * (changing them needs a restart). Nothing changes if the new certificate cannot be used.
     *
     * @throws dev.postoffice.server.tls.TlsConfigException if a changed certificate or key is unusable
     */
    public synchronized void reconfigure(ServerConfig next, AuthService auth) throws IOException {
        ServerContext now = ctx;
        ServerConfig old = now.config();
        ServerConfig config = next.toBuilder().pop3Listen(old.pop3Listen().orElse(null))
                .pop3sListen(old.pop3sListen().orElse(null)).build();
        Optional<TlsManager> tls = now.tls();
        boolean tlsChanged = !config.tlsCertificate().equals(old.tlsCertificate())
                || !config.tlsPrivateKey().equals(old.tlsPrivateKey())
                || !config.tlsDirectory().equals(old.tlsDirectory()) || !config.hostname().equals(old.hostname())
                || !config.handshakeTimeout().equals(old.handshakeTimeout())
                || config.tlsProvider() != old.tlsProvider();
        if (tlsChanged && dataDir != null) {
            tls = Optional.of(tls(config, dataDir, scheduler));
        }
        now.limits().resize(config.maxConnections(), config.maxConnectionsPerAddress(),
                config.maxConnectionsPerUser());
        now.throttle().delays(config.authFailureDelay(), config.authFailureDelayMax());
        ctx = new ServerContext(config, auth, AccountSaslBackend.create(auth, config), now.store(), tls,
                now.limits(), now.throttle(), now.metrics());
    }

    /** The sessions open now, oldest first. */
    public List<SessionInfo> sessions() {
        return sessions.stream().map(Session::info).sorted(java.util.Comparator.comparingLong(SessionInfo::id))
                .toList();
    }

    /**
     * Ends the sessions of a user (logged in as {@code user}) as a shutdown does: without UPDATE, nothing deleted.
     * Returns how many were ended; sessions already in UPDATE are let finish and not counted.
     */
    public int kick(String user) {
        int n = 0;
        for (Session s : sessions) {
            SessionInfo info = s.info();
            if (info.user() != null && info.user().equals(user) && s.kick()) {
                n++;
            }
        }
        return n;
    }

    /** Binds the listeners of a ready context and starts accepting, with a scheduler of its own. */
    public static Pop3Server start(ServerContext ctx) throws IOException {
        return start(ctx, Scheduler.create(), true);
    }

    private static Pop3Server start(ServerContext ctx, ScheduledExecutorService scheduler, boolean ownScheduler)
            throws IOException {
        Pop3Server server = new Pop3Server(ctx, scheduler, ownScheduler);
        try {
            if (ctx.config().pop3Listen().isPresent()) {
                server.pop3 = server.bind(ctx.config().pop3Listen().get(), false);
            }
            if (ctx.config().pop3sListen().isPresent() && ctx.tls().isPresent()) {
                server.pop3s = server.bind(ctx.config().pop3sListen().get(), true);
            }
        } catch (IOException | RuntimeException e) {
            server.closeListeners();
            if (ownScheduler) {
                scheduler.shutdownNow();
            }
            throw e;
        }
        if (server.listeners.isEmpty()) {
            if (ownScheduler) {
                scheduler.shutdownNow();
            }
            throw new IOException("no listener configured");
        }
        server.periodic.add(scheduler.scheduleWithFixedDelay(server::checkStalledSessions, 1, 1, TimeUnit.SECONDS));
        server.periodic.add(scheduler.scheduleWithFixedDelay(ctx.throttle()::expire, 1, 1, TimeUnit.MINUTES));
        server.periodic.add(scheduler.scheduleWithFixedDelay(server.refusals::flush,
                REFUSAL_LOG_INTERVAL.toSeconds(), REFUSAL_LOG_INTERVAL.toSeconds(), TimeUnit.SECONDS));
        for (Thread t : server.acceptors) {
            t.start();
        }
        return server;
    }

    private ServerSocket bind(InetSocketAddress address, boolean implicitTls) throws IOException {
        // Through a channel, so that each accepted socket has one: cleartext sessions can then send stored
        // messages that need no conversion straight from the file (sendfile), see Session.directTransfer.
        ServerSocket ss = ServerSocketChannel.open().socket();
        ss.setReuseAddress(true);
        try {
            ss.bind(address, 1024);
        } catch (IOException e) {
            ss.close();
            throw new java.net.BindException((implicitTls ? "POP3S " : "POP3 ") + describe(address) + ": "
                    + e.getMessage());
        }
        listeners.add(ss);
        acceptors.add(Thread.ofPlatform().name(implicitTls ? "pop3s-acceptor" : "pop3-acceptor")
                .unstarted(() -> acceptLoop(ss, implicitTls)));
        log.info("{} listening on {}", implicitTls ? "POP3S (implicit TLS)" : "POP3 (STLS available)",
                describe((InetSocketAddress) ss.getLocalSocketAddress()));
        return ss;
    }

    /** The cleartext listener's port, or -1. */
    public int port() {
        return pop3 == null ? -1 : pop3.getLocalPort();
    }

    /** The implicit-TLS listener's port, or -1. */
    public int tlsPort() {
        return pop3s == null ? -1 : pop3s.getLocalPort();
    }

    public ServerContext context() {
        return ctx;
    }

    /** Whether every listener is bound and accepting (false once {@link #close()} began). */
    public boolean accepting() {
        return !closing && listeners.stream().allMatch(l -> l.isBound() && !l.isClosed());
    }

    /** Sessions open right now. */
    public int sessionCount() {
        return sessions.size();
    }

    private void acceptLoop(ServerSocket listener, boolean implicitTls) {
        while (!closing) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (closing || listener.isClosed()) {
                    return; // closed by close(): a channel's listener reports it as AsynchronousCloseException
                }
                if (e instanceof SocketException) {
                    log.error("listener failed: {}", e.getMessage());
                    return;
                }
                // E.g. out of descriptors: pause rather than spin and flood the log while it lasts.
                log.warn("accept failed: {}", e.getMessage());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            try {
                ServerContext ctx = this.ctx; // the configuration this connection runs with, even across a reload
                if (proxies.trusts(ctx.config(), socket.getInetAddress())) {
                    Thread.ofVirtual().name("pop3-proxy-header").start(() -> {
                        InetAddress client = proxies.client(ctx.config(), socket);
                        if (client != null) {
                            admit(ctx, socket, client, implicitTls);
                        }
                    });
                } else {
                    admit(ctx, socket, socket.getInetAddress(), implicitTls);
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                // The listener outlives a full heap: this connection is dropped, the next ones are served.
                log.error("could not start a session: {}", e.toString());
                closeQuietly(socket);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** Applies the connection limits to {@code client} and starts its session, or refuses it. */
    private void admit(ServerContext ctx, Socket socket, InetAddress client, boolean implicitTls) {
        String listenerName = implicitTls ? "pop3s" : "pop3";
        ctx.metrics().connectionAccepted(listenerName);
        ConnectionLimits.Refusal refusal = ctx.limits().acquire(client);
        if (refusal == ConnectionLimits.Refusal.TOTAL && evictOldestUnauthenticated()) {
            refusal = ctx.limits().acquireReplacing(client);
        }
        if (refusal != null) {
            ConnectionLimits.Refusal why = refusal;
            Thread.ofVirtual().start(() -> refuse(socket, client, why, implicitTls));
            return;
        }
        try {
            Session[] holder = new Session[1];
            boolean[] loggedIn = {false};
            long id = connections.incrementAndGet();
            Session session = new Session(socket, client, implicitTls, ctx, commands, id, () -> timestamp(id), () -> {
                sessions.remove(holder[0]);
                unauthenticated.remove(id, holder[0]);
                ctx.metrics().sessionEnded(listenerName);
                synchronized (loggedIn) {
                    ctx.limits().release(client, loggedIn[0]);
                }
            }).onLogin(() -> {
                unauthenticated.remove(id);
                synchronized (loggedIn) {
                    loggedIn[0] = true;
                    ctx.limits().authenticated();
                }
            });
            holder[0] = session;
            ctx.metrics().sessionStarted(listenerName);
            sessions.add(session);
            unauthenticated.put(id, session);
            if (closing) {
                session.shutdown();
            }
            Thread.ofVirtual().name("pop3-" + session.peer()).start(session);
        } catch (RuntimeException e) {
            log.warn("could not start a session: {}", e.getMessage());
            ctx.limits().release(client);
            closeQuietly(socket);
        }
    }

    /**
     * The server is full: closes the oldest connection not logged in, so that a new client gets its place rather
     * than a refusal (a slow or idle client cannot hold the server against newcomers). False if there is none.
     */
    private boolean evictOldestUnauthenticated() {
        Map.Entry<Long, Session> oldest;
        while ((oldest = unauthenticated.pollFirstEntry()) != null) {
            if (oldest.getValue().evict()) {
                return true;
            }
        }
        return false;
    }

    /** Over a connection limit: one line and close (in clear on the POP3 port; POP3S just closes). */
    private void refuse(Socket socket, InetAddress client, ConnectionLimits.Refusal refusal, boolean implicitTls) {
        String address = client.getHostAddress();
        refusals.refused(address,
                refusal == ConnectionLimits.Refusal.TOTAL ? "too many connections" : "too many from this address");
        if (!implicitTls) {
            try {
                socket.setSoTimeout(5000);
                OutputStream out = socket.getOutputStream();
                out.write(("-ERR [SYS/TEMP] " + (refusal == ConnectionLimits.Refusal.TOTAL
                        ? "too many connections, try again later"
                        : "too many connections from your address") + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        closeQuietly(socket);
    }

    /** RFC 1939 section 7: a timestamp unique to this connection, {@code <process-id.clock@hostname>}. */
    private String timestamp(long connection) {
        byte[] nonce = new byte[8];
        random.nextBytes(nonce);
        return "<" + pid + "." + connection + "." + HexFormat.of().formatHex(nonce) + "."
                + System.currentTimeMillis() + "@" + ctx.config().hostname() + ">";
    }

    private void checkStalledSessions() {
        long now = System.nanoTime();
        for (Session s : sessions) {
            s.checkReadIdle(now);
            s.checkWriteStall(now);
        }
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        closeListeners();
        int updating = 0;
        for (Session s : sessions) {
            if (!s.shutdown()) {
                updating++;
            }
        }
        if (updating > 0) {
            log.info("waiting for {} session(s) in UPDATE to finish", updating);
        }
        long deadline = System.nanoTime() + ctx.config().shutdownGrace().toNanos();
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        periodic.forEach(f -> f.cancel(false));
        if (ownScheduler) {
            scheduler.shutdownNow();
        }
        for (Thread t : acceptors) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log.info("listeners stopped");
    }

    private void closeListeners() {
        for (ServerSocket ss : listeners) {
            closeQuietly(ss);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    private static String describe(InetSocketAddress a) {
        return a == null ? "?" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
