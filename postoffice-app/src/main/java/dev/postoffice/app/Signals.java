package dev.postoffice.app;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT handled as a request to stop, so that shutdown is graceful and the process exits
 * with status 0 (a JVM shutdown hook alone would exit with 143 or 130).
 */
final class Signals {
    private Signals() {}

    /** SIGHUP: {@code action} runs (a configuration reload) and the process goes on. */
    static void onHangup(Runnable action) {
        try {
            Signal.handle(new Signal("HUP"), s -> action.run());
        } catch (IllegalArgumentException e) {
            // no SIGHUP on this platform: reload through the admin endpoint only
        }
    }

    static void onTermination(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), s -> action.run());
            } catch (IllegalArgumentException e) {
                // the signal does not exist on this platform; the default handling stays
            }
        }
    }
}
