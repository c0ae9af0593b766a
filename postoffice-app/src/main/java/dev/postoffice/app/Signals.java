package dev.postoffice.app;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT handled as a request to stop, so that shutdown is graceful and the process exits
 * with status 0 (a JVM shutdown hook alone would exit with 143 or 130).
 */
final class Signals {
    private Signals() {}

    /**
     * SIGHUP: {@code action} runs (a configuration reload) and the process goes on. False when SIGHUP cannot reach
     * it: the platform has none, or the process was started with SIGHUP ignored (nohup), which the JVM keeps.
     */
    static boolean onHangup(Runnable action) {
        try {
            return Signal.handle(new Signal("HUP"), s -> action.run()) != SignalHandler.SIG_IGN;
        } catch (IllegalArgumentException e) {
            return false; // no SIGHUP on this platform: reload through the admin endpoint only
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
