package dev.postoffice.app;

import dev.postoffice.auth.AuthService;
import dev.postoffice.auth.Decoys;
import dev.postoffice.auth.HashExecutor;
import dev.postoffice.lmtp.LmtpServer;
import dev.postoffice.server.session.SessionInfo;
import dev.postoffice.server.listen.Pop3Server;
import dev.postoffice.server.Scheduler;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.ServerMetrics;
import dev.postoffice.app.admin.Metrics;
import java.util.concurrent.ScheduledExecutorService;
import dev.postoffice.server.auth.ServerAuth;
import dev.postoffice.server.tls.TlsConfigException;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code postoffice serve}: runs the server in the foreground until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the POP3 server in the foreground (logs to stdout; SIGTERM/SIGINT stop it cleanly).")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory: users file, Maildirs, generated keys (default: ./data).")
    Path data;

    @Option(names = "--store", paramLabel = "URL",
            description = "Where users and mail are: maildir (default: the data directory) or postgresql://HOST:PORT/DB?user=USER (password from password-file=F in the URL or POSTOFFICE_DB_PASSWORD); see docs/postgresql.md.")
    String store;

    @Option(names = "--migrate-schema",
            description = "Apply pending PostgreSQL schema migrations at start (otherwise a node refuses to start on an old schema).")
    boolean migrateSchema;

    @Option(names = "--pop3", paramLabel = "HOST:PORT", description = "POP3 listener with STLS (default: 0.0.0.0:110; 'off' for none).")
    String pop3;

    @Option(names = "--pop3s", paramLabel = "HOST:PORT", description = "Implicit-TLS listener (default: 0.0.0.0:995; 'off' for none).")
    String pop3s;

    @Option(names = "--lmtp", paramLabel = "HOST:PORT|unix:PATH",
            description = "LMTP listener for the MTA's deliveries (default: off), e.g. 127.0.0.1:24 or unix:/run/postoffice/lmtp.")
    String lmtp;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain, e.g. certbot's fullchain.pem (default: a generated self-signed one).")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key, e.g. certbot's privkey.pem.")
    String tlsKey;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (key = value lines; see the README).")
    Path config;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "Autologout after this long without a command (default: 10m; RFC 1939 asks for at least 10m).")
    String idleTimeout;

    @Option(names = "--auth-failure-delay", paramLabel = "DURATION",
            description = "Delay before answering a failed login, doubling per address (default: 2s).")
    String authFailureDelay;

    @Option(names = "--hostname", description = "Host name for the greeting and the generated certificate (default: this machine's name).")
    String hostname;

    @Option(names = "--admin", paramLabel = "HOST:PORT",
            description = "Admin endpoint: /metrics, /health, /ready, who, kick, reload (default: off; see docs/operations.md).")
    String admin;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any configuration-file setting, e.g. --set allow-plaintext-auth=yes.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() {
        ServerSettings s = ServerSettings.load(config);
        Map<String, String> overrides = new LinkedHashMap<>(settings);
        String[][] options = {{"pop3", pop3}, {"pop3s", pop3s}, {"tls-cert", tlsCert}, {"tls-key", tlsKey},
            {"idle-timeout", idleTimeout}, {"auth-failure-delay", authFailureDelay}, {"hostname", hostname},
            {"admin", admin}, {"lmtp", lmtp}};
        for (String[] o : options) {
            if (o[1] != null) {
                overrides.put(o[0], o[1]);
            }
        }
        try {
            overrides.forEach(s::set);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage() + "; known settings: " + ServerSettings.keys(), 2);
        }
        Path dir = data != null ? data : s.get("data") != null ? Path.of(s.get("data")) : Path.of("data");
        ServerConfig cfg = s.build(ServerConfig.builder());
        if (s.get("log-level") != null) {
            Reloader.applyLogLevel(s.get("log-level"));
        }
        if ("json".equals(s.get("log-format") == null ? null : ServerSettings.logFormat(s.get("log-format")))) {
            dev.postoffice.app.logging.JsonLayout.enable();
        }
        DataDir dataDir = new DataDir(dir, s.authCacheTtl()).dovecotUidlFormat(s.dovecotUidlFormat())
                .store(store != null ? store : s.get("store"), migrateSchema).create();
        LmtpSettings delivery = new LmtpSettings(s);
        delivery.config(cfg.hostname(), dataDir.path()); // bad values fail before anything listens
        return runUntilSignal(cfg, dataDir, delivery, service -> Operations.start(service, s, dataDir,
                new Reloader(config, overrides, s, service, dataDir)));
    }

    static int runUntilSignal(ServerConfig cfg, DataDir dataDir, LmtpSettings delivery,
            java.util.function.Function<Service, AutoCloseable> operations) {
        if (cfg.idleTimeout().compareTo(ServerConfig.RFC_MIN_IDLE_TIMEOUT) < 0) {
            log.warn("idle timeout {} is below the 10 minutes RFC 1939 asks for", cfg.idleTimeout());
        }
        warnIfRoot();
        Metrics metrics = new Metrics();
        Service server = start(cfg, dataDir, delivery, metrics);
        AutoCloseable ops;
        try {
            ops = operations.apply(server);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        log.info("serving {} (users {})", dataDir.postgres() ? "PostgreSQL" : dataDir.path(),
                dataDir.usersDescription());
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("shutting down");
        try {
            ops.close();
        } catch (Exception e) {
            log.warn("admin endpoint: {}", e.getMessage());
        }
        server.close();
        return 0;
    }

    static Service start(ServerConfig cfg, DataDir dataDir) {
        return start(cfg, dataDir, null, ServerMetrics.NONE);
    }

    static Service start(ServerConfig cfg, DataDir dataDir, ServerMetrics metrics) {
        return start(cfg, dataDir, null, metrics);
    }

    /** Starts the POP3 listeners and, when {@code delivery} sets {@code lmtp}, the LMTP listener. */
    static Service start(ServerConfig cfg, DataDir dataDir, LmtpSettings delivery, ServerMetrics metrics) {
        // The process's one scheduler (watchdog, TLS deadlines, lock refresh) and one hashing pool (threads start
        // with the first login).
        ScheduledExecutorService scheduler = Scheduler.create();
        HashExecutor hashing = new HashExecutor();
        AppStore store;
        try {
            store = dataDir.openStore(scheduler);
        } catch (RuntimeException e) {
            scheduler.shutdownNow();
            hashing.close();
            throw e;
        }
        try {
            // Decoy SCRAM salts for unknown users from a key kept in the data directory: stable across restarts.
            Decoys.useKeyFile(dataDir.path().resolve(Decoys.KEY_FILE));
            AuthService auth = ServerAuth.create(dataDir.directory(), cfg, hashing, dataDir.authCacheTtl());
            Pop3Server server = Pop3Server.start(cfg, auth, store, dataDir.path(), scheduler, metrics);
            if (dataDir.postgres()) { // its leases are gone: end its sessions without UPDATE, as kick does
                dataDir.pg(true).store().onLivenessLost(
                        () -> server.sessions().stream().map(SessionInfo::user).filter(java.util.Objects::nonNull)
                                .distinct().forEach(server::kick)); // sessions still logging in hold no lease
            }
            LmtpServer lmtpServer;
            try {
                lmtpServer = delivery == null ? null
                        : delivery.start(cfg.hostname(), dataDir.path(), dataDir.directory(), store,
                                server.context().tls().<LmtpServer.TlsUpgrade>map(t -> t::wrapForStls).orElse(null),
                                deliveryObserver(metrics), scheduler);
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
            return new Service(server, lmtpServer, store, scheduler, hashing, metrics);
        } catch (BindException e) {
            stop(store, scheduler, hashing);
            throw new UserError("cannot listen on " + e.getMessage() + hint(cfg), 69);
        } catch (TlsConfigException e) {
            stop(store, scheduler, hashing);
            throw new UserError(e.getMessage(), 78);
        } catch (IOException e) {
            stop(store, scheduler, hashing);
            throw new UserError("cannot start: " + e.getMessage(), 69);
        }
    }

    /** LMTP deliveries count in {@code postoffice_deliveries_total} beside those of {@code postoffice deliver}. */
    static dev.postoffice.lmtp.DeliveryObserver deliveryObserver(ServerMetrics metrics) {
        return metrics instanceof Metrics m ? (outcome, result) -> m.delivered(result)
                : dev.postoffice.lmtp.DeliveryObserver.NONE;
    }

    private static void stop(AppStore store, ScheduledExecutorService scheduler, HashExecutor hashing) {
        store.close();
        scheduler.shutdownNow();
        hashing.close();
    }

    private static String hint(ServerConfig cfg) {
        boolean privileged = cfg.pop3Listen().map(a -> a.getPort() < 1024).orElse(false)
                || cfg.pop3sListen().map(a -> a.getPort() < 1024).orElse(false);
        return privileged ? " (ports below 1024 need root; try e.g. --pop3 127.0.0.1:1110 --pop3s 127.0.0.1:1995)"
                : " (is another server running? try other ports, e.g. --pop3 127.0.0.1:1110 --pop3s 127.0.0.1:1995)";
    }

    /**
     * Serving mail as root is never necessary (packaging/postoffice.service binds port 110 and 995 with
     * CAP_NET_BIND_SERVICE as a service user) and turns any bug into a root compromise: say so at startup.
     */
    private static void warnIfRoot() {
        try {
            Object uid = java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (Integer.valueOf(0).equals(uid)) {
                log.warn("running as root: run the server as a service user instead (see packaging/postoffice.service)");
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: no check
        }
    }
}
