package dev.postoffice.storage.pg;

import dev.postoffice.storage.Lease;
import dev.postoffice.storage.LeaseLostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's lease row: the maildrop, this node's incarnation and the fencing token from the {@code lease_token}
 * sequence. UPDATE checks the token in its own transaction ({@link PgMaildrop#commit}); this object only remembers
 * whether the node already knows the lease is lost, and deletes the row at close if it is still this token's, in one
 * statement that does not wait for the WAL flush ({@code postoffice_release}, docs/postgresql.md "Round trips"),
 * unless QUIT's UPDATE deleted it already.
 */
final class PgLease implements Lease {
    private static final Logger log = LoggerFactory.getLogger(PgLease.class);

    private final DataSource db;
    private final Liveness liveness;
    private final long mailboxId;
    private final long token;
    private final String user;
    private volatile boolean lost;
    private boolean closed;
    private boolean released;

    PgLease(DataSource db, Liveness liveness, long mailboxId, long token, String user) {
        this.db = db;
        this.liveness = liveness;
        this.mailboxId = mailboxId;
        this.token = token;
        this.user = user;
    }

    long mailboxId() {
        return mailboxId;
    }

    long token() {
        return token;
    }

    /** Called when this node's liveness expired: the lease may be another node's by now. */
    void lost() {
        lost = true;
    }

    @Override
    public void verify() throws LeaseLostException {
        if (lost) {
            throw new LeaseLostException("the lease on the maildrop of " + user
                    + " was lost: this node's liveness expired");
        }
    }

    /** The row was deleted by QUIT's own transaction ({@code postoffice_update}): {@link #close} has nothing to send. */
    synchronized void released() {
        released = true;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        liveness.remove(this);
        if (released) {
            return;
        }
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT postoffice_release(?, ?)")) {
            ps.setLong(1, mailboxId);
            ps.setLong(2, token);
            ps.execute();
        } catch (SQLException e) {
            log.warn("cannot release the lease on the maildrop of {} (it expires with this node): {}", user,
                    e.getMessage());
        }
    }
}
