package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.app.admin.AdminServer.ReloadResult;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.server.tls.TlsSettings;
import dev.postoffice.testkit.RawClient;
import dev.postoffice.testkit.TlsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration reload under open sessions: live keys reach the next connection only, restart keys are reported
 * and kept, an invalid file changes nothing, a new certificate is served to new connections.
 */
class ReloadTest {
    @TempDir
    Path dir;
    private Path conf;
    private DataDir data;
    private Service service;
    private Reloader reloader;

    @BeforeEach
    void start() throws Exception {
        conf = dir.resolve("postoffice.conf");
        Files.writeString(conf, "pop3 = 127.0.0.1:0\npop3s = 127.0.0.1:0\nhostname = localhost\n"
                + "max-bad-commands = 10\nauth-failure-delay = 0\nauth-failure-delay-max = 0\n");
        data = new DataDir(dir.resolve("data")).create();
        data.users().add("alice", PasswordSchemes.encode("PLAIN", "secret"));
        ServerSettings settings = ServerSettings.load(conf);
        ServerConfig cfg = settings.build(ServerConfig.builder());
        service = ServeCommand.start(cfg, data);
        reloader = new Reloader(conf, Map.of(), settings, service, data);
    }

    @AfterEach
    void stop() {
        service.close();
    }

    private static boolean closedAfterBadCommands(RawClient c, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            assertThat(c.cmd("BOGUS")).startsWith("-ERR");
        }
        return c.closedByServer();
    }

    @Test
    void aChangedLimitReachesTheNextSessionOnlyAndRestartKeysAreReported() throws Exception {
        try (RawClient open = new RawClient(service.port())) {
            Files.writeString(conf, Files.readString(conf).replace("max-bad-commands = 10", "max-bad-commands = 2")
                    .replace("pop3 = 127.0.0.1:0", "pop3 = 127.0.0.1:1"));
            ReloadResult r = reloader.reload();
            assertThat(r.applied()).isTrue();
            assertThat(r.lines()).contains("max-bad-commands: 10 -> 2 (new connections)")
                    .contains("pop3: needs a restart (running 127.0.0.1:0, file says 127.0.0.1:1)");
            try (RawClient next = new RawClient(service.port())) { // the listener was not moved
                assertThat(closedAfterBadCommands(next, 2)).isTrue();
            }
            for (int i = 0; i < 5; i++) { // the open session keeps its 10
                assertThat(open.cmd("BOGUS")).isEqualTo("-ERR unknown command");
            }
            open.login("alice", "secret");
        }
    }

    @Test
    void anInvalidFileIsRejectedWithLineNumbersAndTheRunningConfigurationStays() throws Exception {
        Files.writeString(conf, Files.readString(conf).replace("max-bad-commands = 10", "max-bad-commands = 2"));
        assertThat(reloader.reload().applied()).isTrue();
        Files.writeString(conf, "pop3 = 127.0.0.1:0\nmax-bad-commands = zero\nmax-bad-comands = 3\n");
        ReloadResult r = reloader.reload();
        assertThat(r.applied()).isFalse();
        assertThat(r.lines().get(0)).isEqualTo("reload rejected, still running the previous configuration:");
        assertThat(r.lines()).contains("  " + conf + ":2: max-bad-commands: not a whole number: 'zero'")
                .anyMatch(l -> l.startsWith("  " + conf + ":3: unknown setting 'max-bad-comands'"));
        try (RawClient c = new RawClient(service.port())) {
            assertThat(closedAfterBadCommands(c, 2)).isTrue(); // still 2, not the default 10
        }
    }

    @Test
    void aNewCertificateIsServedToNewConnectionsWhileAnOpenSessionGoesOn() throws Exception {
        Path other = dir.resolve("other-tls");
        TlsManager generated = TlsManager.create(new TlsSettings(Optional.empty(), Optional.empty(), other,
                "localhost", Duration.ofSeconds(10)));
        Path oldCert = service.server().context().tls().orElseThrow().certificatePath();
        try (TlsClient open = TlsClient.connect(service.tlsPort(), false, TlsClient.trusting(oldCert), "localhost",
                s -> { }, Duration.ofSeconds(10))) {
            String oldFingerprint = service.server().context().tls().orElseThrow().fingerprintSha256();
            Files.writeString(conf, Files.readString(conf) + "tls-cert = " + other.resolve("cert.pem") + "\n"
                    + "tls-key = " + other.resolve("key.pem") + "\n");
            ReloadResult r = reloader.reload();
            assertThat(r.applied()).isTrue();
            assertThat(r.lines()).anyMatch(l -> l.startsWith("tls-cert: (default) -> "));
            assertThat(service.server().context().tls().orElseThrow().fingerprintSha256())
                    .isEqualTo(generated.fingerprintSha256()).isNotEqualTo(oldFingerprint);
            try (TlsClient next = TlsClient.connect(service.tlsPort(), false,
                    TlsClient.trusting(other.resolve("cert.pem")), "localhost", s -> { }, Duration.ofSeconds(10))) {
                // the handshake trusting only the new certificate succeeded: it is the one served
                assertThat(next.send("CAPA")).startsWith("+OK"); // the greeting
            }
            assertThat(open.send("USER alice")).startsWith("+OK"); // the greeting, then USER's answer
            assertThat(TlsClient.readLine(open.socket().getInputStream())).startsWith("+OK");
            assertThat(open.send("PASS secret")).startsWith("+OK");
        }
    }
}
