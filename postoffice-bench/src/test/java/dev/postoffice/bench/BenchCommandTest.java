package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command end to end against the ceiling responder: table, JSON document and PNG chart. */
class BenchCommandTest {
    private static CeilingServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = CeilingServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of(),
                CeilingServer.synthetic(4, 2_000));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private record Run(int exit, String out) {}

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new BenchCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));
        int exit = cli.execute(args);
        return new Run(exit, out.toString());
    }

    private Path usersFile() throws Exception {
        Path users = dir.resolve("users");
        Files.writeString(users, "# test users\nalice pass one\nbob pass two\ncarol pass three\n");
        return users;
    }

    @Test
    void writesTheTableTheJsonAndThePng() throws Exception {
        Path json = dir.resolve("out/report.json");
        Path png = dir.resolve("out/chart.png");
        Run r = run("--port", String.valueOf(server.port()), "--users", usersFile().toString(), "--scenario", "download",
                "--concurrency", "2", "--sessions", "6", "--duration", "2m", "--label", "ceiling", "--no-progress",
                "--json", json.toString(), "--chart", png.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("download against", "sessions", "RETR", "errors    none");

        Object doc = Json.parse(Files.readString(json));
        assertThat(keys(doc)).contains("tool", "label", "scenario", "config", "started", "measured_s",
                "totals", "rates", "latency_ms", "errors", "error_samples", "timeline", "environment");
        assertThat(Json.at(doc, "scenario")).isEqualTo("download");
        assertThat(Json.at(doc, "label")).isEqualTo("ceiling");
        assertThat(Json.at(doc, "config", "concurrency")).isEqualTo(2L);
        assertThat(Json.at(doc, "config", "users")).isEqualTo(3L);
        assertThat(Json.at(doc, "totals", "sessions")).isEqualTo(6L);
        assertThat(Json.at(doc, "totals", "messages_retrieved")).isEqualTo(24L);
        assertThat(keys(Json.at(doc, "rates")))
                .containsExactly("sessions_per_s", "commands_per_s", "mb_per_s", "message_mb_per_s");
        assertThat(keys(Json.at(doc, "latency_ms")))
                .contains("connect", "USER", "PASS", "LIST", "UIDL", "RETR", "QUIT", "login", "session");
        assertThat(keys(Json.at(doc, "latency_ms", "RETR")))
                .containsExactly("count", "p50", "p90", "p99", "p999", "max", "mean");
        assertThat(Json.num(doc, "latency_ms", "RETR", "p99")).isGreaterThanOrEqualTo(Json.num(doc, "latency_ms", "RETR", "p50"));
        assertThat(keys(Json.at(doc, "errors"))).containsExactly("connect_refused", "in_use", "auth",
                "timeout", "protocol", "err_other", "closed", "io", "total");
        assertThat(Json.at(doc, "errors", "total")).isEqualTo(0L);
        assertThat(Json.at(doc, "timeline")).isInstanceOf(List.class);

        byte[] bytes = Files.readAllBytes(png);
        assertThat(Arrays.copyOf(bytes, 8)).containsExactly(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n');
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isPositive();
        assertThat(image.getHeight()).isGreaterThan(image.getWidth() / 2);
    }

    @Test
    void idleReportsHeldSessions() throws Exception {
        Path json = dir.resolve("idle.json");
        Run r = run("--port", String.valueOf(server.port()), "--users", usersFile().toString(), "--scenario", "idle",
                "--concurrency", "3", "--duration", "300ms", "--interval", "100ms", "--no-progress",
                "--json", json.toString());
        assertThat(r.exit()).isZero();
        Object doc = Json.parse(Files.readString(json));
        assertThat(Json.at(doc, "hold", "up_at_end")).isEqualTo(3L);
        assertThat(Json.at(doc, "hold", "failed")).isEqualTo(0L);
        assertThat(Json.at(doc, "ramp_latency_ms", "login")).isNotNull();
        assertThat(r.out()).contains("3 of 3 up at the end");
    }

    @Test
    void sourcesSpreadTheConnectionsOverARangeOfLocalAddresses() throws Exception {
        assertThat(BenchCommand.sources("127.0.1.254-127.0.2.1")).extracting(InetAddress::getHostAddress)
                .containsExactly("127.0.1.254", "127.0.1.255", "127.0.2.0", "127.0.2.1");
        assertThat(BenchCommand.sources(null)).isEmpty();
        Run r = run("--port", String.valueOf(server.port()), "--users", usersFile().toString(), "--scenario", "login",
                "--concurrency", "3", "--sessions", "9", "--duration", "2m", "--no-progress",
                "--sources", "127.0.3.1-127.0.3.3");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("errors    none");
        assertThat(run("--users", usersFile().toString(), "--sources", "127.0.0.9").exit()).isEqualTo(2);
        assertThat(run("--users", usersFile().toString(), "--sources", "127.0.0.9-127.0.0.1").exit()).isEqualTo(2);
        assertThat(run("--users", usersFile().toString(), "--sources", "1.2.3-1.2.3.4").exit()).isEqualTo(2);
    }

    @Test
    void badArgumentsAndMissingFilesGiveExitCodes() throws Exception {
        assertThat(run("--users", dir.resolve("missing").toString()).exit()).isEqualTo(BenchCommand.EX_NOINPUT);
        assertThat(run("--users", usersFile().toString(), "--scenario", "nope").exit()).isEqualTo(2);
        assertThat(run("--users", usersFile().toString(), "--duration", "soon").exit()).isEqualTo(2);
        assertThat(run("--users", usersFile().toString(), "--scenario", "idle", "--concurrency", "4").exit()).isEqualTo(2);
        Path bad = dir.resolve("bad");
        Files.writeString(bad, "nopassword\n");
        assertThat(run("--users", bad.toString()).exit()).isEqualTo(2);
        assertThat(run("--port", "1").exit()).isEqualTo(2); // --users is required
    }

    private static List<String> keys(Object map) {
        return ((Map<?, ?>) map).keySet().stream().map(String::valueOf).toList();
    }
}
