package dev.postoffice.app;

import dev.postoffice.client.FetchException;
import dev.postoffice.client.FetchResult;
import dev.postoffice.client.Fetcher;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postoffice fetch}: downloads mail from POP3 servers into a Maildir, an mbox or an MDA, never losing a
 * message and never delivering one twice (docs/fetch.md). Exit codes for cron: 0 new mail, 1 nothing new,
 * 75 temporary failure (try again later), 69 permanent failure (fix the configuration), 2 bad usage.
 */
@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = {"Fetch mail from a POP3 server (URL pop3://user@host[:port]/ or pop3s://...), or from every"
                + " account of a config file. A message is deleted on the server only after its local copy is durable"
                + " and recorded (unless --keep).",
                "Exit codes: 0 new mail, 1 nothing new, 75 temporary failure, 69 permanent failure, 2 bad usage."})
final class FetchCommand implements Callable<Integer> {
    static final int NEW_MAIL = 0;
    static final int NOTHING_NEW = 1;
    static final int PERMANENT = 69;
    static final int TEMPORARY = 75;

    @Parameters(paramLabel = "URL", arity = "0..1", description = "pop3://user[;auth=MECH]@host[:port]/ (RFC 2384); without it, every account of the config file.")
    String url;

    @Option(names = "--maildir", paramLabel = "DIR", description = "Deliver into this Maildir (created if missing).")
    String maildir;

    @Option(names = "--mbox", paramLabel = "FILE", description = "Append to this mbox (mboxrd, dot-lock and fcntl lock).")
    String mbox;

    @Option(names = "--mda", paramLabel = "CMD", description = "Pipe each message to this command (sh -c); exit status 0 means delivered.")
    String mda;

    @Option(names = "--lmtp", paramLabel = "HOST:PORT", description = "Deliver each message over LMTP; the recipient's 250 means delivered.")
    String lmtp;

    @Option(names = "--lmtp-recipient", paramLabel = "USER", description = "The LMTP recipient (default: the account's user).")
    String lmtpRecipient;

    @Option(names = "--keep", arity = "0..1", fallbackValue = "yes", paramLabel = "AGE",
            description = "Leave messages on the server, downloading each once; with AGE (e.g. 7d), delete them once kept that long.")
    String keep;

    @Option(names = "--all", description = "Download every message, whatever the state says.")
    boolean all;

    @Option(names = "--state", paramLabel = "FILE", description = "State journal (default: $XDG_STATE_HOME/postoffice/ACCOUNT.state).")
    String state;

    @Option(names = "--config", paramLabel = "FILE", description = "Accounts file (default when no URL: $XDG_CONFIG_HOME/postoffice/fetch.conf).")
    Path config;

    @Option(names = "--parallel", paramLabel = "N", description = "Accounts fetched at once (default: ${DEFAULT-VALUE}).")
    int parallel = 4;

    @Option(names = "--password-command", paramLabel = "CMD", description = "Prints the password or OAuth token (first line).")
    String passwordCommand;

    @Option(names = "--password-file", paramLabel = "FILE", description = "Holds the password (first line).")
    String passwordFile;

    @Option(names = "--stls", description = "Require STLS even to this machine (always required elsewhere unless --allow-cleartext).")
    boolean stls;

    @Option(names = "--allow-cleartext", description = "Allow a password over a connection without TLS to another host.")
    boolean allowCleartext;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "Trust the PEM certificates in FILE instead of the system's.")
    String tlsCa;

    @Option(names = "--tls-fingerprint", paramLabel = "SHA256", description = "Trust only the certificate with this SHA-256 fingerprint.")
    String tlsFingerprint;

    @Option(names = "--keytab", paramLabel = "FILE", description = "For ;auth=GSSAPI: log in as the URL's user from this keytab instead of the ticket cache.")
    String keytab;

    @Option(names = "--max-size", paramLabel = "SIZE", description = "Leave larger messages on the server (e.g. 10M).")
    String maxSize;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Connect and read timeout (default 60s).")
    String timeout;

    @Option(names = "--batch", paramLabel = "N", description = "Messages per durability batch: one directory fsync and one journal fsync each (default 64).")
    String batch;

    @Option(names = "--crlf", description = "Keep the wire's CRLF line ends instead of writing LF.")
    boolean crlf;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
    boolean quiet;

    @Override
    public Integer call() {
        Map<String, String> env = System.getenv();
        if (keep != null && keep.contains("://") && url == null) {
            url = keep; // "--keep URL": the option's optional value swallowed the URL
            keep = "yes";
        }
        List<FetchAccount> accounts = new ArrayList<>();
        try {
            if (url != null) {
                Map<String, String> s = cliSettings();
                s.put("url", url);
                accounts.add(FetchAccount.of(url, s, env, true));
            } else {
                Path file = config != null ? config : FetchConfig.defaultPath(env);
                for (Map.Entry<String, Map<String, String>> e : FetchConfig.read(file).entrySet()) {
                    Map<String, String> s = new LinkedHashMap<>(e.getValue());
                    s.putAll(cliSettings());
                    accounts.add(FetchAccount.of(e.getKey(), s, env, false));
                }
                if (accounts.isEmpty()) {
                    throw new IllegalArgumentException(file + " defines no account");
                }
            }
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("postoffice fetch: " + e.getMessage());
            return e instanceof IOException ? PERMANENT : 2;
        }
        if (accounts.size() == 1) {
            boolean tty = System.console() != null && !quiet;
            return outcome(List.of(run(accounts.get(0), tty ? new ProgressLine(accounts.get(0).url().account(), System.err) : null)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(parallel, accounts.size())));
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (FetchAccount a : accounts) {
                futures.add(pool.submit(() -> run(a, null)));
            }
            List<Integer> codes = new ArrayList<>();
            for (Future<Integer> f : futures) {
                try {
                    codes.add(f.get());
                } catch (Exception e) {
                    codes.add(TEMPORARY);
                }
            }
            return outcome(codes);
        } finally {
            pool.shutdown();
        }
    }

    private Map<String, String> cliSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        put(s, "maildir", maildir);
        put(s, "mbox", mbox);
        put(s, "mda", mda);
        put(s, "lmtp", lmtp);
        put(s, "lmtp-recipient", lmtpRecipient);
        put(s, "keep", keep);
        put(s, "state", state);
        put(s, "password-command", passwordCommand);
        put(s, "password-file", passwordFile);
        put(s, "tls-ca", tlsCa);
        put(s, "tls-fingerprint", tlsFingerprint);
        put(s, "max-size", maxSize);
        put(s, "keytab", keytab);
        put(s, "timeout", timeout);
        put(s, "batch", batch);
        put(s, "all", all ? "yes" : null);
        put(s, "stls", stls ? "yes" : null);
        put(s, "allow-cleartext", allowCleartext ? "yes" : null);
        put(s, "crlf", crlf ? "yes" : null);
        return s;
    }

    private static void put(Map<String, String> s, String k, String v) {
        if (v != null) {
            s.put(k, v);
        }
    }

    private int run(FetchAccount a, ProgressLine progress) {
        long start = System.nanoTime();
        try {
            FetchResult r = a.fetch(progress);
            if (progress != null) {
                progress.clear();
            }
            if (!quiet) {
                System.out.println(summary(a, r, (System.nanoTime() - start) / 1e9));
            }
            if (!r.uidlNote().isEmpty() && !quiet) {
                System.err.println("postoffice fetch: " + a.url().account() + ": " + r.uidlNote());
            }
            return r.failed() > 0 ? TEMPORARY : r.anythingNew() ? NEW_MAIL : NOTHING_NEW;
        } catch (FetchException e) {
            if (progress != null) {
                progress.clear();
            }
            System.err.println("postoffice fetch: " + a.url().account() + ": " + e.getMessage());
            return e.temporary() ? TEMPORARY : PERMANENT;
        }
    }

    static String summary(FetchAccount a, FetchResult r, double seconds) {
        StringBuilder sb = new StringBuilder(a.url().account()).append(": ").append(r.fetched()).append(" new");
        if (r.fetched() > 0) {
            sb.append(String.format(" (%s in %.1fs, %.0f msg/s)", ProgressLine.bytes(r.bytes()), seconds, r.fetched() / Math.max(seconds, 1e-3)));
        }
        if (r.recovered() > 0) {
            sb.append(", ").append(r.recovered()).append(" recovered from an interrupted run");
        }
        sb.append(", ").append(r.deleted()).append(" deleted on the server");
        if (r.tooLarge() > 0) {
            sb.append(", ").append(r.tooLarge()).append(" left on the server as too large");
            if (r.noted() > 0) {
                sb.append(" (").append(r.noted()).append(r.noted() == 1 ? " note" : " notes").append(" delivered)");
            }
        }
        if (r.failed() > 0) {
            sb.append(", ").append(r.failed()).append(" the server would not send");
        }
        return sb.append(" (").append(r.login()).append(')').toString();
    }

    static int outcome(List<Integer> codes) {
        if (codes.contains(PERMANENT)) {
            return PERMANENT;
        }
        if (codes.contains(TEMPORARY)) {
            return TEMPORARY;
        }
        return codes.contains(NEW_MAIL) ? NEW_MAIL : NOTHING_NEW;
    }

    /** A progress line on a terminal: messages, bytes, rate and ETA, redrawn at most five times a second. */
    static final class ProgressLine implements Fetcher.Progress {
        private final String account;
        private final PrintStream out;
        private final long start = System.nanoTime();
        private long lastDraw;

        ProgressLine(String account, PrintStream out) {
            this.account = account;
            this.out = out;
        }

        @Override
        public void update(int done, int total, long bytes, long totalBytes) {
            long now = System.nanoTime();
            if (done < total && now - lastDraw < 200_000_000L) {
                return;
            }
            lastDraw = now;
            double s = Math.max((now - start) / 1e9, 1e-3);
            double rate = bytes / s;
            long eta = rate > 0 ? (long) ((totalBytes - bytes) / rate) : 0;
            out.printf("\r%s: %d/%d messages, %s/%s, %s/s, ETA %ds   ", account, done, total, bytes(bytes),
                    bytes(totalBytes), bytes((long) rate), eta);
            out.flush();
        }

        void clear() {
            if (lastDraw != 0) {
                out.print("\r\033[K");
                out.flush();
            }
        }

        static String bytes(long n) {
            if (n < 1024) {
                return n + " B";
            }
            if (n < 1024 * 1024) {
                return String.format("%.1f KB", n / 1024.0);
            }
            return String.format("%.1f MB", n / (1024.0 * 1024));
        }
    }
}
