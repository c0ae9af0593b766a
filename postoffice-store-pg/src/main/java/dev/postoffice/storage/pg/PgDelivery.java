package dev.postoffice.storage.pg;

import dev.postoffice.message.MessageForm;
import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.CrashPoint;
import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.QuotaExceededException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * A delivery into PostgreSQL, one transaction per recipient and no lease: the message is converted to the
 * canonical form (CRLF) as it is read and written in {@link #CHUNK}-octet rows behind a new locator, then the
 * maildrop's row is updated (usage, next UID: the only row lock, held for the end of the transaction) with the
 * quota checked against it, and the message row inserted. A session sees it whole at its next login, or never.
 */
final class PgDelivery {
    /** Octets per body row: large enough for few round trips, small enough that a row is never a burden. */
    static final int CHUNK = 256 * 1024;

    private final DataSource db;

    PgDelivery(DataSource db) {
        this.db = db;
    }

    DeliveryResult deliver(String user, InputStream message, Quota quota) throws StorageException {
        String locator = "pg:" + UUID.randomUUID();
        try (Connection c = db.getConnection()) {
            long mailbox = PgStore.mailboxId(c, user);
            c.setAutoCommit(false);
            try {
                Written w = writeBody(c, locator, message);
                if (w.size == 0) {
                    throw new StorageException("empty message", false);
                }
                long uid = account(c, mailbox, w.size, quota);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO message"
                        + " (mailbox_id, uid, uidl, size, form, delivered, body_locator) VALUES (?, ?, ?, ?, ?, now(), ?)")) {
                    ps.setLong(1, mailbox);
                    ps.setLong(2, uid);
                    ps.setString(3, uidl(mailbox, uid));
                    ps.setLong(4, w.size);
                    ps.setString(5, w.form.name());
                    ps.setString(6, locator);
                    ps.executeUpdate();
                }
                CrashPoint.reach("deliver-tmp-written"); // test hook: all written, not committed (the kill -9 matrix)
                c.commit();
                CrashPoint.reach("deliver-renamed"); // test hook: committed, not yet reported
                return new DeliveryResult(Long.toString(uid), w.size, w.form);
            } catch (SQLException | StorageException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StorageException("cannot store the message for " + user + ": " + e.getMessage(), true, e);
        }
    }

    /**
     * Copies a message from another store keeping its UIDL, canonical size and first retrieval (migration), in one
     * transaction. Returns false, storing nothing, when the maildrop already has that UIDL (a copy that ran
     * before), so a migration may run again or resume.
     *
     * @throws StorageException permanent if the copy's canonical size is not {@code size} (the client would see
     *                          another LIST size)
     */
    boolean copy(String user, String uidl, long size, InputStream message, java.util.Optional<java.time.Instant> retrieved)
            throws StorageException {
        String locator = "pg:" + UUID.randomUUID();
        try (Connection c = db.getConnection()) {
            long mailbox = PgStore.mailboxId(c, user);
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM message WHERE mailbox_id = ? AND uidl = ?")) {
                ps.setLong(1, mailbox);
                ps.setString(2, uidl);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return false;
                    }
                }
            }
            c.setAutoCommit(false);
            try {
                Written w = writeBody(c, locator, message);
                if (w.size != size) {
                    throw new StorageException("message " + uidl + " of " + user + " is " + w.size
                            + " octets in canonical form, not " + size + " as listed", false);
                }
                long uid = account(c, mailbox, w.size, Quota.NONE);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO message (mailbox_id, uid, uidl, size,"
                        + " form, delivered, retrieved, body_locator) VALUES (?, ?, ?, ?, ?, now(), ?, ?)"
                        + " ON CONFLICT (mailbox_id, uidl) DO NOTHING")) {
                    ps.setLong(1, mailbox);
                    ps.setLong(2, uid);
                    ps.setString(3, uidl);
                    ps.setLong(4, w.size);
                    ps.setString(5, w.form.name());
                    ps.setTimestamp(6, retrieved.map(java.sql.Timestamp::from).orElse(null));
                    ps.setString(7, locator);
                    if (ps.executeUpdate() == 0) { // copied meanwhile by another run
                        c.rollback();
                        return false;
                    }
                }
                c.commit();
                return true;
            } catch (SQLException | StorageException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StorageException("cannot copy message " + uidl + " of " + user + ": " + e.getMessage(), true, e);
        }
    }

    /**
     * The UIDL of a message delivered here: the maildrop and the UID, which the maildrop never reuses; the
     * {@code P} cannot begin a Maildir base name (seconds), so a migrated Maildir's UIDLs never collide with it.
     */
    static String uidl(long mailbox, long uid) {
        return "P" + mailbox + "." + uid;
    }

    private record Written(long size, MessageForm form) {}

    private static Written writeBody(Connection c, String locator, InputStream message)
            throws SQLException, StorageException {
        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        MessageFormat.LineEndConverter converter = new MessageFormat.LineEndConverter(MessageFormat.LineEnd.CRLF);
        byte[] in = new byte[32 * 1024];
        byte[] out = new byte[MessageFormat.LineEndConverter.maxOutput(in.length)];
        byte[] chunk = new byte[CHUNK];
        int filled = 0;
        int seq = 0;
        long total = 0;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO body_chunk (locator, seq, data) VALUES (?, ?, ?)")) {
            boolean end = false;
            while (!end) {
                int n;
                try {
                    n = message.read(in);
                } catch (IOException e) {
                    throw new StorageException("cannot read the message: " + e.getMessage(), true, e);
                }
                int produced;
                if (n < 0) {
                    end = true;
                    produced = converter.finish(out);
                } else {
                    counter.update(in, 0, n);
                    produced = converter.convert(in, 0, n, out);
                }
                for (int off = 0; off < produced; ) {
                    int k = Math.min(produced - off, CHUNK - filled);
                    System.arraycopy(out, off, chunk, filled, k);
                    filled += k;
                    off += k;
                    if (filled == CHUNK) {
                        insert(ps, locator, seq++, chunk, filled);
                        total += filled;
                        filled = 0;
                    }
                }
            }
            if (filled > 0) {
                insert(ps, locator, seq, chunk, filled);
                total += filled;
            }
        }
        return new Written(total, counter.hasDotLines() ? MessageForm.DOTTED : MessageForm.WIRE);
    }

    private static void insert(PreparedStatement ps, String locator, int seq, byte[] chunk, int len)
            throws SQLException {
        ps.setString(1, locator);
        ps.setInt(2, seq);
        ps.setBytes(3, len == chunk.length ? chunk : Arrays.copyOf(chunk, len));
        ps.executeUpdate();
    }

    /** Adds the message to the maildrop's usage if the quota admits it, and returns its new UID. */
    private static long account(Connection c, long mailbox, long size, Quota quota)
            throws SQLException, StorageException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE mailbox SET bytes = bytes + ?,"
                + " messages = messages + 1, next_uid = next_uid + 1 WHERE id = ? RETURNING bytes, messages, next_uid")) {
            ps.setLong(1, size);
            ps.setLong(2, mailbox);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Usage before = new Usage(rs.getLong(1) - size, rs.getLong(2) - 1);
                if (!quota.admits(before, size)) {
                    throw new QuotaExceededException(before, quota, size);
                }
                return rs.getLong(3) - 1;
            }
        }
    }
}
