package dev.postoffice.storage.maildir.lock;

import java.time.DateTimeException;
import java.time.Instant;

/**
 * One owner line, the whole content of a lock file and of a template, in the format every version reads:
 * {@code postoffice-pop3-lock host=H pid=P start=S boot=B ticks=T created=C token=K} and a line feed, with
 * {@code -} for an unknown value. Unknown fields (of a later version) are ignored. See docs/storage.md.
 *
 * @param start   the holder's start time, or null if unknown
 * @param boot    the kernel boot id, or null if unknown
 * @param ticks   the holder's start in clock ticks since boot, or -1 if unknown
 * @param created when a separate lock file was created; null for a template (and its links)
 * @param token   per separate lock file, or per template
 */
public record Owner(String host, long pid, Instant start, String boot, long ticks, Instant created, String token) {
    /** First word of the owner line. */
    public static final String MAGIC = "postoffice-pop3-lock";

    /** The owner line of a process. */
    public static Owner of(ProcessId process, String token, Instant created) {
        return new Owner(process.host(), process.pid(), process.start(), process.boot(), process.ticks(), created,
                token);
    }

    /** The process the line names. */
    public ProcessId process() {
        return new ProcessId(host, pid, start, boot, ticks);
    }

    /** The line as written to the file, with its line feed. */
    public String line() {
        return MAGIC + " host=" + host + " pid=" + pid + " start=" + orDash(start) + " boot=" + orDash(boot)
                + " ticks=" + (ticks >= 0 ? Long.toString(ticks) : "-") + " created=" + orDash(created)
                + " token=" + token + "\n";
    }

    /** For log lines and busy messages. */
    public String describe() {
        return "pid " + pid + " on " + host + (created != null ? " since " + created : "");
    }

    private static String orDash(Object o) {
        return o == null ? "-" : o.toString();
    }

    /** Parses an owner line (with its line feed); null if it is not one. */
    public static Owner parse(String text) {
        int nl = text.indexOf('\n');
        if (nl < 0 || nl != text.length() - 1) {
            return null; // half written, or more than one line
        }
        String[] words = text.substring(0, nl).split(" ");
        if (words.length < 2 || !words[0].equals(MAGIC)) {
            return null;
        }
        String host = null;
        String token = null;
        String boot = null;
        long pid = -1;
        long ticks = -1;
        Instant start = null;
        Instant created = null;
        try {
            for (int i = 1; i < words.length; i++) {
                int eq = words[i].indexOf('=');
                if (eq <= 0) {
                    return null;
                }
                String key = words[i].substring(0, eq);
                String value = words[i].substring(eq + 1);
                if (value.isEmpty()) {
                    return null;
                }
                boolean none = value.equals("-");
                switch (key) {
                    case "host" -> host = value;
                    case "pid" -> pid = Long.parseLong(value);
                    case "token" -> token = value;
                    case "boot" -> boot = none ? null : value;
                    case "ticks" -> ticks = none ? -1 : Long.parseLong(value);
                    case "start" -> start = none ? null : Instant.parse(value);
                    case "created" -> created = none ? null : Instant.parse(value);
                    default -> {
                        // a field of a later version
                    }
                }
            }
        } catch (NumberFormatException | DateTimeException e) {
            return null;
        }
        if (host == null || token == null || pid <= 0 || ticks < -1) {
            return null;
        }
        return new Owner(host, pid, start, boot, ticks, created, token);
    }
}
