package dev.postoffice.server.limits;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs refused connections without flooding the log: the first refusal of an interval is logged at once, the
 * rest of a burst only as a count, once per interval (at the next refusal after it, or at {@link #flush}).
 */
public final class RefusalLog {
    private static final Logger log = LoggerFactory.getLogger(RefusalLog.class);

    private final long intervalNanos;
    private final AtomicLong suppressed = new AtomicLong();
    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);

    public RefusalLog(java.time.Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /** A connection from {@code address} was refused for {@code reason}. */
    public void refused(String address, String reason) {
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (now - last >= intervalNanos && lastLogged.compareAndSet(last, now)) {
            long more = suppressed.getAndSet(0);
            log.warn("connection refused: ip={} reason={}{}", address, reason,
                    more > 0 ? " (and " + more + " more refused since the last such line)" : "");
        } else {
            suppressed.incrementAndGet();
        }
    }

    /** Logs the count of refusals not logged yet, if any; run once per interval. */
    public void flush() {
        long more = suppressed.getAndSet(0);
        if (more > 0) {
            lastLogged.set(System.nanoTime());
            log.warn("connections refused: {} more since the last such line", more);
        }
    }
}
