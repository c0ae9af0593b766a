package dev.postoffice.storage.pg;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The node-wide budget of octets that sessions may hold as bodies read ahead of their RETR (docs/postgresql.md,
 * "Read-ahead"): a session reserves before it reads ahead and gives back what it sent or dropped, so however many
 * sessions sit idle, read-ahead never holds more than this budget. Thread-safe.
 */
final class ReadAhead {
    /** The default budget: 64 MiB per node. */
    static final long DEFAULT_BUDGET = 64L << 20;
    /** At most this much held by one session: 1 MiB, what one query of a large RETR holds too. */
    static final int PER_SESSION = PgBody.CHUNKS_PER_QUERY * PgDelivery.CHUNK;
    /** At most this many messages read in one query. */
    static final int MAX_MESSAGES = 128;

    private final AtomicLong free;

    ReadAhead(long budget) {
        free = new AtomicLong(budget);
    }

    /** Takes {@code octets} from the budget if it has them. */
    boolean reserve(long octets) {
        for (long f = free.get(); f >= octets; f = free.get()) {
            if (free.compareAndSet(f, f - octets)) {
                return true;
            }
        }
        return false;
    }

    void release(long octets) {
        if (octets > 0) {
            free.addAndGet(octets);
        }
    }

    /** What is left of the budget (tests). */
    long available() {
        return free.get();
    }
}
