package dev.postoffice.client;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * A POP URL (RFC 2384): {@code pop3://user;auth=MECH@host:port/}. Schemes {@code pop} and {@code pop3} mean port
 * 110 (STLS when offered), {@code pop3s} and {@code pops} implicit TLS on port 995. {@code ;auth=*} or no auth
 * means "the strongest both sides allow", {@code ;auth=+APOP} APOP, {@code ;auth=+USER} USER/PASS. The user name
 * is percent-decoded.
 *
 * @param implicitTls whether the scheme asks for TLS from the first byte
 * @param auth        the mechanism asked for (upper case), or empty for the best one
 */
public record PopUrl(boolean implicitTls, String user, String host, int port, Optional<String> auth) {
    /** Parses a URL; throws {@link IllegalArgumentException} with a reason a user can act on. */
    public static PopUrl parse(String url) {
        int colon = url.indexOf("://");
        if (colon < 0) {
            throw new IllegalArgumentException("not a POP URL (expected pop3://user@host/ or pop3s://user@host/): " + url);
        }
        String scheme = url.substring(0, colon).toLowerCase(Locale.ROOT);
        boolean tls = switch (scheme) {
            case "pop", "pop3" -> false;
            case "pops", "pop3s" -> true;
            default -> throw new IllegalArgumentException("unknown scheme " + scheme + ": use pop3:// or pop3s://");
        };
        String rest = url.substring(colon + 3);
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            if (slash != rest.length() - 1) {
                throw new IllegalArgumentException("a POP URL has no path: " + url);
            }
            rest = rest.substring(0, slash);
        }
        int at = rest.lastIndexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("the URL names no user (pop3://user@host/): " + url);
        }
        String userPart = rest.substring(0, at);
        String hostPart = rest.substring(at + 1);
        Optional<String> auth = Optional.empty();
        int semi = userPart.indexOf(';');
        if (semi >= 0) {
            String param = userPart.substring(semi + 1);
            if (!param.regionMatches(true, 0, "auth=", 0, 5)) {
                throw new IllegalArgumentException("unknown URL parameter ;" + param + " (only ;auth= is defined)");
            }
            String mech = decode(param.substring(5)).toUpperCase(Locale.ROOT);
            if (mech.isEmpty()) {
                throw new IllegalArgumentException("empty ;auth= in " + url);
            }
            auth = mech.equals("*") ? Optional.empty() : Optional.of(mech);
            userPart = userPart.substring(0, semi);
        }
        String user = decode(userPart);
        if (user.isEmpty()) {
            throw new IllegalArgumentException("the URL names no user: " + url);
        }
        String host;
        int port = tls ? 995 : 110;
        if (hostPart.startsWith("[")) {
            int close = hostPart.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unclosed [ in the host of " + url);
            }
            host = hostPart.substring(1, close);
            String after = hostPart.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    throw new IllegalArgumentException("unexpected text after the host of " + url);
                }
                port = port(after.substring(1), url);
            }
        } else {
            int pc = hostPart.lastIndexOf(':');
            host = pc < 0 ? hostPart : hostPart.substring(0, pc);
            if (pc >= 0) {
                port = port(hostPart.substring(pc + 1), url);
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("the URL names no host: " + url);
        }
        return new PopUrl(tls, user, host, port, auth);
    }

    /** {@code user@host:port}: the account's name in the state, the lock and local file names. */
    public String account() {
        return user + "@" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return (implicitTls ? "pop3s://" : "pop3://") + account() + "/";
    }

    private static int port(String s, String url) {
        try {
            int p = Integer.parseInt(s);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port '" + s + "' in " + url);
        }
    }

    private static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("a % escape needs two hex digits: " + s);
                }
                try {
                    out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("a % escape needs two hex digits: " + s);
                }
                i += 2;
            } else {
                int cp = s.codePointAt(i);
                byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                i += Character.charCount(cp) - 1;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
