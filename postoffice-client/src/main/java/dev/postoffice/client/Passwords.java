package dev.postoffice.client;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where a password (or an OAuth token) comes from, first match wins: {@code --password-command} (a keyring or token
 * helper run with {@code sh -c}; the first line of its output), {@code --password-file} (its first line), the
 * environment variable {@code POSTOFFICE_PASSWORD}, the {@code ~/.netrc} entry for the host and user, and last a
 * prompt on the terminal. Never on the command line, so never in the process list.
 */
public final class Passwords {
    private Passwords() {}

    /** The sources a fetch may use; empty ones are skipped. */
    public record Sources(Optional<String> command, Optional<Path> file, Map<String, String> env, Optional<Path> netrc,
            boolean prompt) {}

    public static String find(PopUrl url, Sources s) throws FetchException {
        if (s.command().isPresent()) {
            return fromCommand(s.command().get());
        }
        if (s.file().isPresent()) {
            try {
                return firstLine(Files.readString(s.file().get(), StandardCharsets.UTF_8), "password file " + s.file().get());
            } catch (IOException e) {
                throw new FetchException(false, "cannot read the password file " + s.file().get() + ": " + e.getMessage());
            }
        }
        String env = s.env().get("POSTOFFICE_PASSWORD");
        if (env != null && !env.isEmpty()) {
            return env;
        }
        if (s.netrc().isPresent() && Files.isReadable(s.netrc().get())) {
            try {
                Optional<String> p = Netrc.password(Files.readString(s.netrc().get(), StandardCharsets.UTF_8),
                        url.host(), url.user());
                if (p.isPresent()) {
                    return p.get();
                }
            } catch (IOException e) {
                throw new FetchException(false, "cannot read " + s.netrc().get() + ": " + e.getMessage());
            }
        }
        Console console = System.console();
        if (s.prompt() && console != null) {
            char[] pw = console.readPassword("Password for %s: ", url.account());
            if (pw != null && pw.length > 0) {
                return new String(pw);
            }
        }
        throw new FetchException(false, "no password for " + url.account() + ": set POSTOFFICE_PASSWORD, "
                + "--password-command, --password-file or a ~/.netrc entry");
    }

    private static String fromCommand(String command) throws FetchException {
        try {
            Process p = new ProcessBuilder("sh", "-c", command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            p.getOutputStream().close();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readNBytes(64 * 1024);
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new FetchException(true, "the password command did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new FetchException(true, "the password command failed with exit status " + p.exitValue());
            }
            return firstLine(new String(out, StandardCharsets.UTF_8), "password command's output");
        } catch (IOException e) {
            throw new FetchException(false, "cannot run the password command: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FetchException(true, "interrupted while running the password command");
        }
    }

    private static String firstLine(String text, String what) throws FetchException {
        int nl = text.indexOf('\n');
        String line = nl < 0 ? text : text.substring(0, nl);
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.isEmpty()) {
            throw new FetchException(false, "the " + what + " is empty");
        }
        return line;
    }

    /** The {@code ~/.netrc} format: {@code machine HOST login USER password SECRET}, and {@code default}. */
    static final class Netrc {
        private Netrc() {}

        static Optional<String> password(String text, String host, String user) {
            String[] t = text.split("\\s+");
            String machine = null;
            String login = null;
            String password = null;
            Optional<String> fallback = Optional.empty();
            for (int i = 0; i <= t.length; i++) {
                String w = i < t.length ? t[i] : "machine";
                if (w.equals("machine") || w.equals("default")) {
                    if (password != null && (login == null || login.equals(user))) {
                        if (host.equalsIgnoreCase(machine)) {
                            return Optional.of(password);
                        }
                        if (machine == null && fallback.isEmpty()) {
                            fallback = Optional.of(password);
                        }
                    }
                    machine = w.equals("machine") && i + 1 < t.length ? t[++i] : null;
                    login = password = null;
                } else if (w.equals("login") && i + 1 < t.length) {
                    login = t[++i];
                } else if (w.equals("password") && i + 1 < t.length) {
                    password = t[++i];
                }
            }
            return fallback;
        }
    }
}
