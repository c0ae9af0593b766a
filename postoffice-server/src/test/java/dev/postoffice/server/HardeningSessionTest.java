package dev.postoffice.server;

import dev.postoffice.testkit.TlsClient;
import dev.postoffice.testkit.RawClient;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.HashExecutor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Over the wire: what keeps unauthenticated clients from holding the server's resources (docs/security.md). */
class HardeningSessionTest {
    @TempDir
    Path data;
    TestServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start(UnaryOperator<ServerConfig.Builder> c) throws Exception {
        server = new TestServer(data, c).user("alice", "secret");
        return server;
    }

    @Test
    void aConnectionThatKeepsSendingCommandsIsClosedAtThePreAuthLifetime() throws Exception {
        start(b -> b.preAuthTimeout(Duration.ofMinutes(5)).preAuthLifetime(Duration.ofMillis(1500)));
        try (RawClient c = new RawClient(server.port())) {
            String reply = "";
            for (int i = 0; i < 100 && !reply.startsWith("-ERR"); i++) {
                reply = c.cmd("USER alice"); // a command every 100 ms: the idle timeout never fires
                Thread.sleep(100);
            }
            assertThat(reply).isEqualTo("-ERR login took too long, closing the connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void theGreetingCarriesAnApopTimestampOnlyWhereApopMayBeUsed() throws Exception {
        start(b -> b.localNetworks(java.util.List.of()));
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.greeting()).doesNotContain("<");
        }
        try (RawClient c = new RawClient(TlsClient.trusting(data.resolve("tls/cert.pem"))
                .getSocketFactory().createSocket("127.0.0.1", server.tlsPort()))) {
            assertThat(c.greeting()).contains("<");
        }
        server.close();
        server = new TestServer(data);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.greeting()).as("loopback is local").contains("<");
        }
    }

    @Test
    void capaOffersByDefaultOnlyMechanismsEveryUserCanUse() throws Exception {
        server = new TestServer(data).user("alice", "secret").userWithScheme("dave", "d4ve", "ARGON2ID");
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("SASL PLAIN LOGIN");
            assertThat(c.cmd("AUTH CRAM-MD5")).isEqualTo("-ERR unsupported authentication mechanism");
        }
        server.users.remove("dave");
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).anyMatch(l -> l.startsWith("SASL ") && l.contains(" CRAM-MD5")
                    && l.contains(" SCRAM-SHA-256"));
        }
    }

    @Test
    void explicitlyOfferedMechanismsSomeUsersCannotUseAreNamedInTheLog() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(dev.postoffice.server.auth.AccountSaslBackend.class);
        var appender = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        appender.start();
        logger.addAppender(appender);
        try {
            server = new TestServer(data, b -> b.saslMechanisms(java.util.List.of("PLAIN", "CRAM-MD5")))
                    .user("alice", "secret").userWithScheme("dave", "d4ve", "ARGON2ID")
                    .userWithScheme("erin", "3rin", "ARGON2ID");
            try (RawClient c = new RawClient(server.port())) {
                c.cmd("CAPA");
                assertThat(c.multiline()).contains("SASL CRAM-MD5 PLAIN");
            }
            synchronized (appender) {
                assertThat(appender.list).map(e -> e.getFormattedMessage())
                        .anyMatch(m -> m.startsWith("sasl-mechanisms offers CRAM-MD5, which 2 of 3 users cannot use"));
            }
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void aScramExchangeCancelledAfterTheServerLookedTheUserUpIsAFailedLogin() throws Exception {
        start(b -> b.maxAuthFailures(1));
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH SCRAM-SHA-256 " + java.util.Base64.getEncoder().encodeToString(
                    "n,,n=alice,r=abcdefghijklmnop".getBytes(java.nio.charset.StandardCharsets.US_ASCII))))
                    .startsWith("+ ");
            assertThat(c.cmd("*")).isEqualTo(
                    "-ERR [AUTH] authentication cancelled; too many failures, closing the connection");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH PLAIN")).isEqualTo("+ ");
            assertThat(c.cmd("*")).as("nothing was checked yet: not a failure").isEqualTo("-ERR authentication cancelled");
            c.login("alice", "secret");
        }
    }

    @Test
    void whenFullTheOldestConnectionNotLoggedInMakesRoomAndAShareIsKeptForLoggedInSessions() throws Exception {
        start(b -> b.maxConnections(3)); // one of three kept for logged-in sessions
        try (RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port())) {
            try (RawClient c = new RawClient(server.port())) {
                assertThat(c.greeting()).startsWith("+OK");
                assertThat(a.line()).isEqualTo("-ERR [SYS/TEMP] server busy, closing connections not logged in");
                assertThat(a.closedByServer()).isTrue();
                awaitConnections(2);
                c.login("alice", "secret");
                try (RawClient d = new RawClient(server.port())) {
                    assertThat(d.greeting()).as("b and d fit beside the logged-in c").startsWith("+OK");
                    try (RawClient e = new RawClient(server.port())) {
                        assertThat(e.greeting()).startsWith("+OK");
                        assertThat(b.line()).as("the oldest not logged in").startsWith("-ERR [SYS/TEMP]");
                        assertThat(d.cmd("NOOP")).as("d is younger").isNotNull();
                        assertThat(c.cmd("STAT")).as("logged-in sessions are never closed for room").startsWith("+OK");
                    }
                }
            }
        }
    }

    private void awaitConnections(int n) throws InterruptedException {
        for (int i = 0; i < 500 && server.server.context().limits().total() != n; i++) {
            Thread.sleep(10);
        }
        assertThat(server.server.context().limits().total()).isEqualTo(n);
    }

    @Test
    void theLifetimeEndsAtLogin() throws Exception {
        start(b -> b.preAuthLifetime(Duration.ofMillis(1500)));
        try (RawClient c = new RawClient(server.port())) {
            c.login("alice", "secret");
            assertThat(c.silentFor(3000)).isTrue();
            assertThat(c.cmd("STAT")).startsWith("+OK");
        }
    }

    @Test
    void aPasswordCheckQueuedForAClientThatHungUpIsTakenBackUnrun() throws Exception {
        HashExecutor pool = new HashExecutor(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            server = new TestServer(data, UnaryOperator.identity(), pool)
                    .userWithScheme("alice", "secret", "SHA256-CRYPT"); // a slow scheme: checked on the pool
            Thread holder = Thread.ofVirtual().start(() -> pool.run(() -> await(release)));
            awaitValue(pool::inFlight, 1);
            try (RawClient c = new RawClient(server.port())) {
                assertThat(c.cmd("USER alice")).startsWith("+OK");
                c.send("PASS secret\r\n");
                awaitValue(pool::inFlight, 2); // queued behind the holder
            } // the client hangs up while its check waits
            awaitValue(pool::inFlight, 1);
            assertThat(holder.isAlive()).as("taken back while the pool was still busy").isTrue();
            release.countDown();
            holder.join();
        } finally {
            release.countDown();
            pool.close();
        }
    }

    @Test
    void aClientThatWaitsForItsPasswordCheckOverTlsIsServedAsUsual() throws Exception {
        HashExecutor pool = new HashExecutor(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            server = new TestServer(data, UnaryOperator.identity(), pool)
                    .userWithScheme("alice", "secret", "SHA256-CRYPT"); // a slow scheme: checked on the pool
            Thread holder = Thread.ofVirtual().start(() -> pool.run(() -> await(release)));
            awaitValue(pool::inFlight, 1);
            try (RawClient c = new RawClient(TlsClient.trusting(data.resolve("tls/cert.pem"))
                    .getSocketFactory().createSocket("127.0.0.1", server.tlsPort()))) {
                assertThat(c.cmd("USER alice")).startsWith("+OK");
                c.send("PASS secret\r\n");
                awaitValue(pool::inFlight, 2);
                assertThat(c.silentFor(500)).as("the server polls the TLS connection meanwhile").isTrue();
                c.send("STAT\r\n"); // pipelined while the check waits: kept for after it
                release.countDown();
                holder.join();
                assertThat(c.line()).startsWith("+OK");
                assertThat(c.line()).isEqualTo("+OK 0 0");
                assertThat(c.cmd("QUIT")).startsWith("+OK");
            }
        } finally {
            release.countDown();
            pool.close();
        }
    }

    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static void awaitValue(IntSupplier value, int expected) throws InterruptedException {
        for (int i = 0; i < 1000 && value.getAsInt() != expected; i++) {
            Thread.sleep(10);
        }
        assertThat(value.getAsInt()).isEqualTo(expected);
    }
}
