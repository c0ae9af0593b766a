package dev.postoffice.storage.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.testkit.pg.TestPostgres;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cross-node lease: two stores on one database are two nodes. A node's liveness is expired by hand (as the
 * database's clock would expire it for a node that stopped, was paused or cut off), never by waiting.
 */
class PgLeaseTest {
    private static final MailboxRef ALICE = MailboxRef.of("alice");
    private TestPostgres.Database database;
    private final List<AutoCloseable> open = new ArrayList<>();
    private PgStore nodeA;
    private PgStore nodeB;

    @BeforeEach
    void start() throws Exception {
        database = TestPostgres.newDatabase();
        nodeA = node();
        nodeB = node();
        for (int i = 0; i < 3; i++) {
            nodeA.deliver(ALICE, Envelope.none(), new ByteArrayInputStream(
                    ("Subject: " + i + "\r\n\r\nbody " + i + "\r\n").getBytes(StandardCharsets.US_ASCII)));
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private PgStore node() throws StorageException {
        PgDatabase db = PgDatabase.open(PgUrl.parse(database.url()), true);
        open.add(db);
        PgStore s = new PgStore(db, false);
        open.add(s);
        return s;
    }

    @Test
    void aSecondLoginThroughAnotherNodeIsInUseUntilTheFirstEnds() throws Exception {
        Maildrop held = nodeA.open(ALICE);
        assertThatThrownBy(() -> nodeB.open(ALICE)).isInstanceOf(MaildropBusyException.class)
                .hasMessageContaining("in use");
        assertThat(nodeA.heartbeat()).as("a live node keeps its lease through heartbeats").isTrue();
        assertThatThrownBy(() -> nodeB.open(ALICE)).isInstanceOf(MaildropBusyException.class);
        held.close();

        try (Maildrop drop = nodeB.open(ALICE)) {
            assertThat(drop.messages()).hasSize(3);
        }
    }

    @Test
    void aNodeWhoseLivenessExpiredLosesTheLeaseAndItsUpdateDeletesNothing() throws Exception {
        AtomicInteger told = new AtomicInteger();
        nodeA.onLivenessLost(told::incrementAndGet);
        Maildrop stale = nodeA.open(ALICE);
        expire(nodeA.nodeId()); // paused past its TTL: the database's clock says it is gone

        Maildrop taken = nodeB.open(ALICE);
        assertThat(taken.messages()).hasSize(3);
        assertThatThrownBy(() -> stale.commit(stale.messages(), List.of(), Instant.now()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(count("SELECT count(*) FROM message")).isEqualTo(3);

        assertThat(nodeA.heartbeat()).as("the resumed node finds its liveness gone").isFalse();
        assertThat(told).hasValue(1);
        stale.close(); // leaves the new holder's lease alone
        assertThatThrownBy(() -> nodeA.open(ALICE)).isInstanceOf(MaildropBusyException.class);
        taken.commit(List.of(taken.messages().get(0)), List.of(), Instant.now());
        assertThat(count("SELECT count(*) FROM message")).isEqualTo(2);
        taken.close();

        try (Maildrop again = nodeA.open(ALICE)) {
            assertThat(again.messages()).as("the node logs in again under its new liveness").hasSize(2);
        }
    }

    @Test
    void updateIsFencedEvenBeforeAnotherNodeTakesOver() throws Exception {
        Maildrop drop = nodeA.open(ALICE);
        expire(nodeA.nodeId());

        assertThatThrownBy(() -> drop.commit(drop.messages(), List.of(), Instant.now()))
                .isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(((StorageException) e).temporary()).isTrue());
        assertThat(count("SELECT count(*) FROM message")).isEqualTo(3);
        drop.close();
    }

    @Test
    void aNodeThatLearnsItsLivenessExpiredFailsItsSessionsAtOnce() throws Exception {
        Maildrop drop = nodeA.open(ALICE);
        expire(nodeA.nodeId());
        assertThat(nodeA.heartbeat()).isFalse();

        assertThatThrownBy(() -> drop.commit(drop.messages(), List.of(), Instant.now()))
                .isInstanceOf(LeaseLostException.class).hasMessageContaining("liveness");
        assertThat(count("SELECT count(*) FROM message")).isEqualTo(3);
    }

    @Test
    void theHeartbeatOutlivesAListenerThatThrows() throws Exception {
        // Found live: the server's listener threw for a session still logging in, which ended the heartbeat.
        PgDatabase db = PgDatabase.open(PgUrl.parse(database.url() + "&lease-ttl=1s"), true);
        open.add(db);
        PgStore node = new PgStore(db, true);
        open.add(node);
        java.util.concurrent.atomic.AtomicInteger lost = new java.util.concurrent.atomic.AtomicInteger();
        node.onLivenessLost(() -> {
            lost.incrementAndGet();
            throw new IllegalStateException("a listener that fails");
        });
        for (int round = 1; round <= 2; round++) {
            expire(node.nodeId());
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (lost.get() < round) {
                assertThat(System.nanoTime()).as("heartbeat %d noticed the expiry", round).isLessThan(deadline);
                Thread.sleep(50);
            }
        }
        // Right after a loss the node refuses logins until its next heartbeat renews it (1/3 of the TTL): wait for that.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        Maildrop drop = null;
        while (drop == null) {
            try {
                drop = node.open(ALICE);
            } catch (StorageException e) {
                assertThat(e).hasMessageContaining("logins wait for its heartbeat");
                assertThat(System.nanoTime()).as("the heartbeat renewed the liveness").isLessThan(deadline);
                Thread.sleep(50);
            }
        }
        assertThat(drop.messages()).hasSize(3);
        drop.close();
    }

    @Test
    void aKilledNodesLeaseIsFreeOnceItsLivenessExpires() throws Exception {
        nodeA.open(ALICE); // never closed: the process was killed
        assertThatThrownBy(() -> nodeB.open(ALICE)).isInstanceOf(MaildropBusyException.class);
        expire(nodeA.nodeId());

        try (Maildrop drop = nodeB.open(ALICE)) {
            drop.commit(List.of(drop.messages().get(2)), List.of(), Instant.now());
        }
        assertThat(count("SELECT count(*) FROM message")).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM lease")).isEqualTo(0);
    }

    @Test
    void aStoreWithoutHeartbeatLogsInUnderANewLivenessOnceItsOldOneExpired() throws Exception {
        String old = nodeA.nodeId();
        expire(old);

        try (Maildrop drop = nodeA.open(ALICE)) {
            assertThat(nodeA.nodeId()).isNotEqualTo(old);
            assertThat(drop.messages()).hasSize(3);
            assertThatThrownBy(() -> nodeB.open(ALICE)).as("held by a live node").isInstanceOf(MaildropBusyException.class);
        }
    }

    @Test
    void fencingTokensOnlyGrow() throws Exception {
        long first;
        try (Maildrop drop = nodeA.open(ALICE)) {
            first = count("SELECT token FROM lease");
        }
        try (Maildrop drop = nodeB.open(ALICE)) {
            assertThat(count("SELECT token FROM lease")).isGreaterThan(first);
        }
    }

    /**
     * What the kill -9 matrix cannot reach on this store: a node cut off while PostgreSQL runs UPDATE's one call. The
     * call removes the messages and their chunks, then waits for the maildrop's row (held here); its backend is
     * then terminated, as a crash of the node's connection or of the database would end it. Nothing may be removed.
     */
    @Test
    void anUpdateCutOffMidwayInsidePostgresRemovesNothing() throws Exception {
        Maildrop drop = nodeA.open(ALICE);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread quit;
        try (Connection blocker = DriverManager.getConnection(database.jdbcUrl())) {
            blocker.setAutoCommit(false);
            try (PreparedStatement ps = blocker.prepareStatement("SELECT 1 FROM mailbox WHERE name = ? FOR UPDATE")) {
                ps.setString(1, ALICE.user());
                ps.executeQuery().close();
            }
            quit = Thread.ofPlatform().start(() -> {
                try {
                    drop.commitAndClose(drop.messages(), drop.messages(), Instant.now());
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND query LIKE 'SELECT postoffice_update%'") == 0) {
                assertThat(System.nanoTime()).as("UPDATE reached the maildrop's row").isLessThan(deadline);
                Thread.sleep(10);
            }
            assertThat(count("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE query LIKE 'SELECT postoffice_update%'")).isEqualTo(1);
            blocker.rollback();
        }
        quit.join(30_000);
        assertThat(quit.isAlive()).isFalse();
        assertThat(failed.get()).isInstanceOf(StorageException.class).isNotInstanceOf(LeaseLostException.class);
        assertThat(((StorageException) failed.get()).temporary()).isTrue();

        assertThat(count("SELECT count(*) FROM message")).isEqualTo(3);
        assertThat(count("SELECT messages FROM mailbox")).isEqualTo(3);
        assertThat(count("SELECT count(*) FROM lease")).as("the close after the failed call released it").isZero();
        try (Maildrop next = nodeB.open(ALICE)) {
            assertThat(next.messages()).hasSize(3);
            for (var m : next.messages()) {
                try (var in = next.body(m).open()) {
                    assertThat(in.readAllBytes()).hasSize((int) m.size());
                }
            }
        }
    }

    private void expire(String node) throws Exception {
        try (Connection c = DriverManager.getConnection(database.jdbcUrl());
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE node SET expires = now() - interval '1 second' WHERE id = ?")) {
            ps.setString(1, node);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(database.jdbcUrl());
                ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
