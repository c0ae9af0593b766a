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
        assertThat(t.failed(A)).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.failed(A)).isEqualTo(Duration.ofSeconds(4));
        assertThat(t.failed(A)).isEqualTo(Duration.ofSeconds(8));
        assertThat(t.failed(A)).isEqualTo(Duration.ofSeconds(15));
        assertThat(t.failed(A)).isEqualTo(Duration.ofSeconds(15));
        assertThat(t.failed(B)).isEqualTo(Duration.ofSeconds(2)); // per address
        t.succeeded(A);
        assertThat(t.failed(A)).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.tracked()).isEqualTo(2);
    }

    @Test
    void connectionLimits() {
        ConnectionLimits l = new ConnectionLimits(3, 2, 1);
        assertThat(l.acquire(A)).isNull();
        assertThat(l.acquire(A)).isNull();
        assertThat(l.acquire(A)).isEqualTo(ConnectionLimits.Refusal.ADDRESS);
        assertThat(l.acquire(B)).isNull();
        assertThat(l.acquire(B)).isEqualTo(ConnectionLimits.Refusal.TOTAL);
        l.release(A);
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
