package dev.postoffice.app;

import dev.postoffice.server.Cidr;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.tls.TlsProvider;
import dev.postoffice.storage.maildir.UidlFormat;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * Server settings from the configuration file ({@code key = value} lines, {@code #} comments) and from
 * command-line options, which use the same names and win over the file. Unknown keys are an error, so a
 * typo never goes unnoticed. See the README for every key.
 */
final class ServerSettings {
    /** Every key, with how it changes the configuration. */
    private static final Map<String, BiConsumer<ServerConfig.Builder, String>> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("data", (b, v) -> { });
        KEYS.put("store", (b, v) -> { }); // read by serve (docs/postgresql.md)
        KEYS.put("pop3", (b, v) -> b.pop3Listen(off(v) ? null : Values.hostPort(v)));
        KEYS.put("pop3s", (b, v) -> b.pop3sListen(off(v) ? null : Values.hostPort(v)));
        KEYS.put("tls-cert", (b, v) -> { });
        KEYS.put("tls-key", (b, v) -> { });
        KEYS.put("hostname", ServerConfig.Builder::hostname);
        KEYS.put("idle-timeout", (b, v) -> b.idleTimeout(Values.duration(v)));
        KEYS.put("preauth-timeout", (b, v) -> b.preAuthTimeout(Values.duration(v)));
        KEYS.put("preauth-lifetime", (b, v) -> b.preAuthLifetime(Values.duration(v)));
        KEYS.put("tls-handshake-timeout", (b, v) -> b.handshakeTimeout(Values.duration(v)));
        KEYS.put("tls-provider", (b, v) -> b.tlsProvider(TlsProvider.parse(v)));
        KEYS.put("auth-failure-delay", (b, v) -> b.authFailureDelay(Values.duration(v)));
        KEYS.put("auth-failure-delay-max", (b, v) -> b.authFailureDelayMax(Values.duration(v)));
        KEYS.put("max-auth-failures", (b, v) -> b.maxAuthFailures(integer(v)));
        KEYS.put("max-bad-commands", (b, v) -> b.maxBadCommands(integer(v)));
        KEYS.put("max-connections", (b, v) -> b.maxConnections(integer(v)));
        KEYS.put("max-connections-per-address", (b, v) -> b.maxConnectionsPerAddress(integer(v)));
        KEYS.put("max-connections-per-user", (b, v) -> b.maxConnectionsPerUser(integer(v)));
        KEYS.put("allow-plaintext-auth", (b, v) -> b.allowPlaintextAuth(bool(v)));
        KEYS.put("local-networks", (b, v) -> b.localNetworks(list(v).stream().map(Cidr::parse).toList()));
        KEYS.put("proxy-protocol-from", (b, v) -> b.proxyProtocolFrom(list(v).stream().map(Cidr::parse).toList()));
        KEYS.put("sasl-mechanisms", (b, v) -> b.saslMechanisms(
                list(v).stream().map(s -> s.toUpperCase(Locale.ROOT)).toList()));
        KEYS.put("master-users", (b, v) -> b.masterUsers(java.util.Set.copyOf(list(v))));
        KEYS.put("login-aliases", (b, v) -> b.loginAliases(bool(v)));
        KEYS.put("login-delay", (b, v) -> b.loginDelay(Values.duration(v)));
        KEYS.put("expire", (b, v) -> b.expireDays(v.equalsIgnoreCase("never") ? null : integer(v)));
        KEYS.put("auth-cache-ttl", (b, v) -> Values.duration(v));
        KEYS.put("shutdown-grace", (b, v) -> b.shutdownGrace(Values.duration(v)));
        KEYS.put("dovecot-uidl-format", (b, v) -> dovecotUidlFormat(v));
        KEYS.put("oauth-keys", (b, v) -> { });
        KEYS.put("oauth-issuer", (b, v) -> { });
        KEYS.put("oauth-audience", (b, v) -> { });
        KEYS.put("oauth-user-claim", (b, v) -> { });
        KEYS.put("oauth-require-email-verified", (b, v) -> bool(v));
        // Delivery (LmtpSettings reads them): checked here so that a bad value fails at startup.
        KEYS.put("lmtp", (b, v) -> LmtpSettings.listen(v));
        KEYS.put("lmtp-trusted-networks", (b, v) -> list(v).forEach(Cidr::parse));
        KEYS.put("lmtp-max-message-size", (b, v) -> Values.octets(v));
        KEYS.put("lmtp-max-recipients", (b, v) -> integer(v));
        KEYS.put("recipient-delimiter", (b, v) -> { });
        KEYS.put("quota-bytes", (b, v) -> Values.octets(v));
        KEYS.put("quota-messages", (b, v) -> integer(v));
        KEYS.put("quota-full-tempfail", (b, v) -> bool(v));
        KEYS.put("quota-grace", (b, v) -> bool(v));
        KEYS.put("admin", (b, v) -> { if (!off(v)) Values.hostPort(v); });
        KEYS.put("admin-allow", (b, v) -> list(v).forEach(Cidr::parse));
        KEYS.put("admin-token-file", (b, v) -> { });
        KEYS.put("log-format", (b, v) -> logFormat(v));
        KEYS.put("log-level", (b, v) -> logLevel(v));
        KEYS.put("gssapi-keytab", (b, v) -> { });
        KEYS.put("gssapi-principal", (b, v) -> { });
        KEYS.put("gssapi-realm", (b, v) -> { });
    }

    /** Keys a reload cannot apply to a running server: changing them needs a restart. */
    static final java.util.Set<String> RESTART_KEYS = java.util.Set.of("data", "store", "pop3", "pop3s", "admin", "admin-allow",
            "admin-token-file", "dovecot-uidl-format", "log-format", "lmtp", "lmtp-trusted-networks",
            "lmtp-max-message-size", "lmtp-max-recipients", "recipient-delimiter", "quota-bytes", "quota-messages",
            "quota-full-tempfail", "quota-grace");

    private final Map<String, String> values = new LinkedHashMap<>();

    static ServerSettings load(Path file) {
        ServerSettings s = new ServerSettings();
        if (file == null) {
            return s;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new UserError("cannot read configuration file " + file + ": " + e.getMessage(), 78);
        }
        List<String> errors = problems(file, lines, s.values);
        if (!errors.isEmpty()) {
            throw new UserError(String.join("\n", errors), 78);
        }
        return s;
    }

    /**
     * Reads {@code key = value} lines into {@code into} and returns one {@code FILE:LINE: problem} per bad line:
     * no {@code =}, an unknown key, a key given twice, a value the key does not accept.
     */
    static List<String> problems(Path file, List<String> lines, Map<String, String> into) {
        List<String> errors = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq <= 0) {
                errors.add(where + "expected 'key = value', got '" + line + "'");
                continue;
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!KEYS.containsKey(key)) {
                errors.add(where + "unknown setting '" + key + "'" + suggestion(key));
            } else if (into.containsKey(key)) {
                errors.add(where + key + " is set twice");
            } else {
                try {
                    KEYS.get(key).accept(ServerConfig.builder(), value);
                    into.put(key, value);
                } catch (IllegalArgumentException e) {
                    errors.add(where + key + ": " + e.getMessage());
                }
            }
        }
        return errors;
    }

    private static String suggestion(String key) {
        for (String k : KEYS.keySet()) {
            if (distance(k, key.toLowerCase(Locale.ROOT).replace('_', '-')) <= 2) {
                return " (did you mean " + k + "?)";
            }
        }
        return "; known: " + String.join(" ", KEYS.keySet());
    }

    /** Edit distance, for suggesting the key a typo meant. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** A command-line option, which wins over the file. */
    ServerSettings set(String key, String value) {
        if (!KEYS.containsKey(key)) {
            throw new IllegalArgumentException("unknown setting " + key);
        }
        if (value != null) {
            values.put(key, value);
        }
        return this;
    }

    String get(String key) {
        return values.get(key);
    }

    /** Every setting given, file and command line. */
    Map<String, String> values() {
        return java.util.Collections.unmodifiableMap(values);
    }

    static String logFormat(String v) {
        String f = v.trim().toLowerCase(Locale.ROOT);
        if (!f.equals("text") && !f.equals("json")) {
            throw new IllegalArgumentException("expected text or json, got '" + v + "'");
        }
        return f;
    }

    static String logLevel(String v) {
        String l = v.trim().toUpperCase(Locale.ROOT);
        if (!List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(l)) {
            throw new IllegalArgumentException("expected error, warn, info, debug or trace, got '" + v + "'");
        }
        return l;
    }

    /** The configuration: defaults, then every setting. */
    ServerConfig build(ServerConfig.Builder defaults) {
        for (Map.Entry<String, String> e : values.entrySet()) {
            try {
                KEYS.get(e.getKey()).accept(defaults, e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new UserError(e.getKey() + ": " + ex.getMessage(), 78);
            }
        }
        if ((get("tls-cert") == null) != (get("tls-key") == null)) {
            throw new UserError("tls-cert and tls-key go together", 78);
        }
        if (get("tls-cert") != null) {
            defaults.tls(Path.of(get("tls-cert")), Path.of(get("tls-key")));
        }
        if (get("oauth-keys") != null) {
            if (get("oauth-issuer") == null || get("oauth-audience") == null) {
                throw new UserError("oauth-keys needs oauth-issuer and oauth-audience", 78);
            }
            defaults.oauth(new ServerConfig.OAuth(Path.of(get("oauth-keys")), get("oauth-issuer"),
                    get("oauth-audience"), values.getOrDefault("oauth-user-claim", "email"),
                    bool(values.getOrDefault("oauth-require-email-verified", "yes"))));
        }
        if (get("gssapi-keytab") != null || get("gssapi-principal") != null || get("gssapi-realm") != null) {
            if (get("gssapi-keytab") == null || get("gssapi-principal") == null) {
                throw new UserError("gssapi-keytab and gssapi-principal go together", 78);
            }
            try {
                defaults.gssapi(new ServerConfig.Gssapi(Path.of(get("gssapi-keytab")), get("gssapi-principal"),
                        java.util.Optional.ofNullable(get("gssapi-realm"))));
            } catch (IllegalArgumentException e) {
                throw new UserError("gssapi-principal: " + e.getMessage(), 78);
            }
        }
        try {
            return defaults.build();
        } catch (IllegalArgumentException e) {
            throw new UserError("configuration: " + e.getMessage(), 78);
        }
    }

    /** How long the authenticator remembers a successful password check ({@code auth-cache-ttl}). */
    java.time.Duration authCacheTtl() {
        String v = get("auth-cache-ttl");
        try {
            return v == null ? dev.postoffice.auth.LoginCache.DEFAULT_TTL : Values.duration(v);
        } catch (IllegalArgumentException e) {
            throw new UserError("auth-cache-ttl: " + e.getMessage(), 78);
        }
    }

    /**
     * How Dovecot formed the UIDLs of the Maildirs it served ({@code dovecot-uidl-format}, Dovecot's
     * {@code pop3_uidl_format}): null for {@code off}, which reads no {@code dovecot-uidlist}.
     */
    UidlFormat dovecotUidlFormat() {
        String v = get("dovecot-uidl-format");
        try {
            return dovecotUidlFormat(v == null ? UidlFormat.DEFAULT : v);
        } catch (IllegalArgumentException e) {
            throw new UserError("dovecot-uidl-format: " + e.getMessage(), 78);
        }
    }

    private static UidlFormat dovecotUidlFormat(String v) {
        return off(v.trim()) ? null : UidlFormat.parse(v.trim());
    }

    static java.util.Set<String> keys() {
        return KEYS.keySet();
    }

    private static boolean off(String v) {
        return v.equalsIgnoreCase("off") || v.equalsIgnoreCase("none");
    }

    static int integer(String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a whole number: '" + v + "'");
        }
    }

    static boolean bool(String v) {
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "yes", "true", "on" -> true;
            case "no", "false", "off" -> false;
            default -> throw new IllegalArgumentException("expected yes or no, got '" + v + "'");
        };
    }

    static List<String> list(String v) {
        return Arrays.stream(v.split("[,\\s]+")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

}
