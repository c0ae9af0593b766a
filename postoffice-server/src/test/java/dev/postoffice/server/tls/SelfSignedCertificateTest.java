package dev.postoffice.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import dev.postoffice.testkit.LogCapture;
import dev.postoffice.testkit.TlsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.interfaces.ECPublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The self-signed pair made when no certificate is configured. */
class SelfSignedCertificateTest {
    @TempDir
    Path dir;

    @Test
    void generatedOnceThenReused() throws Exception {
        Path tls = dir.resolve("data/tls");
        TlsManager first;
        try (LogCapture log = new LogCapture(TlsManager.class)) {
            first = TlsManager.create(TlsSettings.selfSigned(tls, "mail.example.test"));
            assertThat(log.messages(Level.INFO)).singleElement().asString()
                    .startsWith("generated a self-signed TLS certificate for [mail.example.test, localhost, 127.0.0.1,")
                    .endsWith("SHA-256 fingerprint " + first.fingerprintSha256());
        }
        Path certificate = tls.resolve("cert.pem");
        Path key = tls.resolve("key.pem");
        assertThat(first.certificatePath()).isEqualTo(certificate);
        try (var files = Files.list(tls)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("cert.pem", "key.pem");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certificate))).isEqualTo("rw-r--r--");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        OpenSsl openssl = new OpenSsl(dir);
        assertThat(first.fingerprintSha256()).isEqualTo(openssl.fingerprint(certificate));
        openssl.ok("pkey", "-in", key.toString(), "-noout");

        byte[] certificateBytes = Files.readAllBytes(certificate);
        byte[] keyBytes = Files.readAllBytes(key);
        TlsManager second;
        try (LogCapture log = new LogCapture(TlsManager.class)) {
            second = TlsManager.create(TlsSettings.selfSigned(tls, "mail.example.test"));
            assertThat(log.messages(Level.INFO)).singleElement().asString()
                    .startsWith("TLS certificate " + certificate)
                    .endsWith("SHA-256 fingerprint " + first.fingerprintSha256());
            assertThat(log.messages(Level.WARN)).isEmpty();
        }
        assertThat(second.fingerprintSha256()).isEqualTo(first.fingerprintSha256());
        assertThat(Files.readAllBytes(certificate)).isEqualTo(certificateBytes);
        assertThat(Files.readAllBytes(key)).isEqualTo(keyBytes);
    }

    @Test
    void certificateHasTheRequiredShape() throws Exception {
        TlsManager.create(TlsSettings.selfSigned(dir, "mail.example.test"));
        X509Certificate certificate = OpenSsl.certificates(dir.resolve("cert.pem")).get(0);

        assertThat(certificate.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(certificate.getPublicKey()).isInstanceOf(ECPublicKey.class);
        assertThat(((ECPublicKey) certificate.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=mail.example.test");
        assertThat(certificate.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(2, "mail.example.test"), List.of(2, "localhost"), List.of(7, "127.0.0.1"),
                List.of(7, "0:0:0:0:0:0:0:1"));
        Duration validity = Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
        assertThat(validity).isBetween(Duration.ofDays(3650), Duration.ofDays(3651));
        assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
        assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        certificate.verify(certificate.getPublicKey());
        String text = new OpenSsl(dir).ok("x509", "-in", dir.resolve("cert.pem").toString(), "-noout", "-text").stdout();
        assertThat(text).contains("ASN1 OID: prime256v1", "Signature Algorithm: ecdsa-with-SHA256",
                "DNS:mail.example.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    }

    @Test
    void clientsVerifyTheHostNames() throws Exception {
        TlsManager tls = TlsManager.create(TlsSettings.selfSigned(dir, "mail.example.test"));
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.STLS)) {
            for (String host : List.of("localhost", "127.0.0.1", "mail.example.test")) {
                try (TlsClient client = server.connect(TlsClient.trusting(dir.resolve("cert.pem")), host, s -> {
                    SSLParameters parameters = s.getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    s.setSSLParameters(parameters);
                })) {
                    assertThat(client.send(host)).isEqualTo("+OK " + host);
                }
            }
            assertThatThrownBy(() -> server.connect(TlsClient.trusting(dir.resolve("cert.pem")),
                    "other.example.test", s -> {
                        SSLParameters parameters = s.getSSLParameters();
                        parameters.setEndpointIdentificationAlgorithm("HTTPS");
                        s.setSSLParameters(parameters);
                    })).hasMessageContaining("other.example.test");
        }
    }

    @Test
    void ipAddressHostNameBecomesAnIpAlternativeName() throws Exception {
        TlsManager.create(TlsSettings.selfSigned(dir, "192.0.2.7"));
        X509Certificate certificate = OpenSsl.certificates(dir.resolve("cert.pem")).get(0);
        assertThat(certificate.getSubjectAlternativeNames()).contains(List.of(7, "192.0.2.7"), List.of(2, "localhost"));
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=192.0.2.7");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001:db8::25", "bücher.example.test", "192.0.2.7", "localhost"})
    void reuseWithTheSameHostNameDoesNotWarn(String hostname) throws Exception {
        String fingerprint = TlsManager.create(TlsSettings.selfSigned(dir, hostname)).fingerprintSha256();
        try (LogCapture log = new LogCapture(TlsManager.class)) {
            assertThat(TlsManager.create(TlsSettings.selfSigned(dir, hostname)).fingerprintSha256()).isEqualTo(fingerprint);
            assertThat(log.messages(Level.WARN)).isEmpty();
        }
    }

    @Test
    void brokenGeneratedPairIsReportedNotReplaced() throws Exception {
        TlsManager.create(TlsSettings.selfSigned(dir, "localhost"));
        Files.writeString(dir.resolve("key.pem"), "damaged\n");
        assertThatThrownBy(() -> TlsManager.create(TlsSettings.selfSigned(dir, "localhost")))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("private key file " + dir.resolve("key.pem") + " contains no PEM private key; delete "
                        + dir.resolve("cert.pem") + " and " + dir.resolve("key.pem") + " to generate a new self-signed pair");
        assertThat(Files.readString(dir.resolve("key.pem"))).isEqualTo("damaged\n");
    }

    @Test
    void changedHostNameIsPointedOut() throws Exception {
        TlsManager.create(TlsSettings.selfSigned(dir, "old.example.test"));
        try (LogCapture log = new LogCapture(TlsManager.class)) {
            TlsManager.create(TlsSettings.selfSigned(dir, "new.example.test"));
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .contains("was made for [old.example.test, localhost, 127.0.0.1, 0:0:0:0:0:0:0:1], not new.example.test");
        }
    }

    @Test
    void unwritableDirectoryGivesACleanError() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        assertThatThrownBy(() -> TlsManager.create(TlsSettings.selfSigned(file.resolve("tls"), "localhost")))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("cannot write a self-signed certificate to " + file.resolve("tls") + ": ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
