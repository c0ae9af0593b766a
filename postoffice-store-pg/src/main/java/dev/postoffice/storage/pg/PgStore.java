package dev.postoffice.storage.pg;

import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import dev.postoffice.storage.Usage;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Maildrops in PostgreSQL (docs/postgresql.md): one node's view of the shared database. Login takes the maildrop's
 * lease row if it is free or its node's liveness expired ({@link MaildropBusyException} otherwise) and reads the
 * snapshot in the same transaction; delivery ({@link PgDelivery}) takes no lease; UPDATE is one transaction fenced
 * by the lease's token ({@link PgMaildrop}). Thread-safe; the {@link PgDatabase} stays the caller's to close.
 */
public final class PgStore implements MaildropStore, MailDelivery, AutoCloseable {
    private final DataSource db;
    private final Liveness liveness;
    private final PgDelivery delivery;

    /** A store on {@code database} with its heartbeat running, as a server node has. */
    public PgStore(PgDatabase database) throws StorageException {
        this(database, true);
    }

    /**
     * A store on {@code database}.
     *
     * @param heartbeat renew this node's liveness in the background; tests that drive it by hand
     *                  ({@link #heartbeat()}) pass false, as does a short command ({@code deliver}) that holds no lease
     */
    public PgStore(PgDatabase database, boolean heartbeat) throws StorageException {
        this.db = database.dataSource();
        try {
            this.liveness = new Liveness(db, database.url().leaseTtl(), heartbeat);
        } catch (SQLException e) {
            throw new StorageException("cannot register this node in " + database.url() + ": " + e.getMessage(),
                    true, e);
        }
        this.delivery = new PgDelivery(db);
    }

    /**
     * Runs {@code listener} whenever this node finds its liveness expired or cannot renew it for a whole TTL: every
     * lease it held is lost, so the server should close those sessions (their UPDATE would delete nothing).
     */
    public void onLivenessLost(Runnable listener) {
        liveness.onLost(listener);
    }

    /** One heartbeat now; false if this node's liveness had expired (its leases are then lost). */
    public boolean heartbeat() {
        return liveness.renew();
    }

    /** This node's current liveness id, as the {@code node} and {@code lease} tables name it. */
    public String nodeId() {
        return liveness.id();
    }

    @Override
    public Maildrop open(MailboxRef ref) throws MaildropBusyException, StorageException {
        checkUser(ref);
        liveness.beforeLogin();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                long mailbox = mailboxId(c, ref.user());
                PgLease lease = takeLease(c, mailbox, ref.user());
                List<StoredMessage> messages = new ArrayList<>();
                Map<String, Row> rows = new HashMap<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT uid, uidl, size, form, retrieved, body_locator"
                        + " FROM message WHERE mailbox_id = ? ORDER BY uid")) {
                    ps.setLong(1, mailbox);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            StoredMessage m = new StoredMessage(Long.toString(rs.getLong(1)), rs.getString(2),
                                    rs.getLong(3));
                            messages.add(m);
                            java.sql.Timestamp retrieved = rs.getTimestamp(5);
                            rows.put(m.id(), new Row(rs.getLong(1), rs.getString(4), rs.getString(6),
                                    Optional.ofNullable(retrieved).map(java.sql.Timestamp::toInstant)));
                        }
                    }
                }
                Optional<Instant> lastLogin;
                try (PreparedStatement ps = c.prepareStatement("SELECT last_login FROM mailbox WHERE id = ?")) {
                    ps.setLong(1, mailbox);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        lastLogin = Optional.ofNullable(rs.getTimestamp(1)).map(java.sql.Timestamp::toInstant);
                    }
                }
                c.commit();
                liveness.add(lease);
                return new PgMaildrop(db, ref, lease, List.copyOf(messages), rows, lastLogin);
            } catch (SQLException | StorageException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StorageException("cannot open the maildrop of " + ref.user() + ": " + e.getMessage(), true, e);
        }
    }

    /** A message's row as the snapshot read it. */
    record Row(long uid, String form, String locator, Optional<Instant> retrieved) {}

    private PgLease takeLease(Connection c, long mailbox, String user) throws SQLException, StorageException {
        String node = liveness.id();
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM node WHERE id = ? AND expires > now()")) {
            ps.setString(1, node);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new StorageException("this node's liveness has expired; logins wait for its heartbeat", true);
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO lease (mailbox_id, node_id, token)"
                + " VALUES (?, ?, nextval('lease_token'))"
                + " ON CONFLICT (mailbox_id) DO UPDATE SET node_id = EXCLUDED.node_id, token = EXCLUDED.token,"
                + " since = now() WHERE NOT EXISTS"
                + " (SELECT 1 FROM node n WHERE n.id = lease.node_id AND n.expires > now())"
                + " RETURNING token")) {
            ps.setLong(1, mailbox);
            ps.setString(2, node);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new MaildropBusyException("the maildrop of " + user + " is in use by another session");
                }
                return new PgLease(db, liveness, mailbox, rs.getLong(1), user);
            }
        }
    }

    /** The mailbox's id, creating its row at first use (concurrent creators agree on one). */
    static long mailboxId(Connection c, String user) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO mailbox (name) VALUES (?)"
                + " ON CONFLICT (name) DO NOTHING RETURNING id")) {
            ps.setString(1, user);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getLong(1);
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM mailbox WHERE name = ?")) {
            ps.setString(1, user);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the mailbox row of " + user + " vanished");
                }
                return rs.getLong(1);
            }
        }
    }

    @Override
    public DeliveryResult deliver(MailboxRef ref, Envelope envelope, InputStream message, Quota quota)
            throws StorageException {
        checkUser(ref);
        return delivery.deliver(ref.user(), message, quota);
    }

    /**
     * Copies one message from another store keeping its UIDL, size and first retrieval (migration); false when the
     * maildrop has that UIDL already, so a migration is idempotent and resumable. Takes no lease.
     */
    public boolean copy(MailboxRef ref, String uidl, long size, InputStream message, Optional<Instant> retrieved)
            throws StorageException {
        checkUser(ref);
        return delivery.copy(ref.user(), uidl, size, message, retrieved);
    }

    /** Sets the maildrop's last login (LOGIN-DELAY) if it has none yet (migration). */
    public void copyLastLogin(MailboxRef ref, Instant when) throws StorageException {
        try (Connection c = db.getConnection()) {
            long mailbox = mailboxId(c, ref.user());
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE mailbox SET last_login = ? WHERE id = ? AND last_login IS NULL")) {
                ps.setTimestamp(1, java.sql.Timestamp.from(when));
                ps.setLong(2, mailbox);
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw new StorageException("cannot copy the last login of " + ref.user() + ": " + e.getMessage(), true, e);
        }
    }

    @Override
    public Usage usage(MailboxRef ref) throws StorageException {
        checkUser(ref);
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT bytes, messages FROM mailbox WHERE name = ?")) {
            ps.setString(1, ref.user());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Usage(rs.getLong(1), rs.getLong(2)) : Usage.EMPTY;
            }
        } catch (SQLException e) {
            throw new StorageException("cannot read the usage of " + ref.user() + ": " + e.getMessage(), true, e);
        }
    }

    static void checkUser(MailboxRef ref) throws StorageException {
        if (ref.user().isEmpty()) {
            throw new StorageException("invalid user name: empty", false);
        }
    }

    /** Gives up this node's leases and liveness row and stops its heartbeat. */
    @Override
    public void close() {
        liveness.close();
    }
}
