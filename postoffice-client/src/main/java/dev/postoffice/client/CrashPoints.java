package dev.postoffice.client;

import java.io.IOException;

/**
 * A test hook for the crash matrix: when the environment variable {@code POSTOFFICE_FETCH_HALT} is
 * {@code STEP} or {@code STEP:N}, the process kills itself with SIGKILL the (N-th, default first) time it reaches
 * that step, exactly as an operator's {@code kill -9} or the OOM killer would. Unset, it costs one comparison.
 * Steps: {@code retr} (half a message written), {@code committed} (a message complete, handed to the target),
 * {@code file-written} (Maildir: fsynced in tmp/, not renamed), {@code delivered} (Maildir: renamed, directory
 * not yet fsynced, not in the journal), {@code journal} (journal fsynced, no DELE sent), {@code dele} (some
 * DELEs sent), {@code quit} (before QUIT).
 */
final class CrashPoints {
    private static final String SPEC = System.getenv("POSTOFFICE_FETCH_HALT");
    private static final String STEP;
    private static final int NTH;
    private static int seen;

    static {
        if (SPEC == null || SPEC.isEmpty()) {
            STEP = null;
            NTH = 0;
        } else {
            int colon = SPEC.indexOf(':');
            STEP = colon < 0 ? SPEC : SPEC.substring(0, colon);
            NTH = colon < 0 ? 1 : Integer.parseInt(SPEC.substring(colon + 1));
        }
    }

    private CrashPoints() {}

    /** Whether a halt at {@code step} is asked for (so the caller may add a probe only then). */
    static boolean armed(String step) {
        return step.equals(STEP);
    }

    static void reach(String step) {
        if (STEP == null || !STEP.equals(step)) {
            return;
        }
        synchronized (CrashPoints.class) {
            if (++seen != NTH) {
                return;
            }
            System.err.println("postoffice: POSTOFFICE_FETCH_HALT: killing myself at " + step);
            System.err.flush();
            try {
                new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                Thread.sleep(10_000);
            } catch (IOException | InterruptedException e) {
                // fall through to halt
            }
            Runtime.getRuntime().halt(137);
        }
    }
}
