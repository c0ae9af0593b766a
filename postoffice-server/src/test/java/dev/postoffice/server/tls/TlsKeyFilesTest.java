package dev.postoffice.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.server.tls.OpenSsl.KeyForm;
import dev.postoffice.testkit.TlsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Certificate and key files in the forms openssl and certbot write, and the errors for broken ones. */
class TlsKeyFilesTest {
    @TempDir
    Path dir;

    private TlsManager manager(Path certificate, Path key) throws TlsConfigException {
        return TlsManager.create(TlsSettings.files(certificate, key, dir.resolve("generated"), "localhost"));
    }

    @ParameterizedTest
    @EnumSource(KeyForm.class)
    void everyKeyFormLoadsAndServes(KeyForm form) throws Exception {
        OpenSsl openssl = new OpenSsl(dir);
        OpenSsl.Pair pair = openssl.selfSigned(form, "server");
        assertThat(Files.readAllLines(pair.key()).get(0)).isEqualTo(form.firstLine);

        TlsManager tls = manager(pair.certificate(), pair.key());
        assertThat(tls.fingerprintSha256()).isEqualTo(openssl.fingerprint(pair.certificate()));
        assertThat(tls.certificatePath()).isEqualTo(pair.certificate());
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.IMPLICIT);
             TlsClient client = server.connect(TlsClient.trusting(pair.certificate()))) {
            assertThat(client.send("hello")).isEqualTo("+OK hello");
            assertThat(client.peer()).isEqualTo(pair.leaf());
            assertThat(client.peer().getPublicKey().getAlgorithm()).isEqualTo(form.name().startsWith("RSA") ? "RSA" : "EC");
        }
    }

    @Test
    void fullChainIsSentToTheClient() throws Exception {
        OpenSsl.Chain chain = new OpenSsl(dir).chain("le");
        TlsManager tls = manager(chain.fullchain(), chain.privkey());
        SSLContext trustsRootOnly = TlsClient.trusting(chain.root());
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.STLS);
             TlsClient client = server.connect(trustsRootOnly)) {
            assertThat(client.peerChain()).containsExactlyElementsOf(OpenSsl.certificates(chain.fullchain()));
            assertThat(client.send("chain")).isEqualTo("+OK chain");
        }
    }

    @Test
    void leafWithoutIntermediateIsNotTrustedByTheClient() throws Exception {
        // The counterpart of the test above: the intermediate in fullchain.pem is what makes the client trust it.
        OpenSsl.Chain chain = new OpenSsl(dir).chain("le");
        TlsManager tls = manager(chain.cert(), chain.privkey());
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.IMPLICIT)) {
            assertThatThrownBy(() -> server.connect(TlsClient.trusting(chain.root())))
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void keyThatDoesNotMatchTheCertificateIsRejected() throws Exception {
        OpenSsl openssl = new OpenSsl(dir);
        OpenSsl.Pair one = openssl.selfSigned(KeyForm.EC_PKCS8, "one");
        OpenSsl.Pair two = openssl.selfSigned(KeyForm.EC_PKCS8, "two");
        assertCleanError(() -> manager(one.certificate(), two.key()),
                "private key " + two.key() + " does not match the certificate in " + one.certificate());
    }

    @Test
    void rsaKeyForAnEcCertificateIsRejected() throws Exception {
        OpenSsl openssl = new OpenSsl(dir);
        OpenSsl.Pair ec = openssl.selfSigned(KeyForm.EC_SEC1, "ec");
        OpenSsl.Pair rsa = openssl.selfSigned(KeyForm.RSA_PKCS1, "rsa");
        assertCleanError(() -> manager(ec.certificate(), rsa.key()),
                "private key " + rsa.key() + " does not match the certificate in " + ec.certificate());
    }

    @Test
    void chainInTheWrongOrderIsExplained() throws Exception {
        OpenSsl.Chain chain = new OpenSsl(dir).chain("le");
        Path reversed = dir.resolve("reversed.pem");
        Files.writeString(reversed, Files.readString(chain.intermediate()) + Files.readString(chain.cert()));
        assertCleanError(() -> manager(reversed, chain.privkey()), "private key " + chain.privkey()
                + " does not match the certificate in " + reversed + " (the server certificate must come first in the file)");
    }

    @Test
    void garbageFilesGiveCleanErrors() throws Exception {
        OpenSsl.Pair pair = new OpenSsl(dir).selfSigned(KeyForm.EC_PKCS8, "server");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "this is not\na PEM file\n");
        Path empty = Files.createFile(dir.resolve("empty.pem"));
        Path badBase64 = Files.writeString(dir.resolve("bad.pem"),
                "-----BEGIN CERTIFICATE-----\nMIIB!!!not*base64\n-----END CERTIFICATE-----\n");
        Path truncated = Files.writeString(dir.resolve("truncated.pem"),
                Files.readString(pair.certificate()).substring(0, 200) + "\n-----END CERTIFICATE-----\n");
        Path binary = Files.write(dir.resolve("binary.der"), new byte[] {0x30, (byte) 0x82, 0x01, 0x00, 0x02, 0x01, 0x00});

        assertCleanError(() -> manager(garbage, pair.key()), "certificate file " + garbage + " contains no PEM certificate");
        assertCleanError(() -> manager(empty, pair.key()), "certificate file " + empty + " contains no PEM certificate");
        assertCleanError(() -> manager(badBase64, pair.key()), "certificate file " + badBase64 + " is not valid PEM");
        assertCleanError(() -> manager(truncated, pair.key()), "certificate file " + truncated + " is not valid PEM");
        assertCleanError(() -> manager(binary, pair.key()), "certificate file " + binary + " contains no PEM certificate");
        assertCleanError(() -> manager(pair.certificate(), garbage), "private key file " + garbage + " contains no PEM private key");
        assertCleanError(() -> manager(pair.certificate(), pair.certificate()),
                "private key file " + pair.certificate() + " contains no PEM private key");
        assertCleanError(() -> manager(pair.key(), pair.key()), "certificate file " + pair.key() + " contains no PEM certificate");
        assertCleanError(() -> manager(dir.resolve("missing.pem"), pair.key()),
                "cannot read certificate file " + dir.resolve("missing.pem") + ": no such file");
        assertCleanError(() -> manager(pair.certificate(), dir), "cannot read private key file " + dir + ": ");
        Path huge = Files.writeString(dir.resolve("huge.pem"), "x".repeat(2 << 20));
        assertCleanError(() -> manager(huge, pair.key()), "certificate file " + huge + " is too large for a PEM file");
    }

    @Test
    void keysOtherThanRsaAndEcAreRefused() throws Exception {
        OpenSsl openssl = new OpenSsl(dir);
        Path key = dir.resolve("ed25519.pem");
        Path certificate = dir.resolve("ed25519-cert.pem");
        openssl.ok("genpkey", "-algorithm", "ED25519", "-out", key.toString());
        openssl.ok("req", "-new", "-x509", "-key", key.toString(), "-out", certificate.toString(), "-days", "30",
                "-subj", "/CN=localhost");
        assertCleanError(() -> manager(certificate, key), "private key file " + key + " holds a ");
        assertThatThrownBy(() -> manager(certificate, key)).hasMessageEndingWith("key; only RSA and EC keys are supported");
    }

    @Test
    void encryptedKeysAreRefusedWithAClearMessage() throws Exception {
        OpenSsl openssl = new OpenSsl(dir);
        OpenSsl.Pair pair = openssl.selfSigned(KeyForm.RSA_PKCS8, "server");
        Path pkcs8 = dir.resolve("encrypted-pkcs8.pem");
        openssl.ok("pkey", "-in", pair.key().toString(), "-aes256", "-passout", "pass:secret", "-out", pkcs8.toString());
        Path traditional = dir.resolve("encrypted-pkcs1.pem");
        openssl.ok("rsa", "-in", pair.key().toString(), "-traditional", "-aes256", "-passout", "pass:secret",
                "-out", traditional.toString());
        assertThat(Files.readString(pkcs8)).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        assertThat(Files.readString(traditional)).contains("Proc-Type: 4,ENCRYPTED");

        assertCleanError(() -> manager(pair.certificate(), pkcs8), "private key file " + pkcs8
                + " is encrypted; encrypted keys are not supported (decrypt it with 'openssl pkey')");
        assertCleanError(() -> manager(pair.certificate(), traditional), "private key file " + traditional
                + " is encrypted; encrypted keys are not supported (decrypt it with 'openssl pkey')");
    }

    @Test
    void certificateAndKeyComeTogether() throws Exception {
        OpenSsl.Pair pair = new OpenSsl(dir).selfSigned(KeyForm.EC_PKCS8, "server");
        Path generated = dir.resolve("generated");
        assertCleanError(() -> TlsManager.create(new TlsSettings(Optional.of(pair.certificate()), Optional.empty(),
                generated, "localhost", null)), "TLS certificate " + pair.certificate() + " is configured without its private key");
        assertCleanError(() -> TlsManager.create(new TlsSettings(Optional.empty(), Optional.of(pair.key()),
                generated, "localhost", null)), "TLS private key " + pair.key() + " is configured without its certificate");
        assertThat(generated).doesNotExist();
    }

    @Test
    void combinedFileWithKeyAndChainServesAsBoth() throws Exception {
        OpenSsl.Pair pair = new OpenSsl(dir).selfSigned(KeyForm.EC_SEC1, "server");
        Path combined = Files.writeString(dir.resolve("combined.pem"),
                Files.readString(pair.key()) + Files.readString(pair.certificate()));
        TlsManager tls = manager(combined, combined);
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.IMPLICIT);
             TlsClient client = server.connect(TlsClient.trusting(pair.certificate()))) {
            assertThat(client.peer()).isEqualTo(pair.leaf());
        }
    }

    private static void assertCleanError(ThrowingCallable call, String expected) {
        assertThatThrownBy(call)
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r")
                        .doesNotContain("Exception"));
    }
}
