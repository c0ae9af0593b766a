package dev.postoffice.storage;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test hook for the kill -9 matrix (it/kill_matrix_test.py, docs/reliability.md): when the environment
 * variable {@code POSTOFFICE_TEST_CRASH_AT} names a step ({@code step}, or {@code step@N} for its N-th time),
 * the process kills itself with SIGKILL on reaching it. Unset (always, outside that test) it costs one
 * comparison with null.
 */
public final class CrashPoint {
    /** The environment variable naming the step. */
    public static final String VARIABLE = "POSTOFFICE_TEST_CRASH_AT";

    private static final String STEP;
    private static final int NTH;
    private static final AtomicInteger REACHED = new AtomicInteger();

    static {
        String v = System.getenv(VARIABLE);
        int at = v == null ? -1 : v.lastIndexOf('@');
        STEP = v == null || v.isBlank() ? null : at > 0 ? v.substring(0, at) : v;
        NTH = at > 0 ? Integer.parseInt(v.substring(at + 1)) : 1;
    }

    private CrashPoint() {}

    /** Kills this process with SIGKILL if the variable names this step (and this is its N-th time). */
    public static void reach(String step) {
        if (STEP == null || !STEP.equals(step) || REACHED.incrementAndGet() != NTH) {
            return;
        }
        System.err.println("postoffice: " + VARIABLE + ": killing this process at " + step);
        System.err.flush();
        try {
            new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid())).inheritIO().start()
                    .waitFor();
            Thread.sleep(10_000); // the signal is on its way
        } catch (Exception e) {
            // no kill(1): the closest the JVM has
        }
        Runtime.getRuntime().halt(137);
    }
}
