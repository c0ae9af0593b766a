package dev.postoffice.app;

import dev.postoffice.lmtp.LmtpConfig;
import dev.postoffice.lmtp.DeliveryObserver;
import dev.postoffice.lmtp.LmtpServer;
import dev.postoffice.auth.UserDirectory;
import dev.postoffice.server.Cidr;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.Quota;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery settings ({@code lmtp*}, {@code recipient-delimiter}, {@code quota-*}) read from
 * {@link ServerSettings}: the LMTP listener's configuration and the quota rules {@code serve} and {@code deliver}
 * share.
 */
final class LmtpSettings {
    private static final Logger log = LoggerFactory.getLogger(LmtpSettings.class);

    private final ServerSettings s;

    LmtpSettings(ServerSettings s) {
        this.s = s;
    }

    /** {@code HOST:PORT} as an {@link InetSocketAddress}, {@code unix:/path} as a {@link Path}, null for off. */
    static Object listen(String v) {
        String t = v.trim();
        if (t.equalsIgnoreCase("off") || t.equalsIgnoreCase("none")) {
            return null;
        }
        if (t.startsWith("unix:")) {
            if (t.length() == 5) {
                throw new IllegalArgumentException("expected unix:/path/to/socket");
            }
            return Path.of(t.substring(5));
        }
        return Values.hostPort(t);
    }

    /** The default quota ({@code quota-bytes}, {@code quota-messages}, {@code quota-grace}). */
    Quota quota() {
        return wrap(() -> new Quota(s.get("quota-bytes") == null ? 0 : Values.octets(s.get("quota-bytes")),
                s.get("quota-messages") == null ? 0 : ServerSettings.integer(s.get("quota-messages")),
                s.get("quota-grace") != null && ServerSettings.bool(s.get("quota-grace"))));
    }

    /** Whether a delivery over quota is a temporary failure ({@code quota-full-tempfail}). */
    boolean tempfail() {
        return wrap(() -> s.get("quota-full-tempfail") != null && ServerSettings.bool(s.get("quota-full-tempfail")));
    }

    LmtpConfig config(String hostname, Path dataDir) {
        return wrap(() -> {
            LmtpConfig c = LmtpConfig.defaults(hostname, dataDir.resolve("spool")).withQuota(quota(), tempfail());
            long size = s.get("lmtp-max-message-size") == null ? c.maxMessageSize()
                    : Values.octets(s.get("lmtp-max-message-size"));
            int rcpts = s.get("lmtp-max-recipients") == null ? c.maxRecipients()
                    : ServerSettings.integer(s.get("lmtp-max-recipients"));
            String delimiter = s.get("recipient-delimiter") == null ? "+" : s.get("recipient-delimiter");
            return c.withLimits(size, rcpts, delimiter);
        });
    }

    /** Starts the listener if {@code lmtp} is set, telling {@code observer} each recipient's outcome; null otherwise. */
    LmtpServer start(String hostname, Path dataDir, UserDirectory users, MailDelivery store,
            LmtpServer.TlsUpgrade tls, DeliveryObserver observer, ScheduledExecutorService scheduler)
            throws IOException {
        Object where = s.get("lmtp") == null ? null : wrap(() -> listen(s.get("lmtp")));
        if (where == null) {
            return null;
        }
        LmtpConfig cfg = config(hostname, dataDir);
        if (where instanceof Path socket) {
            return LmtpServer.listen(socket, cfg, users, store, observer, scheduler);
        }
        InetSocketAddress address = (InetSocketAddress) where;
        List<Cidr> networks = s.get("lmtp-trusted-networks") == null ? List.of()
                : wrap(() -> ServerSettings.list(s.get("lmtp-trusted-networks")).stream().map(Cidr::parse).toList());
        if (!address.getAddress().isLoopbackAddress() && networks.isEmpty()) {
            log.warn("lmtp listens on {} but only loopback peers are trusted (set lmtp-trusted-networks)",
                    Values.hostPort(address));
        }
        Predicate<InetAddress> trusted = a -> networks.stream().anyMatch(n -> n.contains(a));
        return LmtpServer.listen(address, cfg, users, store, trusted, tls, observer, scheduler);
    }

    private static <T> T wrap(java.util.function.Supplier<T> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            throw new UserError("delivery settings: " + e.getMessage(), 78);
        }
    }
}
