package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Over the wire: what keeps unauthenticated clients from holding the server's resources (docs/security.md). */
class HardeningSessionTest {
    @TempDir
    Path data;
    TestServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start(UnaryOperator<ServerConfig.Builder> c) throws Exception {
        server = new TestServer(data, c).user("alice", "secret");
        return server;
    }

    @Test
    void aConnectionThatKeepsSendingCommandsIsClosedAtThePreAuthLifetime() throws Exception {
        start(b -> b.preAuthTimeout(Duration.ofMinutes(5)).preAuthLifetime(Duration.ofMillis(1500)));
        try (RawClient c = new RawClient(server.port())) {
            String reply = "";
            for (int i = 0; i < 100 && !reply.startsWith("-ERR"); i++) {
                reply = c.cmd("USER alice"); // a command every 100 ms: the idle timeout never fires
                Thread.sleep(100);
            }
            assertThat(reply).isEqualTo("-ERR login took too long, closing the connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void theGreetingCarriesAnApopTimestampOnlyWhereApopMayBeUsed() throws Exception {
        start(b -> b.localNetworks(java.util.List.of()));
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.greeting).doesNotContain("<");
        }
        try (RawClient c = new RawClient(TlsClient.trusting(data.resolve("tls/cert.pem"))
                .getSocketFactory().createSocket("127.0.0.1", server.tlsPort()))) {
            assertThat(c.greeting).contains("<");
        }
        server.close();
        server = new TestServer(data);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.greeting).as("loopback is local").contains("<");
        }
    }

    @Test
    void theLifetimeEndsAtLogin() throws Exception {
        start(b -> b.preAuthLifetime(Duration.ofMillis(1500)));
        try (RawClient c = new RawClient(server.port())) {
            c.login("alice", "secret");
            assertThat(c.silentFor(3000)).isTrue();
            assertThat(c.cmd("STAT")).startsWith("+OK");
        }
    }
}
