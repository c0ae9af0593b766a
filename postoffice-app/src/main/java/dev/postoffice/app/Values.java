package dev.postoffice.app;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;

/** Parsing of option values shared by the command line and the configuration file. */
final class Values {
    private Values() {}

    /** {@code HOST:PORT}, {@code [IPv6]:PORT} or {@code :PORT} (all addresses). */
    static InetSocketAddress hostPort(String s) {
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [IPv6]:PORT, got '" + s + "'");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("expected HOST:PORT, got '" + s + "'");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid port in '" + s + "'");
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("port out of range in '" + s + "'");
        }
        return host.isEmpty() ? new InetSocketAddress(p) : new InetSocketAddress(host, p);
    }

    /** A duration: {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 7d}, or plain seconds. */
    static Duration duration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            throw new IllegalArgumentException("invalid duration '' (use e.g. 500ms, 30s, 10m, 1h)");
        }
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            char unit = t.charAt(t.length() - 1);
            String num = Character.isDigit(unit) ? t : t.substring(0, t.length() - 1);
            long n = Long.parseLong(num);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return switch (unit) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> {
                    if (!Character.isDigit(unit)) {
                        throw new NumberFormatException();
                    }
                    yield Duration.ofSeconds(n);
                }
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid duration '" + s + "' (use e.g. 500ms, 30s, 10m, 1h, 7d)");
        }
    }

    /** A number of octets: plain, or with a binary suffix {@code k}, {@code M}, {@code G} ({@code 20M}). */
    static long octets(String s) {
        String t = s.trim();
        long unit = 1;
        if (!t.isEmpty()) {
            switch (Character.toUpperCase(t.charAt(t.length() - 1))) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                default -> unit = 1;
            }
        }
        String num = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long n = Long.parseLong(num);
            if (n < 0 || n > Long.MAX_VALUE / unit) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + s + "' (use e.g. 1048576, 512k, 20M, 1G)");
        }
    }

    static String hostPort(InetSocketAddress a) {
        String h = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
