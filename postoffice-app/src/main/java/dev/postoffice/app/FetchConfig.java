package dev.postoffice.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The accounts file of {@code postoffice fetch}: {@code [name]} sections of {@code key = value} lines (the long
 * options' names without dashes), {@code #} comments.
 *
 * <pre>
 * [work]
 * url = pop3s://alice@mail.example.org/
 * maildir = ~/Mail/work
 * password-command = pass show mail/work
 * </pre>
 */
final class FetchConfig {
    private FetchConfig() {}

    /** {@code $XDG_CONFIG_HOME/postoffice/fetch.conf}, or {@code ~/.config/postoffice/fetch.conf}. */
    static Path defaultPath(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("postoffice").resolve("fetch.conf");
    }

    /** Sections in file order. @throws IllegalArgumentException naming the line of a syntax error */
    static Map<String, Map<String, String>> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no URL given and no config file " + file);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            if (line.startsWith("[") && line.endsWith("]")) {
                String name = line.substring(1, line.length() - 1).strip();
                if (name.isEmpty() || out.containsKey(name)) {
                    throw new IllegalArgumentException(where + ": empty or repeated section name");
                }
                current = new LinkedHashMap<>();
                out.put(name, current);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(where + ": expected key = value or [account]");
            }
            if (current == null) {
                throw new IllegalArgumentException(where + ": a setting before the first [account]");
            }
            String key = line.substring(0, eq).strip();
            if (!FetchAccount.KEYS.contains(key)) {
                throw new IllegalArgumentException(where + ": unknown setting '" + key + "'");
            }
            current.put(key, line.substring(eq + 1).strip());
        }
        return out;
    }
}
