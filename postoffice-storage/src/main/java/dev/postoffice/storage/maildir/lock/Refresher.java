package dev.postoffice.storage.maildir.lock;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a store's refreshing of its locks and templates every {@link #EVERY}, from the first lock until
 * {@link #stop()}, on the scheduler it was given or, without one, on a single-thread scheduler of its own
 * (made at the first lock, a daemon, shut down by {@link #stop()}).
 */
final class Refresher {
    /** How often the mtime of every lock held by a store is refreshed. */
    static final Duration EVERY = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(Refresher.class);

    /** The scheduler given, or null for one of its own. */
    private final ScheduledExecutorService shared;
    private final Runnable task;
    private ScheduledExecutorService own;
    private volatile ScheduledFuture<?> scheduled;
    private boolean stopped;

    Refresher(ScheduledExecutorService shared, Runnable task) {
        this.shared = shared;
        this.task = task;
    }

    /** Starts refreshing, unless it runs already or was stopped. */
    void start() {
        if (scheduled != null) {
            return;
        }
        synchronized (this) {
            if (scheduled != null || stopped) {
                return;
            }
            ScheduledExecutorService s = shared;
            if (s == null) {
                // A virtual thread: a store that is never closed (a test, a one-shot command) leaves no
                // platform thread behind.
                s = own = Executors.newSingleThreadScheduledExecutor(
                        Thread.ofVirtual().name("postoffice-lock-refresh").factory());
            }
            long period = EVERY.toMillis();
            try {
                scheduled = s.scheduleWithFixedDelay(this::run, period, period, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                log.warn("cannot schedule the refreshing of POP3 lock files: {}", e.toString()); // next lock retries
            }
        }
    }

    private void run() {
        try {
            task.run();
        } catch (RuntimeException e) {
            log.warn("refreshing the lock files failed: {}", e.toString()); // keep the schedule
        }
    }

    /** Stops refreshing for good; shuts down its own scheduler, leaves a given one running. */
    synchronized void stop() {
        stopped = true;
        ScheduledFuture<?> s = scheduled;
        if (s != null) {
            s.cancel(false);
        }
        if (own != null) {
            own.shutdownNow();
        }
    }
}
