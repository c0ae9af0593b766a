package dev.postoffice.server.tls;

import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TLS handshake's deadline: closes the connection when it passes first, or is met (or cancelled) first. The
 * socket timeout alone bounds each read, so a client sending one byte just before every timeout could stretch a
 * handshake forever.
 */
final class HandshakeDeadline {
    private final AtomicInteger state = new AtomicInteger();
    private static final int RUNNING = 0;
    private static final int MET = 1;
    private static final int EXPIRED = 2;
    private final ScheduledFuture<?> task;

    HandshakeDeadline(ScheduledExecutorService scheduler, Socket plain, long millis) {
        task = scheduler.schedule(() -> {
            if (state.compareAndSet(RUNNING, EXPIRED)) {
                TlsManager.closeQuietly(plain);
            }
        }, millis, TimeUnit.MILLISECONDS);
    }

    /** The handshake completed: fails if the deadline passed first (the socket is closed by then). */
    void met() throws SocketTimeoutException {
        if (!state.compareAndSet(RUNNING, MET)) {
            throw new SocketTimeoutException("TLS handshake deadline passed");
        }
    }

    boolean expired() {
        return state.get() == EXPIRED;
    }

    void cancel() {
        state.compareAndSet(RUNNING, MET);
        task.cancel(false);
    }

    /** A scheduler for a TLS manager used without the server's (tests, tools): one daemon thread. */
    static ScheduledExecutorService ownScheduler() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "postoffice-tls-deadlines");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true); // a handshake that completes leaves nothing behind
        return s;
    }
}
