package dev.postoffice.storage.pg;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A store URL
 * {@code postgresql://HOST[:PORT]/DB?user=U[&password=P|&password-file=F][&pool=N][&lease-ttl=15s][&connect-timeout=2s]},
 * parsed. The password may also come from the environment variable {@value #PASSWORD_VARIABLE}, so that it need
 * never be on a command line. Bad input gives an {@link IllegalArgumentException} with a one-line reason.
 *
 * @param host     the server's host name or address
 * @param port     its port (5432 by default)
 * @param database the database
 * @param user     the role to log in as
 * @param password the password, if one was given
 * @param pool     the most connections this node keeps open
 * @param leaseTtl how long a node's liveness lasts without a heartbeat (docs/postgresql.md, "The lease")
 * @param connectTimeout how long a session waits for a connection (from the pool, or a new one) before its command
 *                 fails with a temporary error
 */
public record PgUrl(String host, int port, String database, String user, Optional<String> password, int pool,
        Duration leaseTtl, Duration connectTimeout) {
    /** The environment variable that may hold the password. */
    public static final String PASSWORD_VARIABLE = "POSTOFFICE_DB_PASSWORD";
    /** The default {@code lease-ttl}. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);
    /** The default {@code connect-timeout}. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private static final Pattern URL = Pattern.compile(
            "postgresql://(?<host>\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(?::(?<port>[0-9]{1,5}))?/(?<db>[^/?#]+)(?:\\?(?<query>[^#]*))?");

    /** Whether {@code url} names a PostgreSQL store (as opposed to {@code maildir}). */
    public static boolean isPostgres(String url) {
        return url.startsWith("postgresql:");
    }

    /** Parses {@code url}, reading the password variable from the process's environment. */
    public static PgUrl parse(String url) {
        return parse(url, System::getenv);
    }

    /** Parses {@code url}; {@code env} answers for environment variables. */
    public static PgUrl parse(String url, Function<String, String> env) {
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid store URL '" + redact(url)
                    + "': expected postgresql://HOST[:PORT]/DATABASE?user=USER");
        }
        Map<String, String> params = query(m.group("query"));
        String user = params.remove("user");
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("store URL '" + redact(url) + "': user=USER is missing");
        }
        Optional<String> password = Optional.ofNullable(params.remove("password"));
        String file = params.remove("password-file");
        if (file != null) {
            if (password.isPresent()) {
                throw new IllegalArgumentException("store URL: give password or password-file, not both");
            }
            try {
                password = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream().findFirst();
            } catch (IOException e) {
                throw new IllegalArgumentException("store URL: cannot read the password file " + file + ": " + e);
            }
        }
        if (password.isEmpty()) {
            password = Optional.ofNullable(env.apply(PASSWORD_VARIABLE)).filter(p -> !p.isEmpty());
        }
        int pool = intParam(params.remove("pool"), 10, "pool");
        Duration ttl = duration(params.remove("lease-ttl"), DEFAULT_LEASE_TTL, "lease-ttl", 1000);
        Duration connect = duration(params.remove("connect-timeout"), DEFAULT_CONNECT_TIMEOUT, "connect-timeout", 250);
        if (!params.isEmpty()) {
            throw new IllegalArgumentException("store URL: unknown parameter '" + params.keySet().iterator().next()
                    + "' (known: user, password, password-file, pool, lease-ttl, connect-timeout)");
        }
        int port = m.group("port") == null ? 5432 : Integer.parseInt(m.group("port"));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("store URL: port " + port + " out of range");
        }
        return new PgUrl(m.group("host"), port, decode(m.group("db")), user, password, pool, ttl, connect);
    }

    /** The JDBC URL, without the credentials. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** The URL as logs may show it: the password replaced. */
    public static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&#]*", "$1***");
    }

    @Override
    public String toString() {
        return "postgresql://" + host + ":" + port + "/" + database + "?user=" + user;
    }

    private static Map<String, String> query(String q) {
        Map<String, String> out = new LinkedHashMap<>();
        if (q == null || q.isEmpty()) {
            return out;
        }
        for (String pair : q.split("&")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("store URL: parameter '" + pair + "' is not NAME=VALUE");
            }
            String name = decode(pair.substring(0, eq));
            if (out.put(name, decode(pair.substring(eq + 1))) != null) {
                throw new IllegalArgumentException("store URL: parameter '" + name + "' given twice");
            }
        }
        return out;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static int intParam(String value, int dflt, String name) {
        if (value == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("store URL: " + name + "=" + value + " is not a number from 1 to 1000");
    }

    /** A duration from {@code minMillis} to 30 s: digits and ms, s (the default) or m. */
    private static Duration duration(String value, Duration dflt, String name, long minMillis) {
        if (value == null) {
            return dflt;
        }
        Matcher m = Pattern.compile("([0-9]{1,6})(ms|s|m)?").matcher(value);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = "ms".equals(m.group(2)) ? Duration.ofMillis(n)
                    : "m".equals(m.group(2)) ? Duration.ofMinutes(n) : Duration.ofSeconds(n);
            if (d.toMillis() >= minMillis && d.toMillis() <= 30_000) {
                return d;
            }
        }
        throw new IllegalArgumentException("store URL: " + name + "=" + value + " must be a duration from "
                + (minMillis % 1000 == 0 ? minMillis / 1000 + "s" : minMillis + "ms") + " to 30s");
    }
}
