package dev.postoffice.auth;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The bounded pool that password hashing runs on: a fixed number of daemon platform threads named
 * {@code postoffice-hash-N}, and an unbounded FIFO queue. Its size bounds how many hashes run at once (one
 * ARGON2ID check holds 64 MiB and a core for a quarter of a second), so a burst of logins queues instead of
 * exhausting memory. The server runs one virtual thread per connection, and a hash computed on it would occupy one
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
        if (threads < 1) {
            throw new IllegalArgumentException("A hashing pool needs at least one thread: " + threads);
        }
        this.size = threads;
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

    /**
     * Runs {@code work} on the pool and waits for its result. An interrupt does not stop the wait (the work is not
     * abandoned halfway); the interrupt status is set again before returning. What the work throws is rethrown as
     * it is.
     *
     * @throws java.util.concurrent.RejectedExecutionException after {@link #close}
     */
    public <T> T run(Supplier<T> work) {
        Callable<T> task = work::get;
        Future<T> future = executor.submit(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
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
