package dev.postoffice.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.server.tls.OpenSsl.KeyForm;
import dev.postoffice.testkit.TlsClient;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same TLS behaviour with every {@link TlsProvider}: the policy, implicit TLS and STLS with OpenSSL's client,
 * a resumed session, refused old protocols, a bad handshake closed cleanly, and a renewed certificate.
 */
class TlsProvidersTest {
    private static final String ALLOWED_SUITE = "TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)|TLS_CHACHA20_POLY1305_SHA256"
            + "|TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)";

    @TempDir
    Path dir;
    private OpenSsl openssl;
    private OpenSsl.Pair ec;

    @BeforeEach
    void pair() {
        openssl = new OpenSsl(dir);
        ec = openssl.selfSigned(KeyForm.EC_SEC1, "ec");
    }

    private TlsManager manager(TlsProvider provider, OpenSsl.Pair pair, Duration recheck) throws TlsConfigException {
        return TlsManager.create(TlsSettings.files(pair.certificate(), pair.key(), dir.resolve("generated"), "localhost")
                .withProvider(provider), recheck);
    }

    private TlsManager manager(TlsProvider provider) throws TlsConfigException {
        return manager(provider, ec, Duration.ofSeconds(TlsManager.RECHECK_SECONDS));
    }

    @Test
    void configurationNamesParse() {
        assertThat(TlsProvider.parse(" Conscrypt ")).isEqualTo(TlsProvider.CONSCRYPT);
        assertThat(TlsProvider.parse("jdk")).isEqualTo(TlsProvider.JDK);
        assertThat(TlsProvider.parse("bouncycastle")).isEqualTo(TlsProvider.BOUNCYCASTLE);
        assertThatThrownBy(() -> TlsProvider.parse("openssl")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown TLS provider 'openssl', expected one of jdk, accp, conscrypt, bouncycastle");
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void javaClientOverBothModesGetsThePolicy(TlsProvider provider) throws Exception {
        TlsManager tls = manager(provider);
        assertThat(tls.provider()).isEqualTo(provider);
        for (EchoServer.Mode mode : EchoServer.Mode.values()) {
            try (EchoServer server = new EchoServer(tls, mode);
                 TlsClient client = server.connect(TlsClient.trusting(ec.certificate()))) {
                SSLSocket accepted = server.nextWrapped();
                assertThat(accepted.getUseClientMode()).isFalse();
                assertThat(accepted.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
                assertThat(accepted.getEnabledCipherSuites()).isNotEmpty().allMatch(s -> s.matches(ALLOWED_SUITE));
                assertThat(client.protocol()).isEqualTo("TLSv1.3");
                assertThat(client.peer()).isEqualTo(ec.leaf());
                assertThat(client.send("over " + mode)).isEqualTo("+OK over " + mode);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void opensslStlsAndTls12(TlsProvider provider) throws Exception {
        try (EchoServer server = new EchoServer(manager(provider), EchoServer.Mode.STLS)) {
            OpenSsl.Result result = openssl.run("hello over stls\nQUIT\n", "s_client", "-connect",
                    "127.0.0.1:" + server.port(), "-starttls", "pop3", "-crlf", "-ign_eof", "-quiet",
                    "-CAfile", ec.certificate().toString(), "-verify_return_error", "-verify_hostname", "localhost");
            assertThat(result.exitCode()).as(result.all()).isZero();
            assertThat(result.stdout()).contains("+OK hello over stls", "+OK bye");
            assertThat(server.nextWrapped().getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
        try (EchoServer server = new EchoServer(manager(provider), EchoServer.Mode.IMPLICIT)) {
            OpenSsl.Result result = openssl.run("", "s_client", "-connect", "127.0.0.1:" + server.port(),
                    "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-CAfile", ec.certificate().toString(),
                    "-verify_return_error", "-brief");
            assertThat(result.exitCode()).as(result.all()).isZero();
            assertThat(result.stderr()).contains("Protocol version: TLSv1.2",
                    "Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256");
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void opensslSessionIsResumed(TlsProvider provider) throws Exception {
        // Bouncy Castle's JSSE issues no TLS 1.3 session tickets (1.80): it resumes TLS 1.2 sessions only.
        String protocol = provider == TlsProvider.BOUNCYCASTLE ? "TLSv1.2" : "TLSv1.3";
        Path session = dir.resolve("session.pem");
        try (EchoServer server = new EchoServer(manager(provider), EchoServer.Mode.IMPLICIT)) {
            String[] common = {"s_client", "-connect", "127.0.0.1:" + server.port(),
                    provider == TlsProvider.BOUNCYCASTLE ? "-tls1_2" : "-tls1_3", "-crlf", "-ign_eof",
                    "-CAfile", ec.certificate().toString(), "-verify_return_error"};
            OpenSsl.Result first = openssl.run("one\nQUIT\n", concat(common, "-sess_out", session.toString()));
            assertThat(first.exitCode()).as(first.all()).isZero();
            assertThat(first.stdout()).contains("New, " + protocol, "+OK one", "+OK bye");
            assertThat(Files.size(session)).isPositive();
            OpenSsl.Result second = openssl.run("two\nQUIT\n", concat(common, "-sess_in", session.toString()));
            assertThat(second.exitCode()).as(second.all()).isZero();
            assertThat(second.stdout()).contains("Reused, " + protocol, "+OK two", "+OK bye");
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void tls11ClientIsRefused(TlsProvider provider) throws Exception {
        try (EchoServer server = new EchoServer(manager(provider), EchoServer.Mode.IMPLICIT)) {
            OpenSsl.Result result = openssl.run("", "s_client", "-connect", "127.0.0.1:" + server.port(),
                    "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
            assertThat(result.exitCode()).as(result.all()).isNotZero();
            assertThat(server.nextFailure()).hasMessageStartingWith("TLS handshake failed: ");
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void plaintextInsteadOfClientHelloFailsCleanly(TlsProvider provider) throws Exception {
        for (EchoServer.Mode mode : EchoServer.Mode.values()) {
            try (EchoServer server = new EchoServer(manager(provider), mode);
                 Socket client = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                client.setSoTimeout((int) TimeUnit.SECONDS.toMillis(EchoServer.PATIENCE_SECONDS));
                if (mode == EchoServer.Mode.STLS) {
                    TlsClient.readLine(client.getInputStream());
                    client.getOutputStream().write("STLS\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(TlsClient.readLine(client.getInputStream())).startsWith("+OK");
                }
                client.getOutputStream().write("USER alice\r\nPASS secret\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(server.nextFailure().getMessage()).startsWith("TLS handshake failed: ")
                        .doesNotContain("\n").doesNotContain("no TLS handshake");
                assertThat(server.nextAccepted().isClosed()).isTrue();
                TlsHandshakeTest.assertEndOfStream(client.getInputStream());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void renewedCertificateIsServedToNewConnections(TlsProvider provider) throws Exception {
        OpenSsl.Pair second = openssl.selfSigned(KeyForm.RSA_PKCS1, "second");
        Path live = Files.createDirectories(dir.resolve("live"));
        OpenSsl.Pair files = new OpenSsl.Pair(live.resolve("fullchain.pem"), live.resolve("privkey.pem"));
        OpenSsl.replace(ec.certificate(), files.certificate());
        OpenSsl.replace(ec.key(), files.key());
        try (EchoServer server = new EchoServer(manager(provider, files, Duration.ZERO), EchoServer.Mode.IMPLICIT)) {
            try (TlsClient before = server.connect(TlsClient.trusting(ec.certificate(), second.certificate()))) {
                assertThat(before.peer()).isEqualTo(ec.leaf());
            }
            OpenSsl.replace(second.certificate(), files.certificate());
            OpenSsl.replace(second.key(), files.key());
            try (TlsClient after = server.connect(TlsClient.trusting(ec.certificate(), second.certificate()))) {
                assertThat(after.peer()).isEqualTo(second.leaf());
                assertThat(after.send("renewed")).isEqualTo("+OK renewed");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt:BoringSSL", "accp:AWS-LC"})
    void aProviderWithoutItsNativeLibraryIsAClearStartupError(String providerAndLibrary) throws Exception {
        String provider = providerAndLibrary.split(":")[0];
        String library = providerAndLibrary.split(":")[1];
        // The jar's library is copied to a work directory before loading: a plain file there makes it fail.
        Path nowhere = Files.writeString(dir.resolve("not a directory"), "x");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.conscrypt.native.workdir=" + nowhere, "-Djava.io.tmpdir=" + nowhere,
                "-cp", System.getProperty("java.class.path"), ProviderUnavailable.class.getName(),
                ec.certificate().toString(), ec.key().toString(), dir.resolve("generated").toString(), provider)
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(EchoServer.PATIENCE_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(output.lines()).as(output).anySatisfy(line -> assertThat(line)
                .startsWith("provider error: tls-provider = " + provider + ": its native library (" + library + ") cannot")
                .contains(System.getProperty("os.name") + " " + System.getProperty("os.arch") + ": ")
                .endsWith("; use tls-provider = jdk"));
        assertThat(output).doesNotContain("\tat ");
    }

    private static String[] concat(String[] first, String... rest) {
        String[] all = java.util.Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }
}
