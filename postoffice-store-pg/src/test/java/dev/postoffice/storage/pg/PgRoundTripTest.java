package dev.postoffice.storage.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.auth.pg.SqlUserDirectory;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import dev.postoffice.testkit.pg.TestPostgres;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The round trips a session costs, counted as the JDBC calls that reach the server (a statement's execution, a
 * commit or rollback of an open transaction) made by the session's thread (not the heartbeat's), on a real database:
 * the figures docs/postgresql.md ("Round trips") states. A regression here is a slower login, not a wrong one.
 */
class PgRoundTripTest {
    private static final MailboxRef ALICE = MailboxRef.of("alice");
    private final AtomicInteger trips = new AtomicInteger();
    private final Thread session = Thread.currentThread();
    private final ReadAhead budget = new ReadAhead(ReadAhead.DEFAULT_BUDGET);
    private PgDatabase database;
    private PgStore store;

    @BeforeEach
    void start() throws Exception {
        database = PgDatabase.open(PgUrl.parse(TestPostgres.newDatabase().url()), true);
        store = new PgStore(counting(database.dataSource()), "test", Duration.ofSeconds(15), true, budget);
    }

    @AfterEach
    void stop() {
        store.close();
        database.close();
    }

    @Test
    void aLoginIsOneRoundTripAndAQuitWithNothingToChangeIsOne() throws Exception {
        deliver("Subject: a\r\n\r\none\r\n");
        deliver("Subject: b\r\n\r\n.two\r\n");
        SqlUserDirectory users = new SqlUserDirectory(counting(database.dataSource()), "test");
        users.add("alice", "{PLAIN}secret");
        for (int round = 0; round < 3; round++) { // the first uses of a statement on a connection, then warm ones
            trips.set(0);
            assertThat(users.find("alice")).isPresent();
            assertThat(trips.get()).as("PASS: the user's row").isEqualTo(1);

            trips.set(0);
            Maildrop drop = store.open(ALICE);
            assertThat(trips.get()).as("login: lease, last login and snapshot").isEqualTo(1);
            assertThat(drop.messages()).hasSize(2);

            trips.set(0);
            assertThat(read(drop, drop.messages().get(1))).isEqualTo("Subject: b\r\n\r\n.two\r\n");
            assertThat(trips.get()).as("RETR of a message under 1 MiB").isEqualTo(1);

            trips.set(0);
            drop.commitAndClose(List.of(), List.of(), Instant.now());
            assertThat(trips.get()).as("QUIT with nothing deleted: the lease's release").isEqualTo(1);
        }
    }

    @Test
    void anUpdateIsOneRoundTripAndAtQuitTheLeaseGoesWithIt() throws Exception {
        deliverNumbered(8);
        Maildrop drop = store.open(ALICE);
        List<StoredMessage> all = drop.messages();
        trips.set(0);
        drop.commit(List.of(all.get(0)), List.of(), Instant.now()); // EXPIRE at login: the session goes on
        assertThat(trips.get()).as("a removal without the release").isEqualTo(1);
        assertThat(leases()).isEqualTo(1);

        trips.set(0);
        drop.commitAndClose(all.subList(1, 5), all.subList(1, 7), Instant.now());
        assertThat(trips.get()).as("QUIT with DELE and retrievals: removals, EXPIRE's record and the release")
                .isEqualTo(1);
        assertThat(leases()).as("released in UPDATE's transaction").isZero();
        try (Maildrop next = store.open(ALICE)) {
            assertThat(next.messages()).hasSize(3);
            assertThat(next.history().firstRetrieved(next.messages().get(0))).isPresent();
            assertThat(next.history().firstRetrieved(next.messages().get(2))).isEmpty();
            trips.set(0);
        }
        assertThat(trips.get()).as("close alone: the release").isEqualTo(1);
    }

    @Test
    void aQuitWhoseUpdateFailsStillReleasesTheLeaseAndTheReadAhead() throws Exception {
        deliverNumbered(4);
        Maildrop drop = store.open(ALICE);
        List<StoredMessage> all = drop.messages();
        assertThat(read(drop, all.get(0))).endsWith("body 0\r\n"); // reads the other three ahead
        assertThat(budget.available()).isLessThan(ReadAhead.DEFAULT_BUDGET);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            // a removal PostgreSQL refuses mid-call: the function's earlier work must be rolled back with it
            s.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " RAISE EXCEPTION 'refused'; END $$");
            s.execute("CREATE TRIGGER refuse BEFORE DELETE ON body_chunk FOR EACH ROW EXECUTE FUNCTION refuse()");
        }
        assertThatThrownBy(() -> drop.commitAndClose(all.subList(0, 2), List.of(), Instant.now()))
                .isInstanceOf(StorageException.class)
                .isNotInstanceOf(LeaseLostException.class);
        assertThat(budget.available()).as("the read-ahead given back").isEqualTo(ReadAhead.DEFAULT_BUDGET);
        assertThat(leases()).as("released by the close that follows the failed call").isZero();
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TRIGGER refuse ON body_chunk");
        }
        try (Maildrop next = store.open(ALICE)) {
            assertThat(next.messages()).as("nothing removed").hasSize(4);
        }
    }

    private int leases() throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM lease")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void aLargeRetrReadsFourChunksPerQuery() throws Exception {
        byte[] big = new byte[10 * PgDelivery.CHUNK + 1000]; // 11 chunks: 3 queries
        Arrays.fill(big, (byte) 'x');
        for (int i = 99; i < big.length; i += 100) {
            big[i - 1] = '\r';
            big[i] = '\n';
        }
        big[big.length - 2] = '\r';
        big[big.length - 1] = '\n';
        store.deliver(ALICE, Envelope.none(), new ByteArrayInputStream(big));
        try (Maildrop drop = store.open(ALICE)) {
            trips.set(0);
            try (InputStream in = drop.body(drop.messages().get(0)).open()) {
                assertThat(in.readAllBytes()).isEqualTo(big);
            }
            assertThat(trips.get()).isEqualTo(3);
        }
    }

    @Test
    void messagesRetrievedInOrderAreReadAheadSeveralPerQuery() throws Exception {
        for (int k = 0; k < 120; k++) {
            deliver("Subject: " + k + "\r\n\r\n" + (k % 3 == 0 ? ".dot\r\n" : "") + "x".repeat(10_000) + "\r\n");
        }
        try (Maildrop drop = store.open(ALICE)) {
            trips.set(0);
            for (int k = 0; k < 120; k++) {
                assertThat(read(drop, drop.messages().get(k))).startsWith("Subject: " + k + "\r\n")
                        .hasSize((int) drop.messages().get(k).size());
            }
            // 120 messages of 10 KB: the first query reads the first and the next 104 (1 MiB), the second the rest
            assertThat(trips.get()).as("round trips for 120 RETRs").isEqualTo(2);
            assertThat(budget.available()).as("nothing held once all were sent").isEqualTo(ReadAhead.DEFAULT_BUDGET);

            trips.set(0);
            assertThat(read(drop, drop.messages().get(3))).startsWith("Subject: 3\r\n\r\n.dot\r\n");
            assertThat(trips.get()).as("a second RETR reads again (and ahead again)").isEqualTo(1);
            assertThat(budget.available()).isLessThan(ReadAhead.DEFAULT_BUDGET);
        }
        assertThat(budget.available()).as("the session's close gives back what it held").isEqualTo(ReadAhead.DEFAULT_BUDGET);
    }

    @Test
    void readAheadSkipsDeletedMessagesAndGivesTheirOctetsBack() throws Exception {
        deliverNumbered(6);
        try (Maildrop drop = store.open(ALICE)) {
            List<StoredMessage> all = drop.messages();
            assertThat(read(drop, all.get(0))).endsWith("body 0\r\n"); // reads 1 to 5 ahead
            drop.commit(List.of(all.get(2)), List.of(), Instant.now()); // as a QUIT would; the session goes on here
            trips.set(0);
            assertThat(read(drop, all.get(1))).endsWith("body 1\r\n");
            assertThat(read(drop, all.get(3))).endsWith("body 3\r\n");
            assertThat(trips.get()).as("read ahead: no round trip").isZero();
            assertThatThrownBy(() -> drop.body(all.get(2))).isInstanceOf(IOException.class);
        }
        assertThat(budget.available()).isEqualTo(ReadAhead.DEFAULT_BUDGET);
    }

    @Test
    void withTheNodesBudgetSpentEachRetrReadsOnlyItsOwnMessage() throws Exception {
        store.close();
        ReadAhead small = new ReadAhead(100); // less than any message below
        store = new PgStore(counting(database.dataSource()), "test", Duration.ofSeconds(15), true, small);
        for (int k = 0; k < 5; k++) {
            deliver("Subject: " + k + "\r\n\r\n" + "y".repeat(500) + "\r\n");
        }
        try (Maildrop drop = store.open(ALICE)) {
            trips.set(0);
            for (StoredMessage m : drop.messages()) {
                assertThat(read(drop, m)).hasSize((int) m.size());
            }
            assertThat(trips.get()).isEqualTo(5);
            assertThat(small.available()).isEqualTo(100);
        }
    }

    /** Messages "Subject: K" with body "body K", K from 0. */
    private void deliverNumbered(int count) throws Exception {
        for (int k = 0; k < count; k++) {
            deliver("Subject: " + k + "\r\n\r\nbody " + k + "\r\n");
        }
    }

    private void deliver(String message) throws Exception {
        store.deliver(ALICE, Envelope.none(), new ByteArrayInputStream(message.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String read(Maildrop drop, StoredMessage m) throws Exception {
        try (InputStream in = drop.body(m).open()) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** The pool, its connections and their statements wrapped so that the session thread's round trips count. */
    private DataSource counting(DataSource real) {
        return wrap(DataSource.class, real);
    }

    private <T> T wrap(Class<T> type, T real) {
        InvocationHandler h = (proxy, method, args) -> {
            String name = method.getName();
            boolean mine = Thread.currentThread() == session;
            if (mine && real instanceof Statement && name.startsWith("execute")) {
                trips.incrementAndGet();
            }
            if (mine && real instanceof Connection c && (name.equals("commit") || name.equals("rollback"))
                    && !c.getAutoCommit()) {
                trips.incrementAndGet();
            }
            Object result;
            try {
                result = method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            Class<?> returns = method.getReturnType();
            if (result != null && (returns == Connection.class || Statement.class.isAssignableFrom(returns))) {
                @SuppressWarnings("unchecked")
                Class<Object> t = (Class<Object>) returns;
                return wrap(t, result);
            }
            return result;
        };
        return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h));
    }
}
