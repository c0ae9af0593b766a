package dev.postoffice.app.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.postoffice.server.Cidr;
import dev.postoffice.server.listen.Pop3Server;
import dev.postoffice.server.session.SessionInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint ({@code serve --admin HOST:PORT}): {@code /health}, {@code /ready}, {@code /metrics} (Prometheus
 * text), {@code /sessions} and {@code /kick} ({@code postoffice who} and {@code kick}) and {@code /reload}
 * ({@code postoffice reload}). Only loopback and the {@code admin-allow} networks may connect; with a token, every
 * path but {@code /health} needs {@code Authorization: Bearer TOKEN}. See docs/operations.md.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /** What {@code /reload} answers: whether the new configuration was taken, and the report's lines. */
    public record ReloadResult(boolean applied, List<String> lines) {}

    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Pop3Server server;
    private final Metrics metrics;
    private final List<Cidr> allowed;
    private final byte[] token;
    private final BooleanSupplier storeReachable;
    private final Supplier<ReloadResult> reload;

    /**
     * @param allowed        networks besides loopback that may connect
     * @param token          the bearer token, or null for none
     * @param storeReachable whether the mail store can be used now (for {@code /ready})
     * @param reload         re-reads the configuration
     */
    public AdminServer(InetSocketAddress address, Pop3Server server, Metrics metrics, List<Cidr> allowed,
            String token, BooleanSupplier storeReachable, Supplier<ReloadResult> reload) throws IOException {
        this.server = server;
        this.metrics = metrics;
        this.allowed = List.copyOf(allowed);
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.storeReachable = storeReachable;
        this.reload = reload;
        http = HttpServer.create(address, 64);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
        log.info("admin endpoint listening on {}:{}{}", address.getAddress().getHostAddress(), port(),
                this.token == null ? "" : " (bearer token required)");
    }

    /** The port it listens on. */
    public int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            InetAddress peer = ex.getRemoteAddress().getAddress();
            if (!peer.isLoopbackAddress() && allowed.stream().noneMatch(c -> c.contains(peer))) {
                send(ex, 403, "forbidden: " + peer.getHostAddress() + " is not in admin-allow\n");
                return;
            }
            String path = ex.getRequestURI().getPath();
            if (!path.equals("/health") && token != null && !authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                send(ex, 401, "unauthorized: a bearer token is required\n");
                return;
            }
            String method = ex.getRequestMethod();
            boolean post = method.equals("POST");
            if (!post && !method.equals("GET")) {
                send(ex, 405, "method not allowed\n");
                return;
            }
            switch (path) {
                case "/health" -> send(ex, 200, "ok\n");
                case "/ready" -> ready(ex);
                case "/metrics" -> {
                    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    send(ex, 200, metrics.scrape());
                }
                case "/sessions" -> send(ex, 200, sessions(query(ex, "user")));
                case "/kick" -> kick(ex, post);
                case "/reload" -> {
                    if (!post) {
                        send(ex, 405, "use POST\n");
                        return;
                    }
                    ReloadResult r = reload.get();
                    send(ex, r.applied() ? 200 : 422, String.join("\n", r.lines()) + "\n");
                }
                default -> send(ex, 404, "not found; paths: /health /ready /metrics /sessions /kick /reload\n");
            }
        } catch (IOException e) {
            log.debug("admin request failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("admin request failed", e);
        }
    }

    private boolean authorized(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
    }

    private void ready(HttpExchange ex) throws IOException {
        List<String> problems = new ArrayList<>();
        if (!server.accepting()) {
            problems.add("listeners not accepting");
        }
        if (!storeReachable.getAsBoolean()) {
            problems.add("mail store not reachable");
        }
        server.context().tls().ifPresentOrElse(tls -> {
            if (tls.notAfter().isBefore(Instant.now())) {
                problems.add("TLS certificate expired on " + tls.notAfter());
            }
        }, () -> problems.add("no TLS certificate loaded"));
        send(ex, problems.isEmpty() ? 200 : 503, problems.isEmpty() ? "ready\n" : String.join("\n", problems) + "\n");
    }

    private String sessions(String user) {
        StringBuilder b = new StringBuilder("id\tuser\taddress\tlistener\tstate\tsince\tbytes_out\n");
        for (SessionInfo s : server.sessions()) {
            if (user == null || user.equals(s.user())) {
                b.append(s.id()).append('\t').append(s.user() == null ? "-" : s.user()).append('\t')
                        .append(s.address()).append('\t').append(s.listener()).append('\t').append(s.state())
                        .append('\t').append(s.since().truncatedTo(ChronoUnit.SECONDS)).append('\t')
                        .append(s.bytesOut()).append('\n');
            }
        }
        return b.toString();
    }

    private void kick(HttpExchange ex, boolean post) throws IOException {
        String user = query(ex, "user");
        if (!post || user == null || user.isEmpty()) {
            send(ex, 400, "use POST /kick?user=NAME\n");
            return;
        }
        int n = server.kick(user);
        log.info("admin: ended {} session(s) of {}", n, dev.postoffice.server.login.LoginPolicy.printable(user));
        send(ex, 200, "ended " + n + " session(s) of " + user + "\n");
    }

    private static String query(HttpExchange ex, String name) {
        String q = ex.getRequestURI().getRawQuery();
        if (q == null) {
            return null;
        }
        for (String part : q.split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).equals(name)) {
                return URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (!ex.getResponseHeaders().containsKey("Content-Type")) {
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        }
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
