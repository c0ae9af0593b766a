package dev.postoffice.app;

import dev.postoffice.client.ConnectOptions;
import dev.postoffice.client.FetchException;
import dev.postoffice.client.FetchOptions;
import dev.postoffice.client.FetchResult;
import dev.postoffice.client.Fetcher;
import dev.postoffice.client.MaildirTarget;
import dev.postoffice.client.MboxTarget;
import dev.postoffice.client.LmtpTarget;
import dev.postoffice.client.MdaTarget;
import dev.postoffice.client.Passwords;
import dev.postoffice.client.PopUrl;
import dev.postoffice.client.Target;
import dev.postoffice.client.TlsOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One account to fetch, built from {@code key = value} settings: a config file's section, or the command line's
 * options under the same names ({@code url}, {@code maildir}, {@code mbox}, {@code mda}, {@code keep},
 * {@code all}, {@code state}, {@code password-command}, {@code password-file}, {@code stls},
 * {@code allow-cleartext}, {@code tls-ca}, {@code tls-fingerprint}, {@code max-size}, {@code timeout},
 * {@code crlf}, {@code batch}, {@code keytab}).
 */
record FetchAccount(String name, PopUrl url, String targetKind, String targetValue, boolean crlf, FetchOptions options,
        ConnectOptions connect, Path state, Passwords.Sources passwords) {
    static final Set<String> KEYS = Set.of("url", "maildir", "mbox", "mda", "lmtp", "lmtp-recipient", "keep", "all", "state", "password-command",
            "password-file", "stls", "allow-cleartext", "tls-ca", "tls-fingerprint", "max-size", "timeout", "crlf", "batch", "keytab");

    /** @throws IllegalArgumentException with a message naming the setting */
    static FetchAccount of(String name, Map<String, String> s, Map<String, String> env, boolean prompt) {
        for (String k : s.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException(name + ": unknown setting '" + k + "'");
            }
        }
        String urlText = s.get("url");
        if (urlText == null) {
            throw new IllegalArgumentException(name + ": no url");
        }
        PopUrl url = PopUrl.parse(urlText);
        String kind = null;
        for (String k : new String[] {"maildir", "mbox", "mda", "lmtp"}) {
            if (s.containsKey(k)) {
                if (kind != null) {
                    throw new IllegalArgumentException(name + ": choose one of maildir, mbox, mda and lmtp");
                }
                kind = k;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException(name + ": no target (--maildir DIR, --mbox FILE, --mda CMD or --lmtp HOST:PORT)");
        }
        String keep = s.get("keep");
        boolean keeping = keep != null && !keep.equals("no");
        Duration keepFor = keeping && !keep.equals("yes") && !keep.isEmpty() ? Values.duration(keep) : null;
        OptionalLong maxSize = s.containsKey("max-size") ? OptionalLong.of(size(s.get("max-size"))) : OptionalLong.empty();
        int batch;
        try {
            batch = Integer.parseInt(s.getOrDefault("batch", "64"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("batch is a number of messages, not '" + s.get("batch") + "'");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1");
        }
        FetchOptions options = new FetchOptions(keeping, keepFor, flag(s, "all"), maxSize, batch);
        TlsOptions tls = new TlsOptions(Optional.ofNullable(s.get("tls-ca")).map(FetchAccount::path),
                Optional.ofNullable(s.get("tls-fingerprint")));
        Duration timeout = s.containsKey("timeout") ? Values.duration(s.get("timeout")) : Duration.ofSeconds(60);
        ConnectOptions connect = new ConnectOptions(tls, flag(s, "stls"), flag(s, "allow-cleartext"), timeout,
                Optional.ofNullable(s.get("keytab")).map(FetchAccount::path));
        Path state = s.containsKey("state") ? path(s.get("state")) : defaultState(env).resolve(safe(url.account()) + ".state");
        Optional<String> home = Optional.ofNullable(System.getProperty("user.home"));
        Passwords.Sources pw = new Passwords.Sources(Optional.ofNullable(s.get("password-command")),
                Optional.ofNullable(s.get("password-file")).map(FetchAccount::path), env,
                home.map(h -> Path.of(h, ".netrc")), prompt);
        String value = kind.equals("mda") ? s.get(kind) : kind.equals("lmtp")
                ? Values.hostPort(Values.hostPort(s.get(kind))) + " " + s.getOrDefault("lmtp-recipient", url.user())
                : path(s.get(kind)).toString();
        return new FetchAccount(name, url, kind, value, flag(s, "crlf"), options, connect, state, pw);
    }

    FetchResult fetch(Fetcher.Progress progress) throws FetchException {
        try (Target target = target()) {
            return new Fetcher(url, connect, options, Clock.systemUTC())
                    .fetch(target, state, () -> Passwords.find(url, passwords), progress);
        } catch (IOException e) {
            throw new FetchException(false, "cannot use the " + targetKind + " " + targetValue + ": " + e.getMessage(), e);
        }
    }

    private Target target() throws IOException {
        return switch (targetKind) {
            case "maildir" -> new MaildirTarget(Path.of(targetValue), !crlf);
            case "mbox" -> new MboxTarget(Path.of(targetValue), !crlf);
            case "lmtp" -> {
                String[] v = targetValue.split(" ", 2);
                yield new LmtpTarget(Values.hostPort(v[0]), v[1], connect.timeout());
            }
            default -> new MdaTarget(targetValue, !crlf);
        };
    }

    /** {@code $XDG_STATE_HOME/postoffice}, or {@code ~/.local/state/postoffice}. */
    static Path defaultState(Map<String, String> env) {
        String xdg = env.get("XDG_STATE_HOME");
        if (xdg != null && !xdg.isEmpty()) {
            return Path.of(xdg, "postoffice");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "postoffice");
    }

    private static String safe(String account) {
        return account.replaceAll("[^A-Za-z0-9@._+-]", "_");
    }

    private static boolean flag(Map<String, String> s, String key) {
        String v = s.get(key);
        if (v == null || v.equals("no") || v.equals("false")) {
            return false;
        }
        if (v.isEmpty() || v.equals("yes") || v.equals("true")) {
            return true;
        }
        throw new IllegalArgumentException(key + " is yes or no, not '" + v + "'");
    }

    /** {@code 100000}, {@code 500k}, {@code 10M}, {@code 1G}. */
    static long size(String v) {
        String t = v.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K") || t.endsWith("M") || t.endsWith("G")) {
            unit = switch (t.charAt(t.length() - 1)) {
                case 'K' -> 1024L;
                case 'M' -> 1024L * 1024;
                default -> 1024L * 1024 * 1024;
            };
            t = t.substring(0, t.length() - 1);
        }
        try {
            long n = Long.parseLong(t);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + v + "' (use e.g. 500000, 500k, 10M)");
        }
    }

    private static Path path(String p) {
        if (p.startsWith("~/")) {
            return Path.of(System.getProperty("user.home"), p.substring(2));
        }
        return Path.of(p);
    }
}
