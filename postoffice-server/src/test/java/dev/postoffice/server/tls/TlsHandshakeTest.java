package dev.postoffice.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.postoffice.server.tls.OpenSsl.KeyForm;
import dev.postoffice.testkit.LogCapture;
import dev.postoffice.testkit.TlsClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Protocol and cipher policy, STLS and implicit TLS, and clients that never complete a handshake. */
class TlsHandshakeTest {
    private static final String ALLOWED_SUITE = "TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)|TLS_CHACHA20_POLY1305_SHA256"
            + "|TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)";

    @TempDir
    Path dir;
    private OpenSsl openssl;
    private OpenSsl.Pair rsa;
    private OpenSsl.Pair ec;

    @BeforeEach
    void pairs() {
        openssl = new OpenSsl(dir);
        rsa = openssl.selfSigned(KeyForm.RSA_PKCS8, "rsa");
        ec = openssl.selfSigned(KeyForm.EC_SEC1, "ec");
    }

    /** Brings a raw client to where the server waits for a ClientHello: at once on POP3S, after STLS otherwise. */
    private static void untilTheHandshake(EchoServer.Mode mode, Socket client) throws IOException {
        if (mode == EchoServer.Mode.STLS) {
            TlsClient.readLine(client.getInputStream());
            client.getOutputStream().write("STLS\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(TlsClient.readLine(client.getInputStream())).startsWith("+OK");
        }
    }

    private TlsManager manager(OpenSsl.Pair pair, Duration handshakeTimeout) throws TlsConfigException {
        return TlsManager.create(TlsSettings.files(pair.certificate(), pair.key(), dir.resolve("generated"), "localhost")
                .withHandshakeTimeout(handshakeTimeout));
    }

    private TlsManager manager(OpenSsl.Pair pair) throws TlsConfigException {
        return manager(pair, TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    @ParameterizedTest
    @EnumSource(EchoServer.Mode.class)
    void serverSocketOffersOnlyTheAllowedProtocolsAndSuitesInServerOrder(EchoServer.Mode mode) throws Exception {
        try (EchoServer server = new EchoServer(manager(rsa), mode);
             TlsClient client = server.connect(TlsClient.trusting(rsa.certificate()))) {
            SSLSocket accepted = server.nextWrapped();
            assertThat(accepted.getUseClientMode()).isFalse();
            assertThat(accepted.getEnabledProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
            assertThat(accepted.getEnabledCipherSuites()).isNotEmpty().allMatch(s -> s.matches(ALLOWED_SUITE))
                    .contains("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
            assertThat(accepted.getSSLParameters().getUseCipherSuitesOrder()).isTrue();
            assertThat(client.protocol()).isEqualTo("TLSv1.3");
            assertThat(client.send("over " + mode)).isEqualTo("+OK over " + mode);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void tls12And13ClientsAreServed(String protocol) throws Exception {
        for (OpenSsl.Pair pair : List.of(rsa, ec)) {
            try (EchoServer server = new EchoServer(manager(pair), EchoServer.Mode.STLS);
                 TlsClient client = server.connect(TlsClient.trusting(pair.certificate()), "localhost",
                         s -> s.setEnabledProtocols(new String[] {protocol}))) {
                assertThat(client.protocol()).isEqualTo(protocol);
                assertThat(client.cipherSuite()).matches(ALLOWED_SUITE);
                assertThat(client.send("hi")).isEqualTo("+OK hi");
            }
        }
    }

    @Test
    void serverChoosesTheCipherSuite() throws Exception {
        List<String> clientOrder = List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
        try (EchoServer server = new EchoServer(manager(ec), EchoServer.Mode.IMPLICIT);
             TlsClient client = server.connect(TlsClient.trusting(ec.certificate()), "localhost", s -> {
                 s.setEnabledProtocols(new String[] {"TLSv1.2"});
                 s.setEnabledCipherSuites(clientOrder.toArray(String[]::new));
             })) {
            String serversFirstChoice = Arrays.stream(server.nextWrapped().getEnabledCipherSuites())
                    .filter(clientOrder::contains).findFirst().orElseThrow();
            assertThat(serversFirstChoice).isNotEqualTo(clientOrder.get(0));
            assertThat(client.cipherSuite()).isEqualTo(serversFirstChoice);
        }
    }

    @Test
    void tls11ClientIsRefused() throws Exception {
        try (EchoServer server = new EchoServer(manager(rsa), EchoServer.Mode.IMPLICIT)) {
            OpenSsl.Result result = openssl.run("", "s_client", "-connect", "127.0.0.1:" + server.port(),
                    "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
            assertThat(result.exitCode()).as(result.all()).isNotZero();
            assertThat(server.nextFailure()).hasMessageStartingWith("TLS handshake failed: ")
                    .hasMessageContaining("TLSv1.1");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"AES128-GCM-SHA256", "AES256-SHA256", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA",
            "DHE-RSA-AES128-GCM-SHA256"})
    void tls12SuitesWithoutEcdheAndAeadAreRefused(String opensslCipher) throws Exception {
        try (EchoServer server = new EchoServer(manager(rsa), EchoServer.Mode.IMPLICIT)) {
            OpenSsl.Result result = openssl.run("", "s_client", "-connect", "127.0.0.1:" + server.port(),
                    "-tls1_2", "-cipher", opensslCipher + ":@SECLEVEL=0");
            assertThat(result.exitCode()).as(result.all()).isNotZero();
            assertThat(server.nextFailure()).hasMessageStartingWith("TLS handshake failed: ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"})
    void tls12EcdheAeadSuitesAreAccepted(String opensslCipher) throws Exception {
        try (EchoServer server = new EchoServer(manager(rsa), EchoServer.Mode.IMPLICIT)) {
            OpenSsl.Result result = openssl.run("", "s_client", "-connect", "127.0.0.1:" + server.port(),
                    "-tls1_2", "-cipher", opensslCipher, "-CAfile", rsa.certificate().toString(),
                    "-verify_return_error", "-brief");
            assertThat(result.exitCode()).as(result.all()).isZero();
            assertThat(result.stderr()).contains("Protocol version: TLSv1.2", "Ciphersuite: " + opensslCipher);
            server.nextWrapped();
        }
    }

    @Test
    void opensslStarttlsPop3Session() throws Exception {
        try (EchoServer server = new EchoServer(manager(ec), EchoServer.Mode.STLS)) {
            OpenSsl.Result result = openssl.run("hello over stls\nQUIT\n", "s_client", "-connect",
                    "127.0.0.1:" + server.port(), "-starttls", "pop3", "-crlf", "-ign_eof", "-quiet",
                    "-CAfile", ec.certificate().toString(), "-verify_return_error", "-verify_hostname", "localhost");
            assertThat(result.exitCode()).as(result.all()).isZero();
            assertThat(result.stdout()).contains("+OK hello over stls", "+OK bye");
            assertThat(result.stderr()).contains("verify return:1");
            assertThat(server.nextWrapped().getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @Test
    void socketTimeoutIsRestoredAfterTheHandshake() throws Exception {
        try (EchoServer server = new EchoServer(manager(ec, Duration.ofSeconds(7)), EchoServer.Mode.STLS)) {
            server.plainTimeoutMillis = 4321;
            try (TlsClient client = server.connect(TlsClient.trusting(ec.certificate()))) {
                SSLSocket accepted = server.nextWrapped();
                assertThat(accepted.getSoTimeout()).isEqualTo(4321);
                assertThat(server.nextAccepted().getSoTimeout()).isEqualTo(4321);
                assertThat(client.send("x")).isEqualTo("+OK x");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(EchoServer.Mode.class)
    void silentClientIsCutOffAfterTheHandshakeTimeout(EchoServer.Mode mode) throws Exception {
        try (LogCapture log = new LogCapture(TlsManager.class);
             EchoServer server = new EchoServer(manager(ec, Duration.ofMillis(300)), mode);
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            client.setSoTimeout((int) TimeUnit.SECONDS.toMillis(EchoServer.PATIENCE_SECONDS));
            untilTheHandshake(mode, client);
            IOException failure = server.nextFailure();
            assertThat(failure).hasMessage("TLS handshake failed: no TLS handshake from the client within 300ms");
            assertThat(server.nextAccepted().isClosed()).isTrue();
            assertEndOfStream(client.getInputStream());
            assertThat(log.messages(Level.INFO)).anySatisfy(m -> assertThat(m)
                    .startsWith("tls handshake failed: peer=127.0.0.1:" + client.getLocalPort())
                    .contains("mode=" + (mode == EchoServer.Mode.STLS ? "STLS" : "implicit")));
        }
    }

    @ParameterizedTest
    @EnumSource(EchoServer.Mode.class)
    void aClientTricklingItsHandshakeIsCutOffAtTheDeadline(EchoServer.Mode mode) throws Exception {
        // Every byte comes well within the 600 ms each read may wait, but the handshake as a whole may not take
        // longer than that either: the server must hang up long before the 40 bytes (about 6 s) are through.
        try (EchoServer server = new EchoServer(manager(ec, Duration.ofMillis(600)), mode);
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            client.setSoTimeout((int) TimeUnit.SECONDS.toMillis(EchoServer.PATIENCE_SECONDS));
            untilTheHandshake(mode, client);
            // A TLS record header announcing a 512-octet handshake message, then its body one octet at a time.
            byte[] trickle = new byte[40];
            trickle[0] = 0x16;
            trickle[1] = 0x03;
            trickle[2] = 0x01;
            trickle[3] = 0x02;
            trickle[4] = 0x00;
            trickle[5] = 0x01; // ClientHello
            boolean cutOff = false;
            for (int i = 0; i < trickle.length && !cutOff; i++) {
                try {
                    client.getOutputStream().write(trickle[i]);
                    client.getOutputStream().flush();
                } catch (IOException e) {
                    cutOff = true; // the server has closed the connection
                }
                Thread.sleep(150);
                cutOff |= server.failures.peek() != null;
            }
            assertThat(cutOff).as("the server hung up before the trickle ended").isTrue();
            IOException failure = server.nextFailure();
            assertThat(failure).hasMessage("TLS handshake failed: no TLS handshake from the client within 600ms");
            assertThat(server.nextAccepted().isClosed()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(EchoServer.Mode.class)
    void plaintextInsteadOfClientHelloFailsCleanly(EchoServer.Mode mode) throws Exception {
        // The handshake timeout is far longer than the wait for the failure: only a prompt failure passes.
        try (EchoServer server = new EchoServer(manager(rsa, Duration.ofMinutes(10)), mode);
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            client.setSoTimeout((int) TimeUnit.SECONDS.toMillis(EchoServer.PATIENCE_SECONDS));
            untilTheHandshake(mode, client);
            client.getOutputStream().write("USER alice\r\nPASS secret\r\nLIST\r\n".getBytes(StandardCharsets.US_ASCII));
            IOException failure = server.nextFailure();
            assertThat(failure.getMessage()).startsWith("TLS handshake failed: ").doesNotContain("\n")
                    .doesNotContain("no TLS handshake");
            assertThat(server.nextAccepted().isClosed()).isTrue();
            assertEndOfStream(client.getInputStream());
        }
    }

    @Test
    void clientThatHangsUpDuringTheHandshakeFailsCleanly() throws Exception {
        try (EchoServer server = new EchoServer(manager(ec), EchoServer.Mode.IMPLICIT)) {
            new Socket(InetAddress.getLoopbackAddress(), server.port()).close();
            assertThat(server.nextFailure().getMessage()).startsWith("TLS handshake failed: ").doesNotContain("\n");
            assertThat(server.nextAccepted().isClosed()).isTrue();
        }
    }

    @Test
    void clientThatDistrustsTheCertificateFailsOnBothSides() throws Exception {
        try (EchoServer server = new EchoServer(manager(ec), EchoServer.Mode.STLS)) {
            SSLContext trustsOther = TlsClient.trusting(rsa.certificate());
            assertThatThrownBy(() -> server.connect(trustsOther)).isInstanceOf(IOException.class);
            assertThat(server.nextFailure()).hasMessageStartingWith("TLS handshake failed: ");
            assertThat(server.nextAccepted().isClosed()).isTrue();
        }
    }

    @Test
    void socketThatCannotBeWrappedIsClosed() throws Exception {
        TlsManager tls = manager(ec);
        Socket unconnected = new Socket();
        assertThatThrownBy(() -> tls.wrapImplicit(unconnected))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("TLS handshake failed: ");
        assertThat(unconnected.isClosed()).isTrue();
    }

    /** What the client reads once the server has given up: nothing more, whether as EOF, alert or reset. */
    static void assertEndOfStream(InputStream in) throws IOException {
        byte[] buffer = new byte[512];
        try {
            int total = 0;
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                total += n;
                assertThat(total).as("bytes after the server gave up").isLessThan(512);
            }
        } catch (SocketException e) {
            assertThat(e).hasMessageContaining("reset");
        }
    }
}
