package dev.postoffice.app;

import ch.qos.logback.classic.Level;
import dev.postoffice.app.admin.AdminServer.ReloadResult;
import dev.postoffice.auth.AuthService;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.auth.ServerAuth;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A configuration reload (SIGHUP, {@code postoffice reload}): re-reads the file, applies the command line's settings
 * over it again, and hands the running server the new configuration for its next connections. Keys that need a
 * restart ({@link ServerSettings#RESTART_KEYS}) are reported and keep their running values; an invalid file changes
 * nothing. See docs/operations.md.
 */
final class Reloader {
    private static final Logger log = LoggerFactory.getLogger(Reloader.class);

    private final Path file;
    private final Map<String, String> overrides;
    private final Service service;
    private final DataDir dataDir;
    /** The settings running now. */
    private Map<String, String> running;

    Reloader(Path file, Map<String, String> overrides, ServerSettings current, Service service, DataDir dataDir) {
        this.file = file;
        this.overrides = Map.copyOf(overrides);
        this.running = new LinkedHashMap<>(current.values());
        this.service = service;
        this.dataDir = dataDir;
    }

    synchronized ReloadResult reload() {
        List<String> lines = new ArrayList<>();
        ServerSettings next;
        Map<String, String> fresh;
        ServerConfig config;
        AuthService auth;
        try {
            next = ServerSettings.load(file);
            overrides.forEach(next::set);
            fresh = Map.copyOf(next.values());
            for (String key : ServerSettings.RESTART_KEYS) { // the running values stay until a restart
                if (running.get(key) != null) {
                    next.set(key, running.get(key));
                }
            }
            config = next.build(ServerConfig.builder());
            auth = ServerAuth.create(dataDir.directory(), config, service.hashing(), next.authCacheTtl());
            service.server().reconfigure(config, auth);
        } catch (UserError e) {
            return rejected(e.getMessage());
        } catch (IOException | RuntimeException e) {
            return rejected(e.getMessage());
        }
        TreeSet<String> keys = new TreeSet<>(running.keySet());
        keys.addAll(next.values().keySet());
        for (String key : keys) {
            if (ServerSettings.RESTART_KEYS.contains(key)) {
                String wanted = fresh.get(key);
                if (!Objects.equals(wanted, running.get(key))) {
                    lines.add(key + ": needs a restart (running " + show(running.get(key)) + ", file says "
                            + show(wanted) + ")");
                }
            } else if (!Objects.equals(running.get(key), next.get(key))) {
                lines.add(key + ": " + show(running.get(key)) + " -> " + show(next.get(key)) + " (new connections)");
            }
        }
        if (!Objects.equals(running.get("log-level"), next.get("log-level"))) {
            applyLogLevel(next.get("log-level"));
        }
        running = new LinkedHashMap<>(next.values());
        lines.add(0, "reloaded " + file + ": " + (lines.isEmpty() ? "nothing changed" : lines.size() + " change(s)"));
        lines.forEach(l -> log.info("reload: {}", l));
        return new ReloadResult(true, lines);
    }

    private ReloadResult rejected(String message) {
        List<String> lines = new ArrayList<>();
        lines.add("reload rejected, still running the previous configuration:");
        for (String l : message.split("\n")) {
            lines.add("  " + l);
        }
        lines.forEach(l -> log.warn("reload: {}", l.strip()));
        return new ReloadResult(false, lines);
    }

    /** The {@code log-level} key: the root logger's level (INFO when unset). */
    static void applyLogLevel(String level) {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(
                Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level == null ? "INFO" : level, Level.INFO));
    }

    private static String show(String v) {
        return v == null ? "(default)" : v;
    }
}
