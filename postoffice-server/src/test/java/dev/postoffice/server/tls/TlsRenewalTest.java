package dev.postoffice.server.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.postoffice.server.tls.OpenSsl.KeyForm;
import dev.postoffice.testkit.LogCapture;
import dev.postoffice.testkit.TlsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates renewed on disk while the server runs, as certbot does it. */
class TlsRenewalTest {
    @TempDir
    Path dir;
    private OpenSsl openssl;
    private Path certificate;
    private Path key;
    private OpenSsl.Pair first;
    private OpenSsl.Pair second;
    private SSLContext trustsBoth;

    @BeforeEach
    void files() throws Exception {
        openssl = new OpenSsl(dir);
        first = openssl.selfSigned(KeyForm.EC_SEC1, "first");
        second = openssl.selfSigned(KeyForm.RSA_PKCS1, "second");
        Path live = Files.createDirectories(dir.resolve("live"));
        certificate = live.resolve("fullchain.pem");
        key = live.resolve("privkey.pem");
        OpenSsl.replace(first.certificate(), certificate);
        OpenSsl.replace(first.key(), key);
        trustsBoth = TlsClient.trusting(first.certificate(), second.certificate());
    }

    /** A manager that looks at the files on every connection, so that no test has to wait. */
    private TlsManager manager(Duration recheck) throws TlsConfigException {
        return TlsManager.create(TlsSettings.files(certificate, key, dir.resolve("generated"), "localhost"), recheck);
    }

    @Test
    void renewedPairIsUsedForNewConnectionsWhileOpenOnesKeepTheirs() throws Exception {
        TlsManager tls = manager(Duration.ZERO);
        try (LogCapture log = new LogCapture(TlsManager.class);
             EchoServer server = new EchoServer(tls, EchoServer.Mode.STLS)) {
            try (TlsClient before = server.connect(trustsBoth)) {
                assertThat(before.peer()).isEqualTo(first.leaf());
                assertThat(before.send("one")).isEqualTo("+OK one");

                OpenSsl.replace(second.certificate(), certificate);
                OpenSsl.replace(second.key(), key);

                try (TlsClient after = server.connect(trustsBoth)) {
                    assertThat(after.peer()).isEqualTo(second.leaf());
                    assertThat(after.send("two")).isEqualTo("+OK two");
                }
                assertThat(tls.fingerprintSha256()).isEqualTo(openssl.fingerprint(second.certificate()));
                assertThat(before.send("still here")).isEqualTo("+OK still here");
                assertThat(before.peer()).isEqualTo(first.leaf());
            }
            assertThat(log.messages(Level.INFO)).anySatisfy(m -> assertThat(m)
                    .startsWith("reloaded TLS certificate " + certificate)
                    .contains(openssl.fingerprint(second.certificate())));
            assertThat(log.messages(Level.WARN)).isEmpty();
        }
    }

    @Test
    void brokenReplacementKeepsThePreviousPairAndWarnsOncePerChange() throws Exception {
        TlsManager tls = manager(Duration.ZERO);
        try (LogCapture log = new LogCapture(TlsManager.class);
             EchoServer server = new EchoServer(tls, EchoServer.Mode.IMPLICIT)) {
            // A new certificate whose key has not been written yet: mismatch.
            OpenSsl.replace(second.certificate(), certificate);
            for (int i = 0; i < 3; i++) {
                try (TlsClient client = server.connect(trustsBoth)) {
                    assertThat(client.peer()).isEqualTo(first.leaf());
                }
            }
            assertThat(log.messages(Level.WARN)).singleElement().satisfies(m -> assertThat(m)
                    .contains("still serving the previous certificate")
                    .contains("private key " + key + " does not match the certificate in " + certificate));

            // Another change, to garbage: one more warning.
            Files.writeString(dir.resolve("garbage"), "not a key\n");
            OpenSsl.replace(dir.resolve("garbage"), key);
            for (int i = 0; i < 2; i++) {
                try (TlsClient client = server.connect(trustsBoth)) {
                    assertThat(client.peer()).isEqualTo(first.leaf());
                }
            }
            assertThat(log.messages(Level.WARN)).hasSize(2).last().asString()
                    .contains("private key file " + key + " contains no PEM private key");
            assertThat(tls.fingerprintSha256()).isEqualTo(openssl.fingerprint(first.certificate()));

            // The key arrives: the new pair is taken.
            OpenSsl.replace(second.key(), key);
            try (TlsClient client = server.connect(trustsBoth)) {
                assertThat(client.peer()).isEqualTo(second.leaf());
            }
            assertThat(log.messages(Level.WARN)).hasSize(2);
        }
    }

    @Test
    void vanishedFilesKeepThePreviousPair() throws Exception {
        TlsManager tls = manager(Duration.ZERO);
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.IMPLICIT)) {
            Files.delete(certificate);
            Files.delete(key);
            try (TlsClient client = server.connect(trustsBoth)) {
                assertThat(client.peer()).isEqualTo(first.leaf());
                assertThat(client.send("ok")).isEqualTo("+OK ok");
            }
        }
    }

    @Test
    void filesAreNotLookedAtMoreOftenThanTheRecheckInterval() throws Exception {
        TlsManager tls = manager(Duration.ofHours(1));
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.IMPLICIT)) {
            OpenSsl.replace(second.certificate(), certificate);
            OpenSsl.replace(second.key(), key);
            try (TlsClient client = server.connect(trustsBoth)) {
                assertThat(client.peer()).isEqualTo(first.leaf());
            }
            assertThat(tls.fingerprintSha256()).isEqualTo(openssl.fingerprint(first.certificate()));
        }
    }

    @Test
    void symlinkSwitchLikeCertbotIsPickedUp() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        Path live = Files.createDirectories(dir.resolve("live-links"));
        Files.copy(first.certificate(), archive.resolve("fullchain1.pem"));
        Files.copy(first.key(), archive.resolve("privkey1.pem"));
        Files.copy(second.certificate(), archive.resolve("fullchain2.pem"));
        Files.copy(second.key(), archive.resolve("privkey2.pem"));
        Path linkedCertificate = Files.createSymbolicLink(live.resolve("fullchain.pem"), Path.of("../archive/fullchain1.pem"));
        Path linkedKey = Files.createSymbolicLink(live.resolve("privkey.pem"), Path.of("../archive/privkey1.pem"));
        TlsManager tls = TlsManager.create(
                TlsSettings.files(linkedCertificate, linkedKey, dir.resolve("generated"), "localhost"), Duration.ZERO);
        try (EchoServer server = new EchoServer(tls, EchoServer.Mode.IMPLICIT)) {
            relink(linkedCertificate, Path.of("../archive/fullchain2.pem"));
            relink(linkedKey, Path.of("../archive/privkey2.pem"));
            try (TlsClient client = server.connect(trustsBoth)) {
                assertThat(client.peer()).isEqualTo(second.leaf());
            }
        }
    }

    private static void relink(Path link, Path target) throws Exception {
        Path temp = link.resolveSibling(link.getFileName() + ".tmp");
        Files.createSymbolicLink(temp, target);
        Files.move(temp, link, StandardCopyOption.ATOMIC_MOVE);
    }
}
