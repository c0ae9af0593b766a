package dev.postoffice.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitsTest {
    static final InetAddress A = address("192.0.2.1");
    static final InetAddress B = address("192.0.2.2");

    @Test
    void failedAuthDelayDoublesPerAddressUpToTheCapAndSuccessResetsIt() {
        AuthThrottle t = new AuthThrottle(Duration.ofSeconds(2), Duration.ofSeconds(15));
        assertThat(t.failed(A, "alice")).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.failed(A, "alice")).isEqualTo(Duration.ofSeconds(4));
        assertThat(t.failed(A, "alice")).isEqualTo(Duration.ofSeconds(8));
        assertThat(t.failed(A, "alice")).isEqualTo(Duration.ofSeconds(15));
        assertThat(t.failed(A, "alice")).isEqualTo(Duration.ofSeconds(15));
        assertThat(t.failed(B, "bob")).isEqualTo(Duration.ofSeconds(2)); // per address
        t.succeeded(A, "alice");
        assertThat(t.failed(A, "alice")).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.tracked()).isEqualTo(2);
    }

    @Test
    void aShareOfTheConnectionsIsKeptForLoggedInSessions() {
        ConnectionLimits l = new ConnectionLimits(20, 100, 10);
        for (int i = 0; i < 18; i++) {
            assertThat(l.acquire(A)).isNull();
        }
        assertThat(l.acquire(B)).as("two of twenty are kept for logged-in sessions")
                .isEqualTo(ConnectionLimits.Refusal.TOTAL);
        l.authenticated(); // one of them logs in
        assertThat(l.acquire(B)).isNull();
        assertThat(l.acquireReplacing(B)).as("in place of one being closed").isNull();
        assertThat(l.total()).isEqualTo(20);
        assertThat(l.acquire(B)).isEqualTo(ConnectionLimits.Refusal.TOTAL);
    }

    @Test
    void aBurstOfRefusalsIsLoggedOncePerInterval() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(RefusalLog.class);
        var appender = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        appender.start();
        logger.addAppender(appender);
        try {
            RefusalLog log = new RefusalLog(Duration.ofHours(1));
            for (int i = 0; i < 1000; i++) {
                log.refused("192.0.2." + (i % 250), "too many connections");
            }
            log.flush();
            log.flush();
            assertThat(appender.list).map(e -> e.getFormattedMessage()).containsExactly(
                    "connection refused: ip=192.0.2.0 reason=too many connections",
                    "connections refused: 999 more since the last such line");
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void aSuccessForOneUserKeepsTheAddresssFailuresForOthers() {
        AuthThrottle t = new AuthThrottle(Duration.ofSeconds(1), Duration.ofSeconds(60));
        t.failed(A, "root");
        t.failed(A, "root");
        t.failed(A, "admin");
        t.succeeded(A, "mallory"); // the attacker's own account
        assertThat(t.pending(A)).isEqualTo(Duration.ofSeconds(4));
        assertThat(t.failed(A, "root")).isEqualTo(Duration.ofSeconds(8));
        t.succeeded(A, "root"); // the failures for root from A are forgiven, admin's one stays
        assertThat(t.pending(A)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void failuresAreCountedPerUserAcrossAddresses() {
        AuthThrottle t = new AuthThrottle(Duration.ofSeconds(1), Duration.ofSeconds(60));
        for (int i = 1; i <= 4; i++) {
            t.failed(address("198.51.100." + i), "alice");
        }
        assertThat(t.failed(address("198.51.100.9"), "alice")).isEqualTo(Duration.ofSeconds(16));
        assertThat(t.failed(address("198.51.100.9"), "bob")).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.pending(address("198.51.100.10"))).isZero();
    }

    @Test
    void ipv6IsCountedPerSlash64AndIpv4PerAddress() {
        AuthThrottle t = new AuthThrottle(Duration.ofSeconds(1), Duration.ofSeconds(60));
        t.failed(address("2001:db8:1:2::1"), null);
        assertThat(t.failed(address("2001:db8:1:2:ffff::7"), null)).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.failed(address("2001:db8:1:3::1"), null)).isEqualTo(Duration.ofSeconds(1));
        assertThat(AddressKey.of(address("2001:db8:1:2::1"))).isEqualTo("2001:db8:1:2::/64");
        assertThat(AddressKey.of(address("192.0.2.1"))).isNotEqualTo(AddressKey.of(address("192.0.2.2")));

        ConnectionLimits l = new ConnectionLimits(100, 2, 1);
        assertThat(l.acquire(address("2001:db8::1"))).isNull();
        assertThat(l.acquire(address("2001:db8::2"))).isNull();
        assertThat(l.acquire(address("2001:db8::3"))).isEqualTo(ConnectionLimits.Refusal.ADDRESS);
        assertThat(l.acquire(address("2001:db8:0:1::3"))).isNull();
        assertThat(l.acquireUser("alice", address("2001:db8::1"))).isTrue();
        assertThat(l.acquireUser("alice", address("2001:db8::9"))).isFalse();
    }

    @Test
    void connectionLimits() {
        ConnectionLimits l = new ConnectionLimits(3, 2, 1);
        assertThat(l.acquire(A)).isNull();
        l.authenticated();
        assertThat(l.acquire(A)).isNull();
        l.authenticated();
        assertThat(l.acquire(A)).isEqualTo(ConnectionLimits.Refusal.ADDRESS);
        assertThat(l.acquire(B)).isNull();
        assertThat(l.acquire(B)).isEqualTo(ConnectionLimits.Refusal.TOTAL);
        l.release(A, true);
        assertThat(l.acquire(B)).isNull();
        assertThat(l.total()).isEqualTo(3);
        assertThat(l.acquireUser("alice", A)).isTrue();
        assertThat(l.acquireUser("alice", A)).isFalse();
        assertThat(l.acquireUser("alice", B)).isTrue();
        l.releaseUser("alice", A);
        assertThat(l.acquireUser("alice", A)).isTrue();
    }

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
