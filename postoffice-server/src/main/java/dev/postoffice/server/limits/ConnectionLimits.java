package dev.postoffice.server.limits;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts connections in total, per address, and sessions per user and address (Dovecot's
 * mail_max_userip_connections), refusing what would exceed the configured maxima. An address here is an
 * {@link AddressKey}: an IPv4 address or an IPv6 /64. A tenth of the total (at least one when the total is 2 or
 * more) is kept for logged-in sessions: connections not logged in yet may take only the rest.
 */
public final class ConnectionLimits {
    /** Why a connection or login was refused. */
    public enum Refusal { TOTAL, ADDRESS, USER }

    private volatile int maxTotal;
    private volatile int maxPerAddress;
    private volatile int maxPerUser;
    private volatile int maxUnauthenticated;
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicInteger unauthenticated = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> perUser = new ConcurrentHashMap<>();

    public ConnectionLimits(int maxTotal, int maxPerAddress, int maxPerUser) {
        resize(maxTotal, maxPerAddress, maxPerUser);
    }

    /**
     * New maxima (a configuration reload), for the next connections and logins; connections open now keep their
     * slots even when they are over the new bounds.
     */
    public void resize(int maxTotal, int maxPerAddress, int maxPerUser) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
        this.maxPerUser = maxPerUser;
        this.maxUnauthenticated = maxTotal < 2 ? maxTotal : maxTotal - Math.max(1, maxTotal / 10);
    }

    /** Takes a connection slot; returns null if taken, else why not. Every success needs {@link #release}. */
    public Refusal acquire(InetAddress address) {
        if (unauthenticated.incrementAndGet() > maxUnauthenticated) {
            unauthenticated.decrementAndGet();
            return Refusal.TOTAL;
        }
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            unauthenticated.decrementAndGet();
            return Refusal.TOTAL;
        }
        if (!increment(perAddress, AddressKey.of(address), maxPerAddress)) {
            total.decrementAndGet();
            unauthenticated.decrementAndGet();
            return Refusal.ADDRESS;
        }
        return null;
    }

    /**
     * Takes a slot over the total bound, for a connection that replaces one being closed to make room (the
     * oldest not logged in); the per-address bound still holds. Null if taken, else why not.
     */
    public Refusal acquireReplacing(InetAddress address) {
        if (!increment(perAddress, AddressKey.of(address), maxPerAddress)) {
            return Refusal.ADDRESS;
        }
        total.incrementAndGet();
        unauthenticated.incrementAndGet();
        return null;
    }

    /** A connection logged in: it no longer counts against the share of connections not logged in. */
    public void authenticated() {
        unauthenticated.decrementAndGet();
    }

    /** Gives a connection's slot back; {@code authenticated}: whether {@link #authenticated} was called for it. */
    public void release(InetAddress address, boolean authenticated) {
        decrement(perAddress, AddressKey.of(address));
        total.decrementAndGet();
        if (!authenticated) {
            unauthenticated.decrementAndGet();
        }
    }

    /** As {@link #release(InetAddress, boolean)} for a connection that never logged in. */
    public void release(InetAddress address) {
        release(address, false);
    }

    /** Takes a slot for a user at an address (while authenticating or logged in); false if over the limit. */
    public boolean acquireUser(String user, InetAddress address) {
        return increment(perUser, userKey(user, address), maxPerUser);
    }

    public void releaseUser(String user, InetAddress address) {
        decrement(perUser, userKey(user, address));
    }

    /** Connections open now. */
    public int total() {
        return total.get();
    }

    private static String userKey(String user, InetAddress address) {
        return user + '\0' + AddressKey.of(address);
    }

    private static <K> boolean increment(ConcurrentHashMap<K, AtomicInteger> map, K key, int max) {
        boolean[] ok = {false};
        map.compute(key, (k, v) -> {
            AtomicInteger n = v == null ? new AtomicInteger() : v;
            if (n.get() < max) {
                n.incrementAndGet();
                ok[0] = true;
            }
            return n.get() == 0 ? null : n;
        });
        return ok[0];
    }

    private static <K> void decrement(ConcurrentHashMap<K, AtomicInteger> map, K key) {
        map.computeIfPresent(key, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }
}
