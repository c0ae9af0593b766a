package dev.postoffice.storage.pg;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import dev.postoffice.storage.CrashPoint;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.RetrievalHistory;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * A session on one PostgreSQL maildrop: the snapshot read at login with the lease, and UPDATE as one transaction
 * that first locks the lease row and checks its fencing token and its node's liveness, so a lease lost
 * meanwhile deletes nothing ({@link LeaseLostException}) and a node taking the maildrop over waits for the
 * commit. Used by one session, like every {@link Maildrop}.
 */
final class PgMaildrop implements Maildrop, RetrievalHistory {
    private final DataSource db;
    private final MailboxRef ref;
    private final PgLease lease;
    private final List<StoredMessage> messages;
    private final Map<String, PgStore.Row> rows;
    private final Set<StoredMessage> inSnapshot;
    private final Map<String, Instant> firstRetrieved = new HashMap<>();
    private final Set<String> removed = new HashSet<>();
    private Optional<Instant> lastLogin;

    PgMaildrop(DataSource db, MailboxRef ref, PgLease lease, List<StoredMessage> messages,
            Map<String, PgStore.Row> rows, Optional<Instant> lastLogin) {
        this.db = db;
        this.ref = ref;
        this.lease = lease;
        this.messages = messages;
        this.rows = rows;
        this.inSnapshot = new HashSet<>(messages);
        this.lastLogin = lastLogin;
        rows.forEach((id, row) -> row.retrieved().ifPresent(t -> firstRetrieved.put(id, t)));
    }

    @Override
    public MailboxRef ref() {
        return ref;
    }

    @Override
    public List<StoredMessage> messages() {
        return messages;
    }

    @Override
    public RetrievalHistory history() {
        return this;
    }

    @Override
    public MessageBody body(StoredMessage message) throws IOException {
        PgStore.Row row = row(message);
        if (removed.contains(message.id())) {
            throw new IOException("message " + message.id() + " was removed in this session");
        }
        return new PgBody(db, row.locator(), MessageForm.valueOf(row.form()), message.size());
    }

    @Override
    public void commit(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved, Instant now)
            throws LeaseLostException, StorageException {
        List<Long> gone = new ArrayList<>();
        for (StoredMessage m : deletions) {
            long uid = row(m).uid();
            if (!removed.contains(m.id())) {
                gone.add(uid);
            }
        }
        List<Long> seen = retrieved.stream().filter(m -> !removed.contains(m.id())).map(m -> row(m).uid()).toList();
        if (!gone.isEmpty()) {
            lease.verify();
        }
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (!gone.isEmpty()) {
                    checkLease(c);
                    remove(c, gone);
                    CrashPoint.reach("update-removed"); // test hook: deleted, not committed (the kill -9 matrix)
                }
                markRetrieved(c, seen, now);
                c.commit();
            } catch (SQLException | StorageException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StorageException("UPDATE of the maildrop of " + ref.user() + " failed, nothing removed: "
                    + e.getMessage(), true, e);
        }
        for (StoredMessage m : deletions) {
            removed.add(m.id());
            firstRetrieved.remove(m.id());
        }
        remember(retrieved, now);
    }

    /** Locks the lease row, checking it is still this session's token on a live node. */
    private void checkLease(Connection c) throws SQLException, LeaseLostException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM lease l JOIN node n ON n.id = l.node_id"
                + " WHERE l.mailbox_id = ? AND l.token = ? AND n.expires > now() FOR UPDATE OF l")) {
            ps.setLong(1, lease.mailboxId());
            ps.setLong(2, lease.token());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    lease.lost();
                    throw new LeaseLostException("the lease on the maildrop of " + ref.user()
                            + " was lost (another node may hold it): nothing removed");
                }
            }
        }
    }

    private void remove(Connection c, List<Long> uids) throws SQLException {
        long bytes = 0;
        long count = 0;
        List<String> locators = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM message WHERE mailbox_id = ? AND uid = ANY (?)"
                + " RETURNING size, body_locator")) {
            ps.setLong(1, lease.mailboxId());
            ps.setArray(2, c.createArrayOf("bigint", uids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    bytes += rs.getLong(1);
                    count++;
                    locators.add(rs.getString(2));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM body_chunk WHERE locator = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", locators.toArray()));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE mailbox SET bytes = greatest(0, bytes - ?),"
                + " messages = greatest(0, messages - ?) WHERE id = ?")) {
            ps.setLong(1, bytes);
            ps.setLong(2, count);
            ps.setLong(3, lease.mailboxId());
            ps.executeUpdate();
        }
    }

    private void markRetrieved(Connection c, List<Long> uids, Instant when) throws SQLException {
        if (uids.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE message SET retrieved = ?"
                + " WHERE mailbox_id = ? AND uid = ANY (?) AND retrieved IS NULL")) {
            ps.setTimestamp(1, Timestamp.from(when));
            ps.setLong(2, lease.mailboxId());
            ps.setArray(3, c.createArrayOf("bigint", uids.toArray()));
            ps.executeUpdate();
        }
    }

    private void remember(Collection<StoredMessage> retrieved, Instant when) {
        for (StoredMessage m : retrieved) {
            if (!removed.contains(m.id())) {
                firstRetrieved.putIfAbsent(m.id(), when);
            }
        }
    }

    @Override
    public Optional<Instant> firstRetrieved(StoredMessage message) {
        row(message);
        return Optional.ofNullable(firstRetrieved.get(message.id()));
    }

    @Override
    public void recordRetrieved(Collection<StoredMessage> retrieved, Instant when) throws StorageException {
        commit(List.of(), retrieved, when);
    }

    @Override
    public Optional<Instant> lastLogin() {
        return lastLogin;
    }

    @Override
    public void recordLogin(Instant when) throws StorageException {
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE mailbox SET last_login = ? WHERE id = ?")) {
            ps.setTimestamp(1, Timestamp.from(when));
            ps.setLong(2, lease.mailboxId());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StorageException("cannot record the login of " + ref.user() + ": " + e.getMessage(), true, e);
        }
        lastLogin = Optional.of(when);
    }

    @Override
    public void close() {
        lease.close();
    }

    private PgStore.Row row(StoredMessage message) {
        PgStore.Row row = rows.get(message.id());
        if (row == null || !inSnapshot.contains(message)) {
            throw new IllegalArgumentException("message " + message.id() + " is not in this maildrop snapshot");
        }
        return row;
    }
}
