package dev.postoffice.storage.pg;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's liveness row ({@code node}), renewed by one heartbeat every third of the TTL, whatever the number of
 * sessions. Expiry is judged by the database's clock only. When a renewal finds the row expired (another node may
 * have taken this node's leases), or none succeeded for a whole TTL, every lease of this incarnation is lost: its
 * sessions' UPDATE deletes nothing, and the listeners (the server closing its sessions) are told. The node then
 * goes on under a new id, for new logins.
 */
final class Liveness implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Liveness.class);

    private final DataSource db;
    private final Duration ttl;
    private final String host;
    private final Set<PgLease> leases = ConcurrentHashMap.newKeySet();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private final boolean heartbeat;
    private volatile String id;
    private volatile long renewedNanos;
    private volatile boolean closed;

    Liveness(DataSource db, Duration ttl, boolean heartbeat) throws SQLException {
        this.db = db;
        this.ttl = ttl;
        this.host = hostName();
        this.heartbeat = heartbeat;
        register();
        if (heartbeat) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "postoffice-pg-heartbeat");
                t.setDaemon(true);
                return t;
            });
            long every = Math.max(100, ttl.toMillis() / 3);
            timer.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    /** The timer's task: a failure it does not expect is logged, never allowed to end the heartbeat for good. */
    private void beat() {
        try {
            renew();
        } catch (RuntimeException e) {
            log.error("heartbeat failed unexpectedly (the next one tries again)", e);
        }
    }

    /**
     * Before a login: without a heartbeat thread (a command, a test), renews the liveness now, so that a store
     * idle for longer than the TTL logs in under a live id (a new one if the old expired).
     */
    void beforeLogin() {
        if (!heartbeat) {
            renew();
        }
    }

    /** The current incarnation's id, which leases name. */
    String id() {
        return id;
    }

    Duration ttl() {
        return ttl;
    }

    void onLost(Runnable listener) {
        listeners.add(listener);
    }

    void add(PgLease lease) {
        leases.add(lease);
    }

    void remove(PgLease lease) {
        leases.remove(lease);
    }

    /**
     * One heartbeat: extends this node's liveness by the TTL if it has not expired. Returns whether the node was
     * still alive; if not, its leases are lost and a new incarnation is registered.
     */
    boolean renew() {
        if (closed) {
            return false;
        }
        String current = id;
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE node SET expires = now() + ? * interval '1 millisecond'"
                        + " WHERE id = ? AND expires > now()")) {
            ps.setLong(1, ttl.toMillis());
            ps.setString(2, current);
            if (ps.executeUpdate() == 1) {
                renewedNanos = System.nanoTime();
                dropOrphans(c, current);
                return true;
            }
            log.warn("this node's liveness {} expired before its heartbeat: its sessions lose their leases", current);
        } catch (SQLException e) {
            if (System.nanoTime() - renewedNanos < ttl.toNanos()) {
                log.warn("heartbeat failed, will retry within the lease TTL: {}", e.getMessage());
                return true;
            }
            log.error("no heartbeat for the lease TTL ({}): this node's sessions lose their leases: {}", ttl,
                    e.getMessage());
        }
        lose(current);
        return false;
    }

    /** Deletes this node's lease rows that no session holds (a release that failed while the database was away). */
    private void dropOrphans(Connection c, String current) throws SQLException {
        Long[] held = leases.stream().map(PgLease::token).toArray(Long[]::new);
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM lease WHERE node_id = ? AND token <> ALL (?)"
                + " AND since < now() - ? * interval '1 millisecond'")) {
            ps.setString(1, current);
            ps.setArray(2, c.createArrayOf("bigint", held));
            ps.setLong(3, ttl.toMillis());
            ps.executeUpdate();
        }
    }

    private synchronized void lose(String incarnation) {
        if (!incarnation.equals(id)) {
            return;
        }
        for (PgLease lease : List.copyOf(leases)) {
            lease.lost();
        }
        leases.clear();
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.error("a listener of this node's lost liveness failed", e);
            }
        }
        try {
            register();
        } catch (SQLException e) {
            log.error("cannot register this node again (the next heartbeat tries): {}", e.getMessage());
            id = "unregistered-" + UUID.randomUUID(); // no lease can name it, so logins fail until then
        }
    }

    private void register() throws SQLException {
        String fresh = host + "/" + UUID.randomUUID();
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO node (id, host, expires)"
                        + " VALUES (?, ?, now() + ? * interval '1 millisecond')")) {
            ps.setString(1, fresh);
            ps.setString(2, host);
            ps.setLong(3, ttl.toMillis());
            ps.executeUpdate();
        }
        renewedNanos = System.nanoTime();
        id = fresh;
    }

    /** Stops the heartbeat and gives up this node's leases and liveness row. */
    @Override
    public void close() {
        closed = true;
        if (timer != null) {
            timer.shutdownNow();
        }
        try (Connection c = db.getConnection();
                PreparedStatement leasesOut = c.prepareStatement("DELETE FROM lease WHERE node_id = ?");
                PreparedStatement nodeOut = c.prepareStatement("DELETE FROM node WHERE id = ?")) {
            leasesOut.setString(1, id);
            leasesOut.executeUpdate();
            nodeOut.setString(1, id);
            nodeOut.executeUpdate();
        } catch (SQLException e) {
            log.warn("cannot remove this node's liveness row (it expires by itself): {}", e.getMessage());
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
