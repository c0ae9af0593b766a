package dev.postoffice.bench;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;

/** Durations on the command line: plain (possibly fractional) seconds, or a number with ms, s, m or h. */
final class Durations {
    private Durations() {}

    static Duration parse(String text, String option) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        long unitNanos = 1_000_000_000L;
        String number = s;
        if (s.endsWith("ms")) {
            unitNanos = 1_000_000L;
            number = s.substring(0, s.length() - 2);
        } else if (s.endsWith("s")) {
            number = s.substring(0, s.length() - 1);
        } else if (s.endsWith("m")) {
            unitNanos = 60_000_000_000L;
            number = s.substring(0, s.length() - 1);
        } else if (s.endsWith("h")) {
            unitNanos = 3_600_000_000_000L;
            number = s.substring(0, s.length() - 1);
        }
        try {
            BigDecimal n = new BigDecimal(number);
            if (n.signum() < 0 || n.compareTo(BigDecimal.valueOf(1_000_000)) > 0) {
                throw new NumberFormatException();
            }
            return Duration.ofNanos(n.multiply(BigDecimal.valueOf(unitNanos)).longValue());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a duration: '" + text + "' (e.g. 10, 1.5, 500ms, 30s, 2m)");
        }
    }
}
