package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.app.admin.Metrics;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.testkit.RawClient;
import dev.postoffice.testkit.TlsClient;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin endpoint over real HTTP while real POP3 sessions run: counters move by exactly what the sessions did,
 * health and readiness, the bearer token, who and kick.
 */
class AdminEndpointTest {
    private static final String MESSAGE = "Subject: hello\r\n\r\nbody line\r\n";
    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+(?:\\{[^}]*\\})?) (\\S+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;
    private Service service;
    private Operations ops;
    private final HttpClient http = HttpClient.newHttpClient();

    private void start(ServerSettings settings) throws Exception {
        DataDir data = new DataDir(dir.resolve("data")).create();
        data.users().add("alice", PasswordSchemes.encode("PLAIN", "secret"));
        try (var store = data.store()) {
            for (int i = 0; i < 3; i++) {
                store.deliver(MailboxRef.of("alice"), Envelope.none(),
                        new ByteArrayInputStream(MESSAGE.getBytes(StandardCharsets.US_ASCII)));
            }
        }
        ServerConfig cfg = ServerConfig.builder().pop3Listen(new InetSocketAddress("127.0.0.1", 0))
                .pop3sListen(new InetSocketAddress("127.0.0.1", 0)).hostname("localhost")
                .authFailureDelay(Duration.ZERO).authFailureDelayMax(Duration.ZERO).build();
        service = ServeCommand.start(cfg, data, new Metrics());
        if (settings.get("admin") == null) {
            settings.set("admin", "127.0.0.1:0");
        }
        ops = Operations.start(service, settings, data, new Reloader(null, Map.of(), settings, service, data));
    }

    @AfterEach
    void stop() {
        if (ops != null) {
            ops.close();
        }
        if (service != null) {
            service.close();
        }
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        return request("GET", path, token);
    }

    private HttpResponse<String> request(String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ops.adminPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = get("/metrics", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        Map<String, Double> samples = new HashMap<>();
        Matcher m = SAMPLE.matcher(r.body());
        while (m.find()) {
            samples.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return samples;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String sample) {
        assertThat(after).as("sample %s after", sample).containsKey(sample);
        return after.get(sample) - before.getOrDefault(sample, 0.0);
    }

    @Test
    void countersMoveByExactlyWhatTheSessionsDid() throws Exception {
        start(new ServerSettings());
        Map<String, Double> before = scrape();
        assertThat(before).containsKeys("postoffice_auth_queue_depth", "process_uptime_seconds",
                "postoffice_tls_certificate_expiry_seconds");
        assertThat(before.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{"));
        long expiry = service.server().context().tls().orElseThrow().notAfter().getEpochSecond();
        assertThat(before.get("postoffice_tls_certificate_expiry_seconds")).isEqualTo((double) expiry);

        long size;
        try (RawClient c = new RawClient(service.port())) {
            assertThat(c.cmd("USER alice")).startsWith("+OK");
            assertThat(c.cmd("PASS wrong")).startsWith("-ERR [AUTH]");
            c.login("alice", "secret");
            assertThat(scrape().get("postoffice_sessions_active{listener=\"pop3\"}")).isEqualTo(1.0);
            String list = c.cmd("LIST 1");
            size = Long.parseLong(list.split(" ")[2]);
            assertThat(c.cmd("RETR 1")).startsWith("+OK");
            c.multiline();
            assertThat(c.cmd("RETR 2")).startsWith("+OK");
            c.multiline();
            assertThat(c.cmd("DELE 1")).startsWith("+OK");
            assertThat(c.cmd("DELE 3")).startsWith("+OK");
            assertThat(c.cmd("QUIT")).startsWith("+OK");
            assertThat(c.closedByServer()).isTrue();
        }
        try (TlsClient t = TlsClient.connect(service.tlsPort(), false,
                TlsClient.trusting(service.server().context().tls().orElseThrow().certificatePath()), "localhost",
                s -> { }, Duration.ofSeconds(10))) {
            assertThat(t.send("QUIT")).startsWith("+OK");
        }
        Path msg = dir.resolve("msg.eml");
        Files.writeString(msg, "Subject: via the LDA\n\nhi\n");
        assertThat(Main.run("deliver", "--user", "alice", "--data", dir.resolve("data").toString(), msg.toString()))
                .isZero();
        assertThat(Main.run("deliver", "--user", "nobody", "--data", dir.resolve("data").toString(), msg.toString()))
                .isEqualTo(DeliverCommand.EX_NOUSER);
        Map<String, Double> after = awaitSessionsEnded();
        assertThat(delta(before, after, "postoffice_deliveries_total{result=\"ok\"}")).isEqualTo(1);
        assertThat(delta(before, after, "postoffice_deliveries_total{result=\"permanent\"}")).isEqualTo(1);
        assertThat(delta(before, after, "postoffice_deliveries_total{result=\"temporary\"}")).isZero();
        assertThat(delta(before, after, "postoffice_connections_total{listener=\"pop3\"}")).isEqualTo(1);
        assertThat(delta(before, after, "postoffice_connections_total{listener=\"pop3s\"}")).isEqualTo(1);
        assertThat(delta(before, after, "postoffice_logins_total{mechanism=\"USER\",result=\"fail\"}")).isEqualTo(1);
        assertThat(delta(before, after, "postoffice_logins_total{mechanism=\"USER\",result=\"ok\"}")).isEqualTo(1);
        assertThat(delta(before, after, "postoffice_commands_total{command=\"USER\"}")).isEqualTo(2);
        assertThat(delta(before, after, "postoffice_commands_total{command=\"RETR\"}")).isEqualTo(2);
        assertThat(delta(before, after, "postoffice_commands_total{command=\"DELE\"}")).isEqualTo(2);
        assertThat(delta(before, after, "postoffice_commands_total{command=\"QUIT\"}")).isEqualTo(2);
        assertThat(delta(before, after, "postoffice_commands_total{command=\"LIST\"}")).isEqualTo(1);
        assertThat(delta(before, after, "postoffice_command_seconds_count{command=\"RETR\"}")).isEqualTo(2);
        assertThat(after.get("postoffice_command_seconds_bucket{command=\"RETR\",le=\"+Inf\"}")).isEqualTo(2);
        assertThat(delta(before, after, "postoffice_retrieved_bytes_total")).isEqualTo(2 * size);
        assertThat(delta(before, after, "postoffice_deleted_messages_total")).isEqualTo(2);
        assertThat(delta(before, after, "postoffice_tls_handshakes_total{protocol=\"TLSv1.3\",result=\"ok\"}"))
                .isEqualTo(1);
        assertThat(after.get("postoffice_sessions_active{listener=\"pop3\"}")).isZero();
        assertThat(after.get("postoffice_auth_queue_depth")).isZero();
        System.gc(); // gauges must hold what they read: a weakly held supplier would now read NaN
        assertThat(scrape().get("postoffice_tls_certificate_expiry_seconds")).isEqualTo((double) expiry);
    }

    /** A session's end is counted when its thread has finished, just after the client saw the connection close. */
    private Map<String, Double> awaitSessionsEnded() throws Exception {
        for (int i = 0; i < 500; i++) {
            Map<String, Double> s = scrape();
            if (s.get("postoffice_sessions_active{listener=\"pop3\"}") == 0
                    && s.get("postoffice_sessions_active{listener=\"pop3s\"}") == 0) {
                return s;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("sessions did not end");
    }

    @Test
    void healthAndReadiness() throws Exception {
        start(new ServerSettings());
        assertThat(get("/health", null).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/ready", null);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("ready\n");
        assertThat(get("/nothing", null).statusCode()).isEqualTo(404);
        service.server().close(); // listeners stop: alive, but no longer ready
        assertThat(get("/health", null).statusCode()).isEqualTo(200);
        ready = get("/ready", null);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("listeners not accepting");
    }

    /** This machine's first non-loopback IPv4 address: connecting to it comes from it, not from loopback. */
    private static java.net.InetAddress outsideAddress() throws Exception {
        for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                for (var a : java.util.Collections.list(nif.getInetAddresses())) {
                    if (a instanceof java.net.Inet4Address) {
                        return a;
                    }
                }
            }
        }
        return null;
    }

    private int statusFrom(java.net.InetAddress address, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + address.getHostAddress() + ":" + ops.adminPort()
                + path)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void onlyLoopbackAndTheAllowedNetworksAreServed() throws Exception {
        java.net.InetAddress outside = outsideAddress();
        org.junit.jupiter.api.Assumptions.assumeTrue(outside != null, "no non-loopback IPv4 address on this machine");
        start(new ServerSettings().set("admin", "0.0.0.0:0"));
        assertThat(statusFrom(outside, "/health")).isEqualTo(403);
        assertThat(statusFrom(outside, "/metrics")).isEqualTo(403);
        assertThat(get("/health", null).statusCode()).isEqualTo(200);
        ops.close();
        ServerSettings allowing = new ServerSettings().set("admin", "0.0.0.0:0")
                .set("admin-allow", outside.getHostAddress() + "/32");
        DataDir data = new DataDir(dir.resolve("data"));
        ops = Operations.start(service, allowing, data, new Reloader(null, Map.of(), allowing, service, data));
        assertThat(statusFrom(outside, "/metrics")).isEqualTo(200);
    }

    @Test
    void aTokenGuardsEverythingButHealth() throws Exception {
        Path token = dir.resolve("admin-token");
        Files.writeString(token, "s3cret-token\n");
        start(new ServerSettings().set("admin-token-file", token.toString()));
        assertThat(get("/health", null).statusCode()).isEqualTo(200);
        for (String path : new String[] {"/metrics", "/ready", "/sessions"}) {
            assertThat(get(path, null).statusCode()).as(path).isEqualTo(401);
            assertThat(get(path, "wrong").statusCode()).as(path).isEqualTo(401);
            assertThat(get(path, "s3cret-token").statusCode()).as(path).isEqualTo(200);
        }
        assertThat(request("POST", "/kick?user=alice", null).statusCode()).isEqualTo(401);
    }

    @Test
    void whoListsSessionsAndKickEndsThemWithNothingDeleted() throws Exception {
        start(new ServerSettings());
        try (RawClient alice = new RawClient(service.port()); RawClient anonymous = new RawClient(service.port())) {
            alice.login("alice", "secret");
            assertThat(alice.cmd("RETR 1")).startsWith("+OK");
            alice.multiline();
            assertThat(alice.cmd("DELE 1")).startsWith("+OK");
            assertThat(anonymous.cmd("CAPA")).startsWith("+OK");
            anonymous.multiline();
            HttpResponse<String> who = get("/sessions", null);
            assertThat(who.statusCode()).isEqualTo(200);
            String[] lines = who.body().split("\n");
            assertThat(lines[0]).isEqualTo("id\tuser\taddress\tlistener\tstate\tsince\tbytes_out");
            assertThat(lines).hasSize(3);
            assertThat(lines).anyMatch(l -> l.matches("\\d+\talice\t127\\.0\\.0\\.1\tpop3\ttransaction\t\\S+Z\t\\d+"));
            assertThat(lines).anyMatch(l -> l.matches("\\d+\t-\t127\\.0\\.0\\.1\tpop3\tauthorization\t\\S+Z\t\\d+"));
            assertThat(get("/sessions?user=alice", null).body().split("\n")).hasSize(2);
            assertThat(get("/sessions?user=bob", null).body().split("\n")).hasSize(1);

            assertThat(get("/kick?user=alice", null).statusCode()).isEqualTo(400); // changes need POST
            HttpResponse<String> kick = request("POST", "/kick?user=alice", null);
            assertThat(kick.statusCode()).isEqualTo(200);
            assertThat(kick.body()).isEqualTo("ended 1 session(s) of alice\n");
            assertThat(alice.closedByServer()).isTrue();
            assertThat(anonymous.cmd("NOOP")).startsWith("-ERR"); // the other session goes on
        }
        try (RawClient again = new RawClient(service.port())) {
            again.login("alice", "secret"); // the maildrop was released
            assertThat(again.cmd("STAT")).startsWith("+OK 3 "); // DELE 1 was not applied
        }
    }
}
