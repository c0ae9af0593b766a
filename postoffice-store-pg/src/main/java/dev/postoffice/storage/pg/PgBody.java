package dev.postoffice.storage.pg;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import javax.sql.DataSource;

/**
 * A message body behind a {@code pg:} locator: read whole with the messages after it when it is one chunk
 * ({@link PgMaildrop#whole}, docs/postgresql.md "Read-ahead"), else its chunks read {@value #CHUNKS_PER_QUERY} rows per query (one query
 * for a message of up to 1 MiB), each query on a connection borrowed from the pool for it alone, so a slow client
 * holds no connection and no more than those chunks in memory. The message's row is found by its maildrop and UID
 * in the same query, so the login's snapshot need not carry the locator.
 */
final class PgBody implements MessageBody {
    /** Chunk rows per query: 1 MiB, a bound on what a RETR holds in memory. */
    static final int CHUNKS_PER_QUERY = 4;

    private final DataSource db;
    private final long mailbox;
    private final long uid;
    private final MessageForm form;
    private final long size;
    private final Whole whole;

    /** The body's octets in one array when they can be had that way, else null (then read chunk by chunk). */
    interface Whole {
        byte[] read() throws IOException;
    }

    PgBody(DataSource db, long mailbox, long uid, MessageForm form, long size, Whole whole) {
        this.db = db;
        this.whole = whole;
        this.mailbox = mailbox;
        this.uid = uid;
        this.form = form;
        this.size = size;
    }

    @Override
    public MessageForm form() {
        return form;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public InputStream open() throws IOException {
        byte[] octets = whole.read();
        return octets != null ? new ByteArrayInputStream(octets) : new ChunkStream();
    }

    /** Reads chunk after chunk; a chunk missing before {@link #size} octets came is an error, not an end. */
    private final class ChunkStream extends InputStream {
        private final ArrayDeque<byte[]> fetched = new ArrayDeque<>(CHUNKS_PER_QUERY);
        private byte[] chunk = new byte[0];
        private int pos;
        private int seq;
        private long delivered;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == chunk.length) {
                if (delivered >= size) {
                    return -1;
                }
                if (fetched.isEmpty()) {
                    fetch();
                }
                chunk = fetched.poll();
                pos = 0;
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            delivered += n;
            return n;
        }

        /** The next chunks, from {@link #seq} on; at least one, else an error. */
        private void fetch() throws IOException {
            try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT c.seq, c.data FROM message m JOIN body_chunk c ON c.locator = m.body_locator"
                            + " WHERE m.mailbox_id = ? AND m.uid = ? AND c.seq >= ? ORDER BY c.seq LIMIT "
                            + CHUNKS_PER_QUERY)) {
                ps.setLong(1, mailbox);
                ps.setLong(2, uid);
                ps.setInt(3, seq);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byte[] data = rs.getBytes(2);
                        if (rs.getInt(1) != seq || data.length == 0) {
                            throw new IOException("the body of message " + uid + " has a missing or empty chunk " + seq);
                        }
                        fetched.add(data);
                        seq++;
                    }
                }
            } catch (SQLException e) {
                throw new IOException("cannot read the body of message " + uid + ": " + e.getMessage(), e);
            }
            if (fetched.isEmpty()) {
                throw new IOException("the body of message " + uid + " ends after " + delivered + " of " + size
                        + " octets (the message was removed?)");
            }
        }
    }
}
