package dev.postoffice.server.limits;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * RFC 2449 LOGIN-DELAY: remembers each user's last successful login in this process and refuses one that
 * comes sooner than the configured delay.
 */
public final class LoginDelays {
    private final long delayNanos;
    private final ConcurrentHashMap<String, Long> lastLogin = new ConcurrentHashMap<>();

    public LoginDelays(Duration delay) {
        this.delayNanos = delay.toNanos();
    }

    public boolean enabled() {
        return delayNanos > 0;
    }

    /** Records a login now if the user's previous one is at least the delay ago; false if too soon. */
    public boolean tryLogin(String user) {
        if (delayNanos <= 0) {
            return true;
        }
        long now = System.nanoTime();
        boolean[] ok = {false};
        lastLogin.compute(user, (u, last) -> {
            if (last == null || now - last >= delayNanos) {
                ok[0] = true;
                return now;
            }
            return last;
        });
        return ok[0];
    }

    /** Drops entries older than the delay; called periodically. */
    public void expire() {
        long now = System.nanoTime();
        lastLogin.values().removeIf(t -> now - t >= delayNanos);
    }
}
