package dev.postoffice.app;

import dev.postoffice.server.ServerConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The configuration file: {@code key = value} lines ({@code #} comments), the same names as the
 * command-line options without their dashes. Unknown keys are an error, so a typo never goes unnoticed.
 *
 * <pre>
 * data = /var/lib/postoffice
 * pop3 = 0.0.0.0:110
 * idle-timeout = 10m
 * auth-failure-delay = 2s
 * max-bad-commands = 10
 * hostname = mail.example.org
 * shutdown-grace = 30s
 * </pre>
 */
final class ServerSettings {
    static final Set<String> KEYS = Set.of("data", "pop3", "idle-timeout", "auth-failure-delay", "max-bad-commands",
            "hostname", "shutdown-grace");

    private final Properties props = new Properties();

    static ServerSettings load(Path file) {
        ServerSettings s = new ServerSettings();
        if (file == null) {
            return s;
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            s.props.load(r);
        } catch (IOException e) {
            throw new UserError("cannot read configuration file " + file + ": " + e.getMessage(), 78);
        }
        Set<String> unknown = new TreeSet<>(s.props.stringPropertyNames());
        unknown.removeAll(KEYS);
        if (!unknown.isEmpty()) {
            throw new UserError(file + ": unknown setting(s) " + unknown + "; known: " + new TreeSet<>(KEYS), 78);
        }
        return s;
    }

    String get(String key) {
        String v = props.getProperty(key);
        return v == null ? null : v.trim();
    }

    /** Applies the file's settings on top of the defaults. */
    ServerConfig apply(ServerConfig c) {
        try {
            if (get("pop3") != null) {
                c = c.withPop3Listen(Values.hostPort(get("pop3")));
            }
            if (get("idle-timeout") != null) {
                c = c.withIdleTimeout(Values.duration(get("idle-timeout")));
            }
            if (get("auth-failure-delay") != null) {
                c = c.withAuthFailureDelay(Values.duration(get("auth-failure-delay")));
            }
            if (get("max-bad-commands") != null) {
                c = c.withMaxBadCommands(Integer.parseInt(get("max-bad-commands")));
            }
            if (get("hostname") != null) {
                c = c.withHostname(get("hostname"));
            }
            if (get("shutdown-grace") != null) {
                c = c.withShutdownGrace(Values.duration(get("shutdown-grace")));
            }
        } catch (IllegalArgumentException e) {
            throw new UserError("configuration: " + e.getMessage(), 78);
        }
        return c;
    }
}
