package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every scenario against the ceiling responder over loopback: small, bounded runs without errors. */
class LoadRunnerTest {
    private static final int MESSAGES = 6;
    private static CeilingServer server;
    private static CeilingServer.Maildrop maildrop;

    @BeforeAll
    static void start() throws Exception {
        maildrop = CeilingServer.synthetic(MESSAGES, 3_000);
        server = CeilingServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of(), maildrop);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static List<UsersFile.Credentials> users(int n) {
        List<UsersFile.Credentials> users = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            users.add(new UsersFile.Credentials("u" + i, "pass word " + i));
        }
        return users;
    }

    /** Ends after {@code sessions} sessions; the duration is only an upper bound. */
    private static LoadRunner.Config config(Scenario scenario, int concurrency, long sessions, Duration duration,
            double interval) {
        return new LoadRunner.Config(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), scenario,
                concurrency, duration, Duration.ZERO, 10_000, 30_000, interval, 8, sessions, 1, null);
    }

    private static long totalSize() {
        long total = 0;
        for (CeilingServer.Message m : maildrop.messages()) {
            total += m.size();
        }
        return total;
    }

    @Test
    void loginSessionsCompleteWithoutErrors() throws Exception {
        LoadRunner.Result r = new LoadRunner(config(Scenario.LOGIN, 4, 40, Duration.ofMinutes(2), 1)).run(users(10));
        assertThat(r.errors().values()).allMatch(n -> n == 0);
        assertThat(r.totals().sessions()).isEqualTo(40);
        assertThat(r.totals().commands()).isEqualTo(40 * 4); // USER, PASS, STAT, QUIT
        assertThat(r.latency().get(Op.LOGIN_TO_STAT).count()).isEqualTo(40);
        assertThat(r.latency().get(Op.PASS).count()).isEqualTo(40);
        assertThat(r.hold()).isNull();
    }

    @Test
    void downloadRetrievesEveryMessageByteExactly() throws Exception {
        LoadRunner.Result r = new LoadRunner(config(Scenario.DOWNLOAD, 3, 9, Duration.ofMinutes(2), 1)).run(users(5));
        assertThat(r.errors().values()).allMatch(n -> n == 0);
        assertThat(r.totals().sessions()).isEqualTo(9);
        assertThat(r.totals().messages()).isEqualTo(9 * MESSAGES);
        assertThat(r.totals().messageOctets()).isEqualTo(9 * totalSize());
        assertThat(r.totals().bytesIn()).isGreaterThan(9 * totalSize());
        assertThat(r.latency().get(Op.RETR).count()).isEqualTo(9 * MESSAGES);
    }

    @Test
    void mixedSessionsCompleteWithoutErrors() throws Exception {
        LoadRunner.Result r = new LoadRunner(config(Scenario.MIXED, 4, 60, Duration.ofMinutes(2), 1)).run(users(8));
        assertThat(r.errors().values()).allMatch(n -> n == 0);
        assertThat(r.totals().sessions()).isEqualTo(60);
        assertThat(r.latency().get(Op.UIDL).count()).isPositive();
    }

    @Test
    void idleSessionsAllStayUp() throws Exception {
        LoadRunner.Result r = new LoadRunner(config(Scenario.IDLE, 30, 0, Duration.ofMillis(600), 0.2)).run(users(30));
        assertThat(r.errors().values()).allMatch(n -> n == 0);
        assertThat(r.hold().target()).isEqualTo(30);
        assertThat(r.hold().established()).isEqualTo(30);
        assertThat(r.hold().upAtEnd()).isEqualTo(30);
        assertThat(r.hold().failed()).isZero();
        assertThat(r.rampLatency().get(Op.LOGIN_TO_STAT).count()).isEqualTo(30);
    }

    @Test
    void statSessionsAllStayUp() throws Exception {
        LoadRunner.Result r = new LoadRunner(config(Scenario.STAT, 10, 0, Duration.ofMillis(500), 0.1)).run(users(10));
        assertThat(r.errors().values()).allMatch(n -> n == 0);
        assertThat(r.hold().upAtEnd()).isEqualTo(10);
    }

    @Test
    void aServerThatIsNotThereCountsRefusedConnections() throws Exception {
        InetSocketAddress nowhere;
        try (var ss = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nowhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort());
        }
        LoadRunner.Config c = new LoadRunner.Config(nowhere, Scenario.LOGIN, 2, Duration.ofMinutes(1), Duration.ZERO,
                1_000, 1_000, 1, 1, 6, 1, null);
        LoadRunner.Result r = new LoadRunner(c).run(users(2));
        assertThat(r.totals().sessions()).isZero();
        assertThat(r.errors().get(ErrorKind.CONNECT_REFUSED)).isEqualTo(6);
    }
}
