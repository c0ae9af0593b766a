package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.app.admin.Metrics;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.testkit.RawClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LMTP deliveries over a real socket move {@code postoffice_deliveries_total} by exactly their recipients. */
class LmtpMetricsTest {
    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+(?:\\{[^}]*\\})?) (\\S+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;
    private Service service;
    private Operations ops;

    @AfterEach
    void stop() {
        if (ops != null) {
            ops.close();
        }
        if (service != null) {
            service.close();
        }
    }

    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ops.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, Double> samples = new HashMap<>();
        Matcher m = SAMPLE.matcher(r.body());
        while (m.find()) {
            samples.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return samples;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String result) {
        String sample = "postoffice_deliveries_total{result=\"" + result + "\"}";
        assertThat(after).as("sample %s", sample).containsKey(sample);
        return after.get(sample) - before.getOrDefault(sample, 0.0);
    }

    @Test
    void lmtpRecipientsCountAsDeliveries() throws Exception {
        DataDir data = new DataDir(dir.resolve("data")).create();
        data.users().add("alice", PasswordSchemes.encode("PLAIN", "secret"));
        ServerConfig cfg = ServerConfig.builder().pop3Listen(new InetSocketAddress("127.0.0.1", 0))
                .hostname("localhost").authFailureDelay(Duration.ZERO).authFailureDelayMax(Duration.ZERO).build();
        ServerSettings settings = new ServerSettings();
        settings.set("lmtp", "127.0.0.1:0");
        settings.set("admin", "127.0.0.1:0");
        service = ServeCommand.start(cfg, data, new LmtpSettings(settings), new Metrics());
        ops = Operations.start(service, settings, data, new Reloader(null, Map.of(), settings, service, data));
        Map<String, Double> before = scrape();

        try (RawClient c = new RawClient(service.lmtp().port())) {
            assertThat(c.greeting()).startsWith("220 ");
            c.send("LHLO client.example\r\n");
            String line;
            do {
                line = c.line();
            } while (line.startsWith("250-"));
            assertThat(line).startsWith("250 ");
            assertThat(c.cmd("MAIL FROM:<sender@example.org>")).startsWith("250 ");
            assertThat(c.cmd("RCPT TO:<alice@localhost>")).startsWith("250 ");
            assertThat(c.cmd("RCPT TO:<nobody@localhost>")).startsWith("550 ");
            assertThat(c.cmd("DATA")).startsWith("354 ");
            assertThat(c.cmd("Subject: over LMTP\r\n\r\nhello\r\n.")).startsWith("250 ");
            assertThat(c.cmd("QUIT")).startsWith("221 ");
        }
        assertThat(service.store().usage(MailboxRef.of("alice")).messages()).isEqualTo(1L);

        Map<String, Double> after = scrape();
        assertThat(delta(before, after, "ok")).isEqualTo(1.0);
        assertThat(delta(before, after, "permanent")).isEqualTo(1.0);
        assertThat(delta(before, after, "temporary")).isZero();
    }
}
