package dev.postoffice.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code lmtp} scenario: clients each keep one LMTP connection (as Postfix caches them) and run transactions
 * back to back, MAIL, RCPT and DATA pipelined, one message of a fixed size to the next user of the list; a
 * delivery counts when the server answers 250 after the dot. Works against any LMTP server (Dovecot's too).
 */
final class LmtpLoad {
    /** What to run. */
    record Config(InetSocketAddress address, int concurrency, Duration duration, Duration warmup, int timeoutMillis,
            int messageSize) {}

    private final Config config;
    private final byte[] message;
    private final Histogram latency = new Histogram();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong next = new AtomicLong();
    private volatile boolean measuring;
    private volatile boolean stop;
    private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

    LmtpLoad(Config config) {
        this.config = config;
        this.message = message(config.messageSize());
    }

    /** A message of exactly {@code size} octets (at least a header), CRLF lines of 76 octets. */
    static byte[] message(int size) {
        StringBuilder b = new StringBuilder("From: bench@localhost\r\nSubject: lmtp bench\r\n\r\n");
        String line = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl\r\n";
        while (b.length() + line.length() <= size) {
            b.append(line);
        }
        while (b.length() < size - 2) {
            b.append('x');
        }
        b.append("\r\n");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Runs the load and returns the report. */
    Map<String, Object> run(List<String> users, PrintStream progress) throws InterruptedException {
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < config.concurrency(); i++) {
            clients.add(Thread.ofVirtual().start(() -> client(users)));
        }
        Thread.sleep(config.warmup().toMillis());
        long before = delivered.get();
        long failedBefore = failed.get();
        measuring = true;
        long start = System.nanoTime();
        Thread.sleep(config.duration().toMillis());
        measuring = false;
        double seconds = (System.nanoTime() - start) / 1e9;
        long count = delivered.get() - before;
        stop = true;
        for (Thread t : clients) {
            t.join(config.timeoutMillis() + 1000L);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("scenario", "lmtp");
        doc.put("server", config.address().getHostString() + ":" + config.address().getPort());
        doc.put("concurrency", config.concurrency());
        doc.put("message_octets", message.length);
        doc.put("seconds", Math.round(seconds * 100) / 100.0);
        doc.put("deliveries", count);
        doc.put("deliveries_per_second", Math.round(count / seconds * 10) / 10.0);
        doc.put("failures", failed.get() - failedBefore);
        doc.put("latency_ms_p50", latency.percentile(50) / 1000.0);
        doc.put("latency_ms_p99", latency.percentile(99) / 1000.0);
        doc.put("first_errors", new ArrayList<>(errors.subList(0, Math.min(5, errors.size()))));
        if (progress != null) {
            progress.printf("lmtp: %d deliveries in %.1f s: %.1f/s, p50 %.2f ms, p99 %.2f ms, %d failures%n", count,
                    seconds, count / seconds, latency.percentile(50) / 1000.0, latency.percentile(99) / 1000.0,
                    failed.get() - failedBefore);
        }
        return doc;
    }

    private void client(List<String> users) {
        while (!stop) {
            try (Socket s = new Socket()) {
                s.connect(config.address(), config.timeoutMillis());
                s.setSoTimeout(config.timeoutMillis());
                s.setTcpNoDelay(true);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = new BufferedOutputStream(s.getOutputStream());
                expect(in, "220");
                out.write("LHLO bench.localhost\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                // SIZE only where advertised (Dovecot 2.3's LMTP refuses the parameter otherwise).
                String size = expect(in, "250").contains("SIZE") ? " SIZE=" + message.length : "";
                while (!stop) {
                    String user = users.get((int) (next.getAndIncrement() % users.size()));
                    long t0 = System.nanoTime();
                    out.write(("MAIL FROM:<bench@localhost>" + size + "\r\nRCPT TO:<" + user
                            + ">\r\nDATA\r\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    expect(in, "250");
                    expect(in, "250");
                    expect(in, "354");
                    out.write(message);
                    out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    expect(in, "250");
                    if (measuring) {
                        latency.record((System.nanoTime() - t0) / 1000);
                    }
                    delivered.incrementAndGet();
                }
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                failed.incrementAndGet();
                if (errors.size() < 100) {
                    errors.add(e.getMessage());
                }
            }
        }
    }

    /** Reads one reply (all its lines), checks its code and returns its lines. */
    private static String expect(InputStream in, String code) throws IOException {
        String line;
        StringBuilder all = new StringBuilder();
        do {
            StringBuilder b = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                b.append((char) c);
            }
            line = b.toString().strip();
            all.append(line).append('\n');
        } while (line.length() > 3 && line.charAt(3) == '-');
        if (!line.startsWith(code)) {
            throw new IOException("expected " + code + ", got: " + line);
        }
        return all.toString();
    }
}
