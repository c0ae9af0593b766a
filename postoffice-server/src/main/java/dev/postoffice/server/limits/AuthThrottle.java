package dev.postoffice.server.limits;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The failed-authentication delay per source address, as Dovecot does it: the first failure waits the
 * base delay, each further one doubles it up to a cap. An address's record is forgotten after a success
 * from it or after a quiet period of ten times the cap, so memory stays bounded by active attackers.
 */
public final class AuthThrottle {
    private record Failures(int count, long lastNanos) {}

    private final long baseNanos;
    private final long maxNanos;
    private final long forgetNanos;
    private final ConcurrentHashMap<InetAddress, Failures> failures = new ConcurrentHashMap<>();

    public AuthThrottle(Duration base, Duration max) {
        this.baseNanos = base.toNanos();
        this.maxNanos = Math.max(base.toNanos(), max.toNanos());
        this.forgetNanos = Math.max(this.maxNanos * 10, Duration.ofMinutes(1).toNanos());
    }

    /** Records a failure and returns how long to wait before answering it. */
    public Duration failed(InetAddress address) {
        long now = System.nanoTime();
        Failures f = failures.compute(address, (a, old) ->
                old == null || now - old.lastNanos > forgetNanos ? new Failures(1, now)
                        : new Failures(Math.min(old.count + 1, 30), now));
        long delay = baseNanos;
        for (int i = 1; i < f.count && delay < maxNanos; i++) {
            delay *= 2;
        }
        return Duration.ofNanos(Math.min(delay, maxNanos));
    }

    /** A success from the address clears its record. */
    public void succeeded(InetAddress address) {
        failures.remove(address);
    }

    /** Drops records older than the quiet period; called periodically. */
    public void expire() {
        long now = System.nanoTime();
        failures.values().removeIf(f -> now - f.lastNanos > forgetNanos);
    }

    int tracked() {
        return failures.size();
    }
}
