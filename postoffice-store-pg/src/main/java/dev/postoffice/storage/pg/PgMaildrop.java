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
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A session on one PostgreSQL maildrop: the snapshot read at login with the lease, and UPDATE as one call and one
 * transaction that first locks the lease row and checks its fencing token and its node's liveness, so a lease lost
 * meanwhile deletes nothing ({@link LeaseLostException}) and a node taking the maildrop over waits for the
 * commit. Used by one session, like every {@link Maildrop}.
 */
final class PgMaildrop implements Maildrop, RetrievalHistory {
    /** SQLSTATE of {@code postoffice_update} when the lease is no longer this session's. */
    private static final String LEASE_LOST = "PO003";
    private final DataSource db;
    private final MailboxRef ref;
    private final PgLease lease;
    private final Snapshot snapshot;
    private final Map<Integer, Instant> firstRetrieved = new HashMap<>();
    private final BitSet removed = new BitSet();
    private final ReadAhead readAhead;
    /** Bodies read ahead of their RETR, by index, and the octets they hold of {@link #readAhead}'s budget. */
    private final Map<Integer, byte[]> ahead = new HashMap<>();
    private long held;
    private Optional<Instant> lastLogin;

    PgMaildrop(DataSource db, MailboxRef ref, PgLease lease, Snapshot snapshot, Optional<Instant> lastLogin,
            ReadAhead readAhead) {
        this.db = db;
        this.readAhead = readAhead;
        this.ref = ref;
        this.lease = lease;
        this.snapshot = snapshot;
        this.lastLogin = lastLogin;
        firstRetrieved.putAll(snapshot.retrieved());
    }

    /**
     * The messages read at login, in UID order, and by the same index their UIDs and forms: arrays rather than an
     * object per message beside its {@link StoredMessage}, since a maildrop may hold 100,000 of them.
     *
     * @param retrieved the first retrieval of the messages that have one, by index
     */
    record Snapshot(List<StoredMessage> messages, long[] uids, byte[] forms, Map<Integer, Instant> retrieved) {
        private static final MessageForm[] FORMS = {MessageForm.WIRE, MessageForm.DOTTED, MessageForm.RAW};

        /** Reads the rows (uid, uidl, size, form as 0 WIRE, 1 DOTTED, 2 RAW, retrieved) of the login's query. */
        static Snapshot read(ResultSet rs) throws SQLException {
            List<StoredMessage> messages = new ArrayList<>();
            long[] uids = new long[64];
            byte[] forms = new byte[64];
            Map<Integer, Instant> retrieved = new HashMap<>();
            int n = 0;
            while (rs.next()) {
                if (n == uids.length) {
                    uids = Arrays.copyOf(uids, n * 2);
                    forms = Arrays.copyOf(forms, n * 2);
                }
                long uid = rs.getLong(1);
                messages.add(new StoredMessage(Long.toString(uid), rs.getString(2), rs.getLong(3)));
                uids[n] = uid;
                forms[n] = (byte) rs.getShort(4);
                Timestamp t = rs.getTimestamp(5);
                if (t != null) {
                    retrieved.put(n, t.toInstant());
                }
                n++;
            }
            return new Snapshot(List.copyOf(messages), Arrays.copyOf(uids, n), Arrays.copyOf(forms, n), retrieved);
        }

        /** The message's index, or -1 if it is not one of these (another maildrop's, or another session's). */
        int indexOf(StoredMessage m) {
            long uid;
            try {
                uid = Long.parseLong(m.id());
            } catch (NumberFormatException e) {
                return -1;
            }
            int i = Arrays.binarySearch(uids, uid);
            return i >= 0 && messages.get(i).equals(m) ? i : -1;
        }

        MessageForm form(int i) {
            return FORMS[forms[i]];
        }
    }

    @Override
    public MailboxRef ref() {
        return ref;
    }

    @Override
    public List<StoredMessage> messages() {
        return snapshot.messages();
    }

    @Override
    public RetrievalHistory history() {
        return this;
    }

    @Override
    public MessageBody body(StoredMessage message) throws IOException {
        int i = index(message);
        if (removed.get(i)) {
            throw new IOException("message " + message.id() + " was removed in this session");
        }
        return new PgBody(db, lease.mailboxId(), snapshot.uids()[i], snapshot.form(i), message.size(), () -> whole(i));
    }

    /**
     * Message {@code i}'s octets if it is one chunk, else null (its body is then read chunk by chunk). Unless it was
     * read ahead already, one query reads it together with the one-chunk messages that follow it in the snapshot, as
     * far as {@link ReadAhead#PER_SESSION} octets and the node's budget allow: a client that RETRs in order (every
     * client we know) then costs one round trip per few messages rather than one per message.
     */
    byte[] whole(int i) throws IOException {
        byte[] octets = ahead.remove(i);
        if (octets != null) {
            held -= octets.length;
            readAhead.release(octets.length);
            return octets;
        }
        List<StoredMessage> messages = snapshot.messages();
        if (messages.get(i).size() > PgDelivery.CHUNK) {
            return null;
        }
        List<Long> uids = new ArrayList<>();
        uids.add(snapshot.uids()[i]);
        long want = 0;
        for (int j = i + 1; j < messages.size() && uids.size() < ReadAhead.MAX_MESSAGES; j++) {
            long size = messages.get(j).size();
            if (size > PgDelivery.CHUNK || held + want + size > ReadAhead.PER_SESSION) {
                break;
            }
            if (!removed.get(j) && !ahead.containsKey(j)) {
                uids.add(snapshot.uids()[j]);
                want += size;
            }
        }
        if (want > 0 && !readAhead.reserve(want)) {
            uids.subList(1, uids.size()).clear();
            want = 0;
        }
        long kept = 0;
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT m.uid, c.data FROM message m JOIN body_chunk c ON c.locator = m.body_locator"
                        + " WHERE m.mailbox_id = ? AND m.uid = ANY (?) AND c.seq = 0")) {
            ps.setLong(1, lease.mailboxId());
            ps.setArray(2, c.createArrayOf("bigint", uids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int j = Arrays.binarySearch(snapshot.uids(), rs.getLong(1));
                    byte[] data = rs.getBytes(2);
                    if (j < 0 || data.length != messages.get(j).size()) {
                        continue; // not one chunk after all: read by chunks when its turn comes
                    }
                    if (j == i) {
                        octets = data;
                    } else if (kept + data.length <= want) {
                        ahead.put(j, data);
                        kept += data.length;
                    }
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the body of message " + messages.get(i).id() + ": " + e.getMessage(), e);
        } finally {
            held += kept;
            readAhead.release(want - kept);
        }
        return octets;
    }

    /** Gives back what was read ahead for message {@code i} (removed, or the session ends). */
    private void dropAhead(int i) {
        byte[] octets = ahead.remove(i);
        if (octets != null) {
            held -= octets.length;
            readAhead.release(octets.length);
        }
    }

    @Override
    public void commit(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved, Instant now)
            throws LeaseLostException, StorageException {
        update(deletions, retrieved, now, false);
    }

    /** QUIT: UPDATE and the lease's release in one call and one transaction, where {@code close} would add another. */
    @Override
    public void commitAndClose(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved,
            Instant now) throws LeaseLostException, StorageException {
        try {
            if (update(deletions, retrieved, now, true)) {
                lease.released();
            }
        } finally {
            close();
        }
    }

    /**
     * UPDATE in one round trip ({@code postoffice_update}, schema version 5): the lease row locked and its token and
     * node checked, then the removals, their usage and the first retrievals, and with {@code release} the lease row
     * deleted, all in one transaction that deletes nothing if the lease is lost. Nothing to change: no round trip.
     *
     * @return whether the call was made with {@code release}, so the lease row is gone
     */
    private boolean update(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved, Instant now,
            boolean release) throws LeaseLostException, StorageException {
        List<Long> gone = new ArrayList<>();
        for (StoredMessage m : deletions) {
            int i = index(m);
            if (!removed.get(i)) {
                gone.add(snapshot.uids()[i]);
            }
        }
        List<Long> seen = new ArrayList<>();
        for (StoredMessage m : retrieved) {
            int i = index(m);
            if (!removed.get(i) && !firstRetrieved.containsKey(i)) {
                seen.add(snapshot.uids()[i]);
            }
        }
        if (gone.isEmpty() && seen.isEmpty()) {
            return false; // nothing to change: QUIT's only statement is then the lease's release
        }
        if (!gone.isEmpty()) {
            lease.verify();
            // test hook (the kill -9 matrix): in UPDATE, nothing sent yet. The call is one transaction, so a kill
            // while PostgreSQL runs it leaves every removal or none.
            CrashPoint.reach("update-removed");
        }
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT postoffice_update(?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, lease.mailboxId());
            ps.setLong(2, lease.token());
            ps.setArray(3, c.createArrayOf("bigint", gone.toArray()));
            ps.setArray(4, c.createArrayOf("bigint", seen.toArray()));
            ps.setTimestamp(5, Timestamp.from(now));
            ps.setBoolean(6, release);
            ps.execute();
        } catch (SQLException e) {
            if (LEASE_LOST.equals(e.getSQLState())) {
                lease.lost();
                throw new LeaseLostException("the lease on the maildrop of " + ref.user()
                        + " was lost (another node may hold it): nothing removed");
            }
            throw new StorageException("UPDATE of the maildrop of " + ref.user() + " failed, nothing removed: "
                    + e.getMessage(), true, e);
        }
        for (StoredMessage m : deletions) {
            int i = index(m);
            removed.set(i);
            firstRetrieved.remove(i);
            dropAhead(i);
        }
        remember(retrieved, now);
        return release;
    }

    private void remember(Collection<StoredMessage> retrieved, Instant when) {
        for (StoredMessage m : retrieved) {
            int i = index(m);
            if (!removed.get(i)) {
                firstRetrieved.putIfAbsent(i, when);
            }
        }
    }

    @Override
    public Optional<Instant> firstRetrieved(StoredMessage message) {
        return Optional.ofNullable(firstRetrieved.get(index(message)));
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
        for (Integer i : List.copyOf(ahead.keySet())) {
            dropAhead(i);
        }
        lease.close();
    }

    private int index(StoredMessage message) {
        int i = snapshot.indexOf(message);
        if (i < 0) {
            throw new IllegalArgumentException("message " + message.id() + " is not in this maildrop snapshot");
        }
        return i;
    }
}
