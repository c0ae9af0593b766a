package dev.postoffice.auth;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The bounded pool that password hashing runs on: a fixed number of daemon platform threads named
 * {@code postoffice-hash-N}, and a bounded FIFO queue. Its size bounds how many hashes run at once (one
 * ARGON2ID check holds 64 MiB and a core for a quarter of a second; {@link Argon2Memory} also keeps the ARGON2
 * checks within the heap), so a burst of logins queues instead of exhausting memory.
 *
 * <p>Bounds: the queue holds at most {@link #maxQueued()} hashes, and no more than would take {@link #maxWait()}
 * to work off at the mean cost of the recent hashes: a burst of a thousand cheap checks ({PLAIN}, a cached
 * login's) is taken whole, a burst of ARGON2 checks is cut where its clients would otherwise wait for long.
 * Fairness: a session binds its client's address to its thread ({@link #bindClient}); once the queue is more
 * than half full by either bound, an address that already has {@link #perClientShare()} hashes queued or running
 * gets no more. Over a bound or a share, {@link #run} throws {@link Refused} at once (the server answers
 * {@code -ERR [SYS/TEMP]}). Work whose client is gone by the time a thread takes it up is dropped unrun, and a caller
 * whose client hangs up while its work is still queued takes the work back out and gets {@link Refused}. The server runs one virtual thread per connection, and a hash computed on it would occupy one
 * of the few carrier threads, so that cheap commands of other sessions would wait behind it; the caller instead
 * waits for the result here, without holding its carrier.
 *
 * <p>Made once by the application and passed to whatever hashes; {@link #close} stops its threads.
 */
public final class HashExecutor implements AutoCloseable {
    /** Prefix of the names of the pool's threads, which are numbered from 0. */
    public static final String THREAD_PREFIX = "postoffice-hash-";

    private final int size;
    private final ExecutorService executor;
    private final int perClient;
    private final int maxQueued;
    private final long maxWaitNanos;
    /** Mean nanoseconds one hash took, recent ones weighted most (an exponential moving average, 1/8 per hash). */
    private final AtomicLong meanCost = new AtomicLong();
    private final AtomicInteger queued = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> byClient = new ConcurrentHashMap<>();

    /** How often a caller waiting for queued work asks whether its client has hung up. */
    private static final long PROBE_MILLIS = 50;

    /**
     * The client a session's thread works for: its address key, whether it has gone (asked from any thread), and
     * whether it has hung up (asked only on the bound thread, which may read its connection to find out).
     */
    private record Client(String key, BooleanSupplier gone, BooleanSupplier hungUp) {}

    private static final ThreadLocal<Client> CLIENT = new ThreadLocal<>();

    /** Hashing refused: the queue or the client's share of it is full, or the client has gone. */
    public static final class Refused extends RejectedExecutionException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * Ties the hashing the calling thread asks for to a client: {@code key} (e.g. its address or network) is what
     * the fair share is counted by, and {@code gone} tells whether the client's connection has ended, so that its
     * queued work is dropped. For the thread's lifetime, or until {@link #unbindClient}.
     */
    public static void bindClient(String key, BooleanSupplier gone) {
        bindClient(key, gone, () -> false);
    }

    /**
     * As {@link #bindClient(String, BooleanSupplier)}, and {@code hungUp} tells whether the client has closed its
     * connection: it is asked every {@value #PROBE_MILLIS} ms on the bound thread only, while that thread waits for
     * its work, so it may read the connection (without waiting) to find out. Queued work of a client that hung up
     * is taken back out of the queue unrun.
     */
    public static void bindClient(String key, BooleanSupplier gone, BooleanSupplier hungUp) {
        CLIENT.set(new Client(Objects.requireNonNull(key, "key"), Objects.requireNonNull(gone, "gone"),
                Objects.requireNonNull(hungUp, "hungUp")));
    }

    /** Undoes {@link #bindClient} for the calling thread. */
    public static void unbindClient() {
        CLIENT.remove();
    }

    /** A pool of {@link #defaultSize()} threads. */
    public HashExecutor() {
        this(defaultSize());
    }

    /**
     * A pool of {@code threads} threads, started as work arrives.
     *
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public HashExecutor(int threads) {
        this(threads, threads * 1024, DEFAULT_MAX_WAIT);
    }

    /** How long the queue's backlog may take to work off, at the recent mean cost per hash, by default. */
    public static final java.time.Duration DEFAULT_MAX_WAIT = java.time.Duration.ofSeconds(5);

    /** A pool of {@code threads} threads whose queue holds at most {@code maxQueued} hashes (tests: a small one). */
    HashExecutor(int threads, int maxQueued) {
        this(threads, maxQueued, DEFAULT_MAX_WAIT);
    }

    /**
     * A pool of {@code threads} threads whose queue holds at most {@code maxQueued} hashes, and no more than the
     * pool works off in {@code maxWait} at the recent mean cost per hash.
     */
    HashExecutor(int threads, int maxQueued, java.time.Duration maxWait) {
        if (threads < 1) {
            throw new IllegalArgumentException("A hashing pool needs at least one thread: " + threads);
        }
        this.size = threads;
        this.perClient = Math.max(2, threads);
        this.maxQueued = maxQueued;
        this.maxWaitNanos = maxWait.toNanos();
        this.executor = Executors.newFixedThreadPool(threads,
                Thread.ofPlatform().name(THREAD_PREFIX, 0).daemon(true).factory());
    }

    /** As many threads as the machine has processors, and at least 2. */
    public static int defaultSize() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    /** How many hashes run at once at most. */
    public int size() {
        return size;
    }

    /** How many hashes one client key may have queued or running at once. */
    public int perClientShare() {
        return perClient;
    }

    /** How many hashes of the client key are queued or running now. */
    int inFlight(String key) {
        AtomicInteger n = byClient.get(key);
        return n == null ? 0 : n.get();
    }

    /** How many hashes are queued or running now. */
    public int inFlight() {
        return queued.get();
    }

    /** How many hashes may be queued or running at once in all. */
    public int maxQueued() {
        return maxQueued;
    }

    /** How long the backlog may take to work off at the recent mean cost per hash. */
    public java.time.Duration maxWait() {
        return java.time.Duration.ofNanos(maxWaitNanos);
    }

    /** How long {@code inFlight} hashes take to work off at the recent mean cost, in nanoseconds. */
    private long backlogNanos(int inFlight) {
        return (long) inFlight * meanCost.get() / size;
    }

    /**
     * Runs {@code work} on the pool and waits for its result. An interrupt does not stop the wait (the work is not
     * abandoned halfway); the interrupt status is set again before returning. What the work throws is rethrown as
     * it is.
     *
     * @throws Refused over the queue's bound or the bound client's share, or when the client has gone
     * @throws java.util.concurrent.RejectedExecutionException after {@link #close}
     */
    public <T> T run(Supplier<T> work) {
        Client client = CLIENT.get();
        int depth = queued.incrementAndGet();
        if (depth > maxQueued || backlogNanos(depth) > maxWaitNanos) {
            queued.decrementAndGet();
            throw new Refused("the hashing queue is full");
        }
        // The share applies under contention only: a burst from one address (a NAT, webmail, a proxy without the
        // PROXY protocol) into an idle pool waits its turn, but cannot hold more than its share of a busy one.
        boolean contended = depth > maxQueued / 2 || backlogNanos(depth) > maxWaitNanos / 2;
        if (client != null && !take(client.key, contended)) {
            queued.decrementAndGet();
            throw new Refused("this address has its share of the hashing queue");
        }
        try {
            return await(executor.submit(() -> {
                if (client != null && client.gone.getAsBoolean()) {
                    throw new Refused("the client has gone");
                }
                long start = System.nanoTime();
                try {
                    return work.get();
                } finally {
                    long took = System.nanoTime() - start;
                    meanCost.getAndUpdate(m -> m == 0 ? took : m + (took - m) / 8);
                }
            }), client);
        } finally {
            if (client != null) {
                byClient.computeIfPresent(client.key, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
            }
            queued.decrementAndGet();
        }
    }

    private boolean take(String key, boolean contended) {
        boolean[] ok = {false};
        byClient.compute(key, (k, n) -> {
            AtomicInteger count = n == null ? new AtomicInteger() : n;
            if (!contended || count.get() < perClient) {
                count.incrementAndGet();
                ok[0] = true;
            }
            return count.get() == 0 ? null : count;
        });
        return ok[0];
    }

    private static <T> T await(Future<T> future, Client client) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return client == null ? future.get() : future.get(PROBE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // Still queued or running: a client that hung up takes queued work back (running work finishes).
                    if ((client.gone.getAsBoolean() || client.hungUp.getAsBoolean()) && future.cancel(false)) {
                        throw new Refused("the client has gone");
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause); // unreachable: a Supplier throws nothing checked
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Lets queued and running work finish, then ends the threads; later {@link #run} calls are refused. */
    @Override
    public void close() {
        executor.shutdown();
    }
}
