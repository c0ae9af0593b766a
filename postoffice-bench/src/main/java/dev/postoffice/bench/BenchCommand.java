package dev.postoffice.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postoffice bench}: a POP3 load generator for operators. Prints a table on stdout, optionally
 * writes the whole report as JSON and a PNG chart, and shows a progress line on stderr while it runs.
 *
 * <p>Exit codes: 0 the run completed (errors, if any, are in the report), 1 not a single session
 * succeeded, 2 bad arguments or users file, 66 the users file cannot be read, 74 the report cannot be
 * written.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load-test a POP3 server: virtual-thread clients, each logged in as a different user "
                + "from FILE (one session per maildrop at a time).",
                "Scenarios: login (USER/PASS, STAT, QUIT), download (LIST, UIDL, RETR all, QUIT, no DELE), "
                        + "mixed (a blend of polls, fetches, TOP scans and downloads), idle (hold N sessions, "
                        + "NOOP every --interval), stat (hold N sessions, STAT every --interval); lmtp: deliveries "
                        + "over LMTP to the users of FILE (--port is the LMTP port; passwords unused).",
                "Only point it at servers you run: it opens as many connections as you ask for."})
public final class BenchCommand implements Callable<Integer> {
    static final int EX_NOINPUT = 66;
    static final int EX_IOERR = 74;

    @Option(names = "--host", paramLabel = "H", description = "Server address (default: ${DEFAULT-VALUE}).",
            defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", paramLabel = "P", description = "Server port (default: ${DEFAULT-VALUE}).",
            defaultValue = "110")
    int port;

    @Option(names = "--users", paramLabel = "FILE", required = true,
            description = "Accounts, one 'name password' per line (the password is the rest of the line; # comments).")
    Path users;

    @Option(names = "--scenario", paramLabel = "X", defaultValue = "login",
            description = "login, download, mixed, idle, stat or lmtp (default: ${DEFAULT-VALUE}).")
    String scenario;

    @Option(names = "--message-size", paramLabel = "OCTETS", defaultValue = "4096",
            description = "lmtp: the size of each message delivered (default: ${DEFAULT-VALUE}).")
    int messageSize;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "16",
            description = "Clients running sessions back to back, or sessions held by idle and stat (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--duration", paramLabel = "S", defaultValue = "10",
            description = "Measured time: seconds, or 500ms, 30s, 2m (default: ${DEFAULT-VALUE}). For idle and stat, how long all sessions are held.")
    String duration;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "0",
            description = "Load before measuring, not counted (login, download, mixed; default: ${DEFAULT-VALUE}).")
    String warmup;

    @Option(names = "--interval", paramLabel = "S",
            description = "Seconds between commands of a held session (default: 30 for idle, 1 for stat).")
    String interval;

    @Option(names = "--ramp", paramLabel = "N", defaultValue = "64",
            description = "Held sessions logging in at the same time (default: ${DEFAULT-VALUE}).")
    int ramp;

    @Option(names = "--sessions", paramLabel = "N", defaultValue = "0",
            description = "Stop after starting this many sessions (default: no limit, only --duration).")
    long sessions;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "30",
            description = "Longest wait for a response (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--connect-timeout", paramLabel = "S", defaultValue = "10",
            description = "Longest wait for a TCP connection (default: ${DEFAULT-VALUE}).")
    String connectTimeout;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the whole report (config, rates, "
            + "latency percentiles, errors, per-second timeline) as JSON.")
    Path json;

    @Option(names = "--chart", paramLabel = "FILE.png", description = "Draw the timeline and latencies as a PNG.")
    Path chart;

    @Option(names = "--label", paramLabel = "TEXT", description = "A name for the server under test, kept in the report.")
    String label;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the mixed scenario's choices, so that runs against different servers match (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--sources", paramLabel = "FIRST-LAST",
            description = "Make the connections from these IPv4 addresses in turn, e.g. 127.0.1.1-127.0.1.250 on"
                    + " loopback, so that per-address limits see many clients as they would in production.")
    String sourceRange;

    @Option(names = "--no-progress", description = "No progress line on stderr.")
    boolean noProgress;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The addresses of an IPv4 range {@code FIRST-LAST} (at most 65,536), or none for null. */
    static List<InetAddress> sources(String range) throws UnknownHostException {
        if (range == null) {
            return List.of();
        }
        String[] ends = range.split("-", 2);
        if (ends.length != 2) {
            throw new IllegalArgumentException("--sources is FIRST-LAST, e.g. 127.0.1.1-127.0.1.250");
        }
        long first = ipv4(ends[0]);
        long last = ipv4(ends[1]);
        if (last < first || last - first >= 65_536) {
            throw new IllegalArgumentException("--sources: LAST must follow FIRST, at most 65536 addresses");
        }
        List<InetAddress> out = new java.util.ArrayList<>();
        for (long a = first; a <= last; a++) {
            out.add(InetAddress.getByAddress(new byte[] {(byte) (a >> 24), (byte) (a >> 16), (byte) (a >> 8), (byte) a}));
        }
        return out;
    }

    private static long ipv4(String text) {
        String[] parts = text.strip().split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--sources: not an IPv4 address: " + text);
        }
        long a = 0;
        for (String p : parts) {
            int v;
            try {
                v = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("--sources: not an IPv4 address: " + text);
            }
            a = a << 8 | v;
        }
        return a;
    }

    /** Runs the generator without the postoffice launcher: {@code java -cp ... dev.postoffice.bench.BenchCommand}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    @Override
    public Integer call() {
        if (scenario.equalsIgnoreCase("lmtp")) {
            return lmtp();
        }
        PrintStream err = System.err;
        LoadRunner.Config config;
        List<UsersFile.Credentials> accounts;
        try {
            Scenario sc = parseScenario(scenario);
            Duration d = Durations.parse(duration, "--duration");
            Duration w = Durations.parse(warmup, "--warmup");
            double iv = interval == null ? sc.defaultInterval() : Durations.parse(interval, "--interval").toNanos() / 1e9;
            if (d.isZero() || d.compareTo(Duration.ofHours(24)) > 0) {
                throw new IllegalArgumentException("--duration must be more than 0 and at most 24h");
            }
            if (concurrency < 1 || concurrency > 200_000) {
                throw new IllegalArgumentException("--concurrency must be between 1 and 200000");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--port must be between 1 and 65535");
            }
            if (iv <= 0) {
                throw new IllegalArgumentException("--interval must be more than 0");
            }
            if (ramp < 1 || sessions < 0) {
                throw new IllegalArgumentException("--ramp must be at least 1 and --sessions at least 0");
            }
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
            config = new LoadRunner.Config(address, sc, concurrency, d, w,
                    millis(Durations.parse(connectTimeout, "--connect-timeout")),
                    millis(Durations.parse(timeout, "--timeout")), iv, ramp, sessions, seed,
                    noProgress ? null : err, sources(sourceRange));
            accounts = UsersFile.read(users);
            if (accounts.isEmpty()) {
                throw new IllegalArgumentException(users + " has no users");
            }
        } catch (NoSuchFileException e) {
            err.println("postoffice bench: " + users + ": no such file");
            return EX_NOINPUT;
        } catch (UnknownHostException e) {
            err.println("postoffice bench: unknown host " + host);
            return 2;
        } catch (IOException e) {
            err.println("postoffice bench: " + users + ": " + e.getMessage());
            return EX_NOINPUT;
        } catch (IllegalArgumentException e) {
            err.println("postoffice bench: " + e.getMessage());
            return 2;
        }

        LoadRunner.Result result;
        try {
            result = new LoadRunner(config).run(accounts);
        } catch (IllegalArgumentException e) {
            err.println("postoffice bench: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("postoffice bench: interrupted");
            return 1;
        }
        Map<String, Object> doc = Report.document(result, label);
        spec.commandLine().getOut().print(Report.table(doc));
        spec.commandLine().getOut().flush();
        try {
            if (json != null) {
                Path parent = json.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(json, Json.write(doc), StandardCharsets.UTF_8);
            }
            if (chart != null) {
                Charts.writeRun(doc, chart);
            }
        } catch (IOException e) {
            err.println("postoffice bench: cannot write the report: " + e.getMessage());
            return EX_IOERR;
        }
        boolean anySuccess = result.hold() != null ? result.hold().established() > 0 : result.totals().sessions() > 0;
        return anySuccess ? 0 : 1;
    }

    /** The lmtp scenario: deliveries per second (see {@link LmtpLoad}). */
    private int lmtp() {
        PrintStream err = System.err;
        Map<String, Object> doc;
        try {
            if (messageSize < 64 || messageSize > 100 << 20) {
                throw new IllegalArgumentException("--message-size must be between 64 and 104857600");
            }
            if (concurrency < 1 || concurrency > 10_000) {
                throw new IllegalArgumentException("--concurrency must be between 1 and 10000 for lmtp");
            }
            List<String> names = UsersFile.read(users).stream().map(UsersFile.Credentials::name).toList();
            if (names.isEmpty()) {
                throw new IllegalArgumentException(users + " has no users");
            }
            LmtpLoad.Config c = new LmtpLoad.Config(new InetSocketAddress(InetAddress.getByName(host), port),
                    concurrency, Durations.parse(duration, "--duration"), Durations.parse(warmup, "--warmup"),
                    millis(Durations.parse(timeout, "--timeout")), messageSize);
            doc = new LmtpLoad(c).run(names, null);
        } catch (NoSuchFileException e) {
            err.println("postoffice bench: " + users + ": no such file");
            return EX_NOINPUT;
        } catch (IOException e) {
            err.println("postoffice bench: " + e.getMessage());
            return EX_NOINPUT;
        } catch (IllegalArgumentException e) {
            err.println("postoffice bench: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        if (label != null) {
            doc.put("label", label);
        }
        spec.commandLine().getOut().printf("lmtp %s: %s deliveries/s (%s in %s s, %d clients, %s-octet messages), "
                + "latency p50 %s ms, p99 %s ms, %s failures%n", label == null ? doc.get("server") : label,
                doc.get("deliveries_per_second"), doc.get("deliveries"), doc.get("seconds"), concurrency,
                doc.get("message_octets"), doc.get("latency_ms_p50"), doc.get("latency_ms_p99"), doc.get("failures"));
        spec.commandLine().getOut().flush();
        try {
            if (json != null) {
                Files.writeString(json, Json.write(doc), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            err.println("postoffice bench: cannot write the report: " + e.getMessage());
            return EX_IOERR;
        }
        return ((Number) doc.get("deliveries")).longValue() > 0 ? 0 : 1;
    }

    private static Scenario parseScenario(String s) {
        try {
            return Scenario.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown scenario '" + s + "' (login, download, mixed, idle, stat)");
        }
    }

    private static int millis(Duration d) {
        long ms = d.toMillis();
        if (ms < 1 || ms > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeouts must be between 1ms and 24 days");
        }
        return (int) ms;
    }
}
