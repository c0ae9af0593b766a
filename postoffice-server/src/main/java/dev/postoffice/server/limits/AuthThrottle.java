package dev.postoffice.server.limits;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The failed-authentication delay, as Dovecot does it: the first failure waits the base delay, each further one
 * doubles it up to a cap. Failures are counted per source ({@link AddressKey}: IPv4 address, IPv6 /64) and per user
 * name, and the delay follows the larger count, so a slow guess at one account from many addresses is throttled
 * too. A success clears only what that user failed from that source: other users' failures from the same address
 * stay counted. Records are forgotten after a quiet period of ten times the cap (at least a minute), and at most
 * {@value #MAX_USERS} user names are tracked, so memory stays bounded.
 */
public final class AuthThrottle {
    static final int MAX_USERS = 100_000;

    private record Failures(int count, long lastNanos) {
        Failures plus(int n, long now) {
            return new Failures(Math.max(0, Math.min(count + n, 30)), now);
        }
    }

    private volatile long baseNanos;
    private volatile long maxNanos;
    private volatile long forgetNanos;
    private final ConcurrentHashMap<String, Failures> bySource = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Failures> byUser = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Failures> bySourceAndUser = new ConcurrentHashMap<>();

    public AuthThrottle(Duration base, Duration max) {
        delays(base, max);
    }

    /** New delays (a configuration reload) for the next failures; the failures on record are kept. */
    public void delays(Duration base, Duration max) {
        this.baseNanos = base.toNanos();
        this.maxNanos = Math.max(base.toNanos(), max.toNanos());
        this.forgetNanos = Math.max(this.maxNanos * 10, Duration.ofMinutes(1).toNanos());
    }

    /** Records a failure from the address for a user name ("-" if none) and returns how long to wait. */
    public Duration failed(InetAddress address, String user) {
        long now = System.nanoTime();
        String source = AddressKey.of(address);
        int count = bump(bySource, source, now);
        if (user != null && byUser.size() < MAX_USERS) {
            count = Math.max(count, bump(byUser, user, now));
            bump(bySourceAndUser, source + '\0' + user, now);
        }
        return delay(count);
    }

    /**
     * The delay a failure from this address would cost now, or zero when it has none on record: applied before the
     * expensive check of an address that is already failing, so that it cannot keep the hashing pool busy.
     */
    public Duration pending(InetAddress address) {
        Failures f = bySource.get(AddressKey.of(address));
        return f == null || f.count == 0 || System.nanoTime() - f.lastNanos > forgetNanos ? Duration.ZERO
                : delay(f.count);
    }

    /** A success of a user from the address clears the failures that user had from there, nothing else. */
    public void succeeded(InetAddress address, String user) {
        String source = AddressKey.of(address);
        Failures mine = bySourceAndUser.remove(source + '\0' + user);
        if (mine == null) {
            return;
        }
        long now = System.nanoTime();
        bySource.computeIfPresent(source, (k, f) -> f.count <= mine.count ? null : f.plus(-mine.count, f.lastNanos));
        byUser.computeIfPresent(user, (k, f) -> f.count <= mine.count ? null : f.plus(-mine.count, now));
    }

    /** Drops records older than the quiet period; called periodically. */
    public void expire() {
        long now = System.nanoTime();
        for (Map<String, Failures> m : java.util.List.of(bySource, byUser, bySourceAndUser)) {
            m.values().removeIf(f -> now - f.lastNanos > forgetNanos);
        }
    }

    private int bump(ConcurrentHashMap<String, Failures> map, String key, long now) {
        return map.compute(key, (k, old) -> old == null || now - old.lastNanos > forgetNanos ? new Failures(1, now)
                : old.plus(1, now)).count;
    }

    private Duration delay(int count) {
        long delay = baseNanos;
        for (int i = 1; i < count && delay < maxNanos; i++) {
            delay *= 2;
        }
        return Duration.ofNanos(Math.min(delay, maxNanos));
    }

    int tracked() {
        return bySource.size();
    }
}
