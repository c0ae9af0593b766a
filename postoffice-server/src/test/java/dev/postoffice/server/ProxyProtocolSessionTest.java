package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.server.session.Session;
import dev.postoffice.testkit.LogCapture;
import dev.postoffice.testkit.RawClient;
import dev.postoffice.testkit.TlsClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Over the wire: connections from a trusted proxy start with a PROXY header, whose client address then counts. */
class ProxyProtocolSessionTest {
    @TempDir
    Path data;
    TestServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start(String trusted, UnaryOperator<ServerConfig.Builder> more) throws Exception {
        server = new TestServer(data, b -> more.apply(b.proxyProtocolFrom(List.of(Cidr.parse(trusted)))
                .handshakeTimeout(Duration.ofSeconds(2)))).user("alice", "secret");
        return server;
    }

    private Socket connect(int port, byte[] header) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(20_000);
        s.getOutputStream().write(header);
        s.getOutputStream().flush();
        return s;
    }

    private static byte[] v1(String client) {
        return ("PROXY TCP4 " + client + " 127.0.0.1 40000 110\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] v2(int command, String client) throws IOException {
        byte[] block = command == 0 ? new byte[0] : ByteBuffer.allocate(12)
                .put(InetAddress.getByName(client).getAddress()).put(new byte[] {127, 0, 0, 1})
                .putShort((short) 40000).putShort((short) 110).array();
        return ByteBuffer.allocate(16 + block.length).put(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a"))
                .put((byte) (0x20 | command)).put((byte) (command == 0 ? 0 : 0x11)).putShort((short) block.length)
                .put(block).array();
    }

    @Test
    void theHeadersClientAddressIsWhatLoginRulesAndLogsUse() throws Exception {
        start("127.0.0.1/32", UnaryOperator.identity());
        try (LogCapture log = new LogCapture(Session.class)) {
            try (RawClient c = new RawClient(connect(server.port(), v1("192.0.2.7")))) {
                assertThat(c.greeting()).startsWith("+OK");
                assertThat(c.cmd("USER alice")).as("192.0.2.7 is not local: no cleartext password")
                        .startsWith("-ERR [AUTH]");
            }
            try (RawClient c = new RawClient(connect(server.port(), v2(1, "127.0.0.9")))) {
                c.login("alice", "secret");
                assertThat(c.cmd("QUIT")).startsWith("+OK");
            }
            awaitLog(log, "ip=127.0.0.9 user=alice");
            assertThat(log.all()).noneMatch(l -> l.contains("user=alice") && l.contains("ip=127.0.0.1 "));
        }
    }

    @Test
    void aLocalHeaderIsAHealthCheckOnTheProxysOwnAddress() throws Exception {
        start("127.0.0.1/32", UnaryOperator.identity());
        try (RawClient c = new RawClient(connect(server.port(), v2(0, null)))) {
            assertThat(c.greeting()).startsWith("+OK");
            c.login("alice", "secret"); // 127.0.0.1 is local: cleartext allowed
        }
    }

    @Test
    void aTrustedPeerWithoutAValidHeaderIsClosedUnanswered() throws Exception {
        start("127.0.0.1/32", UnaryOperator.identity());
        try (Socket s = connect(server.port(), "USER alice\r\n".getBytes(StandardCharsets.US_ASCII))) {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket s = connect(server.port(), new byte[0])) { // nothing at all: closed at the handshake timeout
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void implicitTlsStartsAfterTheHeader() throws Exception {
        start("127.0.0.1/32", UnaryOperator.identity());
        Socket plain = connect(server.tlsPort(), v1("192.0.2.8"));
        try (RawClient c = new RawClient(TlsClient.upgrade(TlsClient.trusting(data.resolve("tls/cert.pem")), plain))) {
            assertThat(c.greeting()).startsWith("+OK");
            c.login("alice", "secret"); // under TLS: allowed from anywhere
            assertThat(c.cmd("STAT")).startsWith("+OK");
        }
    }

    @Test
    void limitsCountTheHeadersClientAddress() throws Exception {
        start("127.0.0.1/32", b -> b.maxConnectionsPerAddress(1));
        try (RawClient first = new RawClient(connect(server.port(), v1("192.0.2.7")))) {
            assertThat(first.greeting()).startsWith("+OK");
            try (Socket s = connect(server.port(), v1("192.0.2.7"))) {
                assertThat(line(s.getInputStream())).isEqualTo("-ERR [SYS/TEMP] too many connections from your address");
            }
            try (RawClient other = new RawClient(connect(server.port(), v1("192.0.2.8")))) {
                assertThat(other.greeting()).as("another client behind the same proxy").startsWith("+OK");
            }
        }
    }

    @Test
    void aHeaderFromAnUntrustedAddressIsNotBelieved() throws Exception {
        start("10.0.0.0/8", UnaryOperator.identity());
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("PROXY TCP4 127.0.0.9 127.0.0.1 40000 110")).startsWith("-ERR");
        }
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            InputStream in = s.getInputStream();
            assertThat(line(in)).startsWith("+OK");
            s.getOutputStream().write(v2(1, "127.0.0.9")); // its signature reads as lines ending in QUIT
            String last = line(in);
            while (last != null && !last.startsWith("+OK")) {
                last = line(in);
            }
            assertThat(last).as("QUIT inside the v2 signature ends the session").startsWith("+OK");
            assertThat(line(in)).isNull();
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.append((char) c);
        }
        return c < 0 && b.isEmpty() ? null : b.toString().strip();
    }

    private static void awaitLog(LogCapture log, String text) throws InterruptedException {
        for (int i = 0; i < 500 && log.all().stream().noneMatch(l -> l.contains(text)); i++) {
            Thread.sleep(10);
        }
        assertThat(log.all()).anyMatch(l -> l.contains(text));
    }

}
