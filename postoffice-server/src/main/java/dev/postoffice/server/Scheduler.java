package dev.postoffice.server;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The process's one scheduler for periodic and deadline work: the session watchdog (idle and write timeouts), the
 * failure throttle's expiry, TLS handshake deadlines and the Maildir lock refresh. Every task is short; a
 * cancelled deadline is removed at once, so finished handshakes leave nothing behind.
 */
public final class Scheduler {
    private Scheduler() {}

    /** A new scheduler with one daemon thread; its owner shuts it down. */
    public static ScheduledExecutorService create() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "postoffice-scheduler");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        return s;
    }
}
