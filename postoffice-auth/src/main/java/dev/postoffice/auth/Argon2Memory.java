package dev.postoffice.auth;

import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the memory of concurrent Argon2 checks within the heap, whatever the core count: each check holds its
 * memory cost ({@code m=}, 64 MiB for the default ARGON2ID) for its whole run, so the checks running at once may
 * together hold at most half of {@link Runtime#maxMemory()}. A check takes its cost in MiB from a semaphore of that
 * budget before it allocates, and waits while other checks hold it; a hash whose own cost exceeds the whole budget
 * cannot be checked at all in this heap and fails (with a warning naming the cost).
 */
final class Argon2Memory {
    private static final Logger log = LoggerFactory.getLogger(Argon2Memory.class);
    private static final long MIB = 1024 * 1024;

    /** The process's budget: half the maximum heap. */
    static final Argon2Memory HEAP = new Argon2Memory(Runtime.getRuntime().maxMemory() / 2);

    private final int budgetMib;
    private final Semaphore permits;

    Argon2Memory(long budgetBytes) {
        this.budgetMib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, budgetBytes / MIB));
        this.permits = new Semaphore(budgetMib, true);
    }

    /** How many checks of {@code memoryKib} may run at once. */
    int concurrentChecks(long memoryKib) {
        return (int) (budgetMib / mib(memoryKib));
    }

    /** The budget in MiB still free now. */
    int freeMib() {
        return permits.availablePermits();
    }

    /** Runs a check that allocates {@code memoryKib}, within the budget; false if it can never fit. */
    boolean within(long memoryKib, java.util.function.BooleanSupplier check) {
        long need = mib(memoryKib);
        if (need > budgetMib) {
            log.warn("an Argon2 hash needs {} MiB, more than the {} MiB this heap allows for hashing; raise -Xmx",
                    need, budgetMib);
            return false;
        }
        permits.acquireUninterruptibly((int) need);
        try {
            return check.getAsBoolean();
        } finally {
            permits.release((int) need);
        }
    }

    private static long mib(long kib) {
        return Math.max(1, (kib + 1023) / 1024);
    }
}
