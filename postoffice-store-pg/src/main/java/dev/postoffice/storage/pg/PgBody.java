package dev.postoffice.storage.pg;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A message body behind a {@code pg:} locator: its chunks read one row at a time, each on a connection borrowed
 * from the pool for that one query, so a slow client holds no connection and no more than a chunk in memory.
 */
final class PgBody implements MessageBody {
    private final DataSource db;
    private final String locator;
    private final MessageForm form;
    private final long size;

    PgBody(DataSource db, String locator, MessageForm form, long size) {
        this.db = db;
        this.locator = locator;
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
    public InputStream open() {
        return new ChunkStream();
    }

    /** Reads chunk after chunk; a chunk missing before {@link #size} octets came is an error, not an end. */
    private final class ChunkStream extends InputStream {
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
                chunk = fetch(seq++);
                pos = 0;
            }
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            delivered += n;
            return n;
        }

        private byte[] fetch(int n) throws IOException {
            try (Connection c = db.getConnection();
                    PreparedStatement ps = c.prepareStatement(
                            "SELECT data FROM body_chunk WHERE locator = ? AND seq = ?")) {
                ps.setString(1, locator);
                ps.setInt(2, n);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IOException("the body " + locator + " ends after " + delivered + " of " + size
                                + " octets (the message was removed?)");
                    }
                    byte[] data = rs.getBytes(1);
                    if (data.length == 0) {
                        throw new IOException("the body " + locator + " has an empty chunk " + n);
                    }
                    return data;
                }
            } catch (SQLException e) {
                throw new IOException("cannot read the body " + locator + ": " + e.getMessage(), e);
            }
        }
    }
}
