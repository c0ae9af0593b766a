package dev.postoffice.app.admin;

import dev.postoffice.server.ServerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The server's {@link ServerMetrics} over a Micrometer Prometheus registry (the names are in docs/operations.md).
 * Every meter of a known label value is made up front and looked up without allocating, so that counting costs a
 * map lookup and an atomic add on the login path; an unexpected label value is made once, on first use.
 */
public final class Metrics implements ServerMetrics {
    /** The listeners a connection can come from; LMTP adds its own. */
    static final List<String> LISTENERS = List.of("pop3", "pop3s");
    static final List<String> MECHANISMS = List.of("USER", "APOP", "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
            "SCRAM-SHA-256", "OAUTHBEARER", "XOAUTH2");
    static final List<String> LOGIN_RESULTS = List.of("ok", "fail", "unavailable", "in-use", "maildrop-unavailable",
            "login-delay", "too-many-connections");
    static final List<String> COMMANDS = List.of("USER", "PASS", "APOP", "QUIT", "CAPA", "NOOP", "STAT", "LIST",
            "RETR", "DELE", "RSET", "TOP", "UIDL", "STLS", "AUTH", "UTF8", "LANG");
    /** Delivery results: {@code ok}, {@code temporary} (the sender retries), {@code permanent}. */
    public static final List<String> DELIVERY_RESULTS = List.of("ok", "temporary", "permanent");

    /** The command histogram's buckets: from a cached answer to a password check under load to a large RETR. */
    private static final Duration[] BUCKETS = {Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofMillis(5),
        Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(2),
        Duration.ofSeconds(10), Duration.ofSeconds(60)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Counter> connections = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Counter>> logins = new ConcurrentHashMap<>();
    private final Map<String, Counter> commands = new ConcurrentHashMap<>();
    private final Map<String, Timer> commandTimes = new ConcurrentHashMap<>();
    private final Map<String, Counter> handshakes = new ConcurrentHashMap<>();
    private final Counter failedHandshakes;
    private final Map<String, java.util.concurrent.atomic.AtomicLong> deliveries = new ConcurrentHashMap<>();
    /** Deliveries other processes counted (the LDA), by result. */
    private volatile java.util.function.ToLongFunction<String> outsideDeliveries = r -> 0;
    private final Counter retrievedBytes;
    private final Counter deletedMessages;

    public Metrics() {
        LISTENERS.forEach(this::listener);
        MECHANISMS.forEach(m -> LOGIN_RESULTS.forEach(r -> loginCounter(m, r)));
        COMMANDS.forEach(this::commandMeters);
        List.of("TLSv1.3", "TLSv1.2").forEach(this::handshake);
        failedHandshakes = Counter.builder("postoffice.tls.handshakes").tag("result", "failed").tag("protocol", "none")
                .description("TLS handshakes by outcome").register(registry);
        DELIVERY_RESULTS.forEach(this::delivery);
        retrievedBytes = Counter.builder("postoffice.retrieved.bytes").baseUnit("bytes")
                .description("Octets of messages sent by RETR").register(registry);
        deletedMessages = Counter.builder("postoffice.deleted.messages")
                .description("Messages removed in the UPDATE state").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The registry, for meters of other parts (LMTP) and for the scrape. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** Reports the hashing queue's depth ({@code postoffice_auth_queue_depth}). */
    public <T> void authQueue(T executor, ToDoubleFunction<T> depth) {
        Gauge.builder("postoffice.auth.queue.depth", executor, depth)
                .description("Password checks queued or running").strongReference(true).register(registry);
    }

    /**
     * Reports when the certificate in use expires, as seconds since the epoch
     * ({@code postoffice_tls_certificate_expiry_seconds}); the supplier may return null (no certificate).
     */
    public void certificateExpiry(Supplier<Instant> notAfter) {
        Gauge.builder("postoffice.tls.certificate.expiry", notAfter, s -> {
            Instant t = s.get();
            return t == null ? Double.NaN : t.getEpochSecond();
        }).strongReference(true).baseUnit("seconds").description("When the TLS certificate in use expires (Unix time)").register(registry);
    }

    /** Counts a delivery made in this process (LMTP): {@code result} one of {@link #DELIVERY_RESULTS}. */
    public void delivered(String result) {
        delivery(result).incrementAndGet();
    }

    /** Adds the deliveries other processes counted ({@code postoffice deliver}) to {@code postoffice_deliveries_total}. */
    public void deliveriesElsewhere(java.util.function.ToLongFunction<String> byResult) {
        outsideDeliveries = byResult;
    }

    @Override
    public void connectionAccepted(String listener) {
        Counter c = connections.get(listener);
        (c != null ? c : listener(listener)).increment();
    }

    @Override
    public void sessionStarted(String listener) {
        activeGauge(listener).incrementAndGet();
    }

    @Override
    public void sessionEnded(String listener) {
        activeGauge(listener).decrementAndGet();
    }

    @Override
    public void login(String mechanism, String result) {
        Map<String, Counter> byResult = logins.get(mechanism);
        Counter c = byResult == null ? null : byResult.get(result);
        (c != null ? c : loginCounter(mechanism, result)).increment();
    }

    @Override
    public void command(String keyword, long nanos) {
        Counter c = commands.get(keyword);
        if (c == null) {
            commandMeters(keyword);
            c = commands.get(keyword);
        }
        c.increment();
        commandTimes.get(keyword).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void retrieved(long octets) {
        retrievedBytes.increment(octets);
    }

    @Override
    public void deleted(int messages) {
        deletedMessages.increment(messages);
    }

    @Override
    public void tlsHandshake(boolean ok, String protocol) {
        if (!ok) {
            failedHandshakes.increment();
            return;
        }
        Counter c = handshakes.get(protocol);
        (c != null ? c : handshake(protocol)).increment();
    }

    private AtomicInteger activeGauge(String listener) {
        AtomicInteger n = active.get(listener);
        if (n == null) {
            listener(listener);
            n = active.get(listener);
        }
        return n;
    }

    private Counter listener(String listener) {
        active.computeIfAbsent(listener, l -> {
            AtomicInteger n = new AtomicInteger();
            Gauge.builder("postoffice.sessions.active", n, AtomicInteger::get).tag("listener", l)
                    .description("Sessions open now").register(registry);
            return n;
        });
        return connections.computeIfAbsent(listener, l -> Counter.builder("postoffice.connections")
                .tag("listener", l).description("Connections accepted").register(registry));
    }

    private Counter loginCounter(String mechanism, String result) {
        return logins.computeIfAbsent(mechanism, m -> new ConcurrentHashMap<>()).computeIfAbsent(result,
                r -> Counter.builder("postoffice.logins").tag("mechanism", mechanism).tag("result", r)
                        .description("Authentication attempts by outcome").register(registry));
    }

    private void commandMeters(String keyword) {
        commandTimes.computeIfAbsent(keyword, k -> Timer.builder("postoffice.command").tag("command", k)
                .serviceLevelObjectives(BUCKETS)
                .description("Time from reading a command to writing its reply").register(registry));
        commands.computeIfAbsent(keyword, k -> Counter.builder("postoffice.commands").tag("command", k)
                .description("Commands run").register(registry));
    }

    private Counter handshake(String protocol) {
        return handshakes.computeIfAbsent(protocol, p -> Counter.builder("postoffice.tls.handshakes")
                .tag("result", "ok").tag("protocol", p).description("TLS handshakes by outcome").register(registry));
    }

    private java.util.concurrent.atomic.AtomicLong delivery(String result) {
        return deliveries.computeIfAbsent(result, r -> {
            var n = new java.util.concurrent.atomic.AtomicLong();
            io.micrometer.core.instrument.FunctionCounter.builder("postoffice.deliveries", n,
                    c -> c.get() + outsideDeliveries.applyAsLong(r)).tag("result", r)
                    .description("Messages delivered into Maildirs (postoffice deliver and LMTP)").register(registry);
            return n;
        });
    }
}
