package dev.postoffice.storage.pg;

import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.storage.StorageException;
import dev.postoffice.testkit.contract.MaildropStoreContract;
import dev.postoffice.testkit.pg.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The PostgreSQL store keeps the storage contract, on a real server (embedded) and a database of its own per test.
 * Its lease is broken as a node that judged its holder dead would leave it: the lease row deleted. Streaming is not
 * declared: the contract measures it as allocation by the reading thread, and the JDBC driver allocates every row
 * it reads; {@link PgLargeMessageTest} proves instead that a 50 MB message passes through a heap far smaller.
 */
class PgStoreContractTest extends MaildropStoreContract {
    private TestPostgres.Database database;
    private final List<AutoCloseable> open = new ArrayList<>();
    private PgStore store;

    @BeforeEach
    void start() throws Exception {
        database = TestPostgres.newDatabase();
        store = newStore();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private PgStore newStore() throws StorageException {
        PgDatabase db = PgDatabase.open(PgUrl.parse(database.url()), true);
        open.add(db);
        PgStore s = new PgStore(db, false);
        open.add(s);
        return s;
    }

    @Override
    protected MaildropStore store() {
        return store;
    }

    @Override
    protected MailDelivery delivery() {
        return store;
    }

    @Override
    protected void breakLease(MailboxRef ref) throws Exception {
        try (Connection c = DriverManager.getConnection(database.jdbcUrl());
                PreparedStatement ps = c.prepareStatement(
                        "DELETE FROM lease WHERE mailbox_id = (SELECT id FROM mailbox WHERE name = ?)")) {
            ps.setString(1, ref.user());
            ps.executeUpdate();
        }
    }

    @Override
    protected Optional<MaildropStore> reopen() throws Exception {
        return Optional.of(newStore());
    }
}
