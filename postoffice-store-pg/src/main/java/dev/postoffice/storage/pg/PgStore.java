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
    private final ReadAhead readAhead;

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
        this(database.dataSource(), database.url().toString(), database.url().leaseTtl(), heartbeat);
    }

    /** A store on {@code db} (a test counting statements wraps the pool); {@code where} names it in messages. */
    PgStore(DataSource db, String where, java.time.Duration leaseTtl, boolean heartbeat) throws StorageException {
        this(db, where, leaseTtl, heartbeat, new ReadAhead(ReadAhead.DEFAULT_BUDGET));
    }

    /** As above with a given read-ahead budget (tests). */
    PgStore(DataSource db, String where, java.time.Duration leaseTtl, boolean heartbeat, ReadAhead readAhead)
            throws StorageException {
        this.db = db;
        this.readAhead = readAhead;
        try {
            this.liveness = new Liveness(db, leaseTtl, heartbeat);
        } catch (SQLException e) {
            throw new StorageException("cannot register this node in " + where + ": " + e.getMessage(), true, e);
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

    /**
     * The login, in one round trip: {@code postoffice_login} (schema version 4) checks this node's liveness and takes
     * the lease, then the snapshot is read by the statement sent with it, in the same implicit transaction; the
     * rows carry only what a session needs before RETR (UID, UIDL, size, form, first retrieval), not the locator.
     */
    @Override
    public Maildrop open(MailboxRef ref) throws MaildropBusyException, StorageException {
        checkUser(ref);
        liveness.beforeLogin();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(LOGIN)) {
            ps.setString(1, ref.user());
            ps.setString(2, liveness.id());
            ps.setString(3, ref.user());
            try {
                ps.execute();
            } catch (SQLException e) {
                if (BUSY.equals(e.getSQLState())) {
                    throw new MaildropBusyException("the maildrop of " + ref.user() + " is in use by another session");
                }
                if (EXPIRED.equals(e.getSQLState())) {
                    throw new StorageException("this node's liveness has expired; logins wait for its heartbeat", true);
                }
                throw e;
            }
            PgLease lease;
            Optional<Instant> lastLogin;
            try (ResultSet rs = ps.getResultSet()) {
                rs.next();
                lease = new PgLease(db, liveness, rs.getLong(1), rs.getLong(2), ref.user());
                lastLogin = Optional.ofNullable(rs.getTimestamp(3)).map(java.sql.Timestamp::toInstant);
            }
            liveness.add(lease);
            try {
                if (!ps.getMoreResults()) {
                    throw new SQLException("the login returned no snapshot");
                }
                PgMaildrop.Snapshot snapshot;
                try (ResultSet rs = ps.getResultSet()) {
                    snapshot = PgMaildrop.Snapshot.read(rs);
                }
                return new PgMaildrop(db, ref, lease, snapshot, lastLogin, readAhead);
            } catch (SQLException | RuntimeException e) {
                lease.close();
                throw e;
            }
        } catch (SQLException e) {
            throw new StorageException("cannot open the maildrop of " + ref.user() + ": " + e.getMessage(), true, e);
        }
    }

    /** The login's two statements, sent together (one round trip, one implicit transaction). */
    private static final String LOGIN = "SELECT o_mailbox, o_token, o_last_login FROM postoffice_login(?, ?);"
            + " SELECT uid, uidl, size, CASE form WHEN 'WIRE' THEN 0 WHEN 'DOTTED' THEN 1 ELSE 2 END::int2, retrieved"
            + " FROM message WHERE mailbox_id = (SELECT id FROM mailbox WHERE name = ?) ORDER BY uid";
    /** SQLSTATEs raised by {@code postoffice_login}: the lease is another session's; this node's liveness expired. */
    private static final String BUSY = "PO001";
    private static final String EXPIRED = "PO002";

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
