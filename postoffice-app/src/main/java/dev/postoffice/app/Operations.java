package dev.postoffice.app;

import dev.postoffice.app.admin.AdminServer;
import dev.postoffice.app.admin.Metrics;
import dev.postoffice.auth.HashExecutor;
import dev.postoffice.server.Cidr;
import dev.postoffice.server.tls.TlsManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code serve} runs besides the listeners: the metrics the server does not count itself (hashing queue,
 * certificate expiry), SIGHUP as a reload, and the admin endpoint when {@code admin} is set. Closing it stops the
 * endpoint.
 */
final class Operations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Operations.class);

    private final AdminServer admin;

    private Operations(AdminServer admin) {
        this.admin = admin;
    }

    static Operations start(Service service, ServerSettings settings, DataDir dataDir, Reloader reloader) {
        if (service.metrics() instanceof Metrics m) {
            m.authQueue(service.hashing(), HashExecutor::inFlight);
            m.certificateExpiry(() -> service.server().context().tls().map(TlsManager::notAfter).orElse(null));
            m.deliveriesElsewhere(result -> DeliveryCounts.read(dataDir.path()).getOrDefault(result, 0L));
        }
        if (!Signals.onHangup(reloader::reload)) {
            log.warn("SIGHUP is ignored by this process (started with nohup, or by a parent that ignores it), so it"
                    + " reloads nothing: use postoffice reload (the admin endpoint) or restart");
        }
        String address = settings.get("admin");
        if (address == null || address.equalsIgnoreCase("off")) {
            return new Operations(null);
        }
        List<Cidr> allowed = settings.get("admin-allow") == null ? List.of()
                : ServerSettings.list(settings.get("admin-allow")).stream().map(Cidr::parse).toList();
        String token = null;
        if (settings.get("admin-token-file") != null) {
            Path file = Path.of(settings.get("admin-token-file"));
            try {
                token = Files.readString(file, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UserError("cannot read admin-token-file " + file + ": " + e.getMessage(), 78);
            }
            if (token.isEmpty()) {
                throw new UserError("admin-token-file " + file + " is empty", 78);
            }
        }
        Metrics metrics = service.metrics() instanceof Metrics m ? m : new Metrics();
        try {
            return new Operations(new AdminServer(Values.hostPort(address), service.server(), metrics, allowed, token,
                    () -> dataDir.postgres() ? databaseReachable(dataDir) : storeReachable(dataDir.path()),
                    reloader::reload));
        } catch (IOException e) {
            throw new UserError("cannot listen on admin " + address + ": " + e.getMessage(), 69);
        }
    }

    /** The PostgreSQL store answers: a connection from the pool that the driver finds valid within 2 s. */
    private static boolean databaseReachable(DataDir dataDir) {
        try (java.sql.Connection c = dataDir.pg(true).database().dataSource().getConnection()) {
            return c.isValid(2);
        } catch (java.sql.SQLException | RuntimeException e) {
            return false;
        }
    }

    /** The Maildir store is usable: its data directory is there and writable. */
    private static boolean storeReachable(Path data) {
        return Files.isDirectory(data) && Files.isWritable(data);
    }

    /** The admin endpoint's port, or -1 when there is none. */
    int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
    }
}
