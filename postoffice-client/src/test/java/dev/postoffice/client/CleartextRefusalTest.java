package dev.postoffice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No password in clear to another host: a server that does not offer STLS, reached at a non-loopback address of
 * this machine, gets CAPA and nothing else (the password is not even looked up). The Postoffice server always
 * offers STLS, so the server without it is a small POP3 responder on a real socket that records every line.
 */
class CleartextRefusalTest {
    @TempDir
    Path dir;

    /** A POP3 server without STLS: CAPA offers USER and SASL PLAIN; every login fails; every line is kept. */
    static final class NoStlsResponder implements AutoCloseable {
        final ServerSocket listener;
        final List<String> received = new CopyOnWriteArrayList<>();
        final Thread thread;

        NoStlsResponder(InetAddress address) throws IOException {
            listener = new ServerSocket();
            listener.bind(new InetSocketAddress(address, 0));
            thread = Thread.ofVirtual().start(this::serve);
        }

        private void serve() {
            try (Socket s = listener.accept()) {
                OutputStream out = s.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                out.write("+OK no TLS here\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    received.add(line);
                    String reply = line.equals("CAPA") ? "+OK\r\nUSER\r\nSASL PLAIN LOGIN\r\nUIDL\r\n.\r\n"
                            : line.startsWith("USER ") ? "+OK\r\n"
                            : line.equals("QUIT") ? "+OK bye\r\n" : "-ERR [AUTH] no\r\n";
                    out.write(reply.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (line.equals("QUIT")) {
                        return;
                    }
                }
            } catch (IOException ignored) {
                // the client hung up
            }
        }

        /** Every line the client sent, once it has hung up. */
        List<String> lines() throws InterruptedException {
            thread.join(Duration.ofSeconds(30));
            return received;
        }

        int port() {
            return listener.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }

    /** This machine's first non-loopback IPv4 address: a connection to it does not count as local. */
    static InetAddress outsideAddress() throws IOException {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                        return a;
                    }
                }
            }
        }
        return null;
    }

    private FetchResult fetch(PopUrl url, ConnectOptions options, AtomicInteger asked) throws Exception {
        try (MaildirTarget t = new MaildirTarget(dir.resolve("Mail"), true)) {
            return new Fetcher(url, options, FetchOptions.KEEP, Clock.systemUTC()).fetch(t, dir.resolve("state"), () -> {
                asked.incrementAndGet();
                return "the-password";
            }, null);
        }
    }

    private static ConnectOptions options(boolean stls, boolean allowCleartext) {
        return new ConnectOptions(TlsOptions.DEFAULT, stls, allowCleartext, Duration.ofSeconds(10));
    }

    @Test
    void anotherHostWithoutStlsGetsNoLoginAndNoPassword() throws Exception {
        InetAddress outside = outsideAddress();
        assumeTrue(outside != null, "this machine has no non-loopback IPv4 address");
        for (String auth : new String[] {"", ";auth=PLAIN", ";auth=%2BUSER", ";auth=SCRAM-SHA-256"}) {
            AtomicInteger asked = new AtomicInteger();
            try (NoStlsResponder server = new NoStlsResponder(outside)) {
                PopUrl url = PopUrl.parse("pop3://alice" + auth + "@" + outside.getHostAddress() + ":" + server.port() + "/");
                assertThatThrownBy(() -> fetch(url, options(false, false), asked))
                        .isInstanceOf(FetchException.class)
                        .hasMessage(outside.getHostAddress() + " does not offer STLS: refusing to log in without TLS to another"
                                + " host (use pop3s://, or --allow-cleartext to send the login and the mail in clear)")
                        .matches(e -> !((FetchException) e).temporary());
                assertThat(server.lines()).as(auth).containsExactly("CAPA");
            }
            assertThat(asked).as("the password was looked up").hasValue(0);
        }
    }

    @Test
    void withAllowCleartextThePasswordGoesInClearAsAsked() throws Exception {
        InetAddress outside = outsideAddress();
        assumeTrue(outside != null, "this machine has no non-loopback IPv4 address");
        AtomicInteger asked = new AtomicInteger();
        try (NoStlsResponder server = new NoStlsResponder(outside)) {
            PopUrl url = PopUrl.parse("pop3://alice;auth=%2BUSER@" + outside.getHostAddress() + ":" + server.port() + "/");
            assertThatThrownBy(() -> fetch(url, options(false, true), asked))
                    .isInstanceOf(FetchException.class).hasMessageContaining("login as alice failed (USER)");
            assertThat(server.lines()).containsExactly("CAPA", "USER alice", "PASS the-password");
        }
        assertThat(asked).hasValue(1);
    }

    @Test
    void stlsRequiredOnLoopbackAndNotOfferedSendsNothing() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        try (NoStlsResponder server = new NoStlsResponder(InetAddress.getLoopbackAddress())) {
            PopUrl url = PopUrl.parse("pop3://alice;auth=PLAIN@127.0.0.1:" + server.port() + "/");
            assertThatThrownBy(() -> fetch(url, options(true, true), asked))
                    .isInstanceOf(FetchException.class)
                    .hasMessage("127.0.0.1 does not offer STLS: refusing to log in without TLS (use pop3s:// for implicit TLS)");
            assertThat(server.lines()).containsExactly("CAPA");
        }
        assertThat(asked).hasValue(0);
    }

    @Test
    void anotherHostOfferingStlsGetsThePasswordOnlyAfterTls() throws Exception {
        InetAddress outside = outsideAddress();
        assumeTrue(outside != null, "this machine has no non-loopback IPv4 address");
        try (ServerFixture server = new ServerFixture(dir.resolve("server"),
                b -> b.pop3Listen(new InetSocketAddress(outside, 0))).user("alice", "the-password")) {
            server.deliver("alice", "Subject: hi\r\n\r\nover STLS\r\n".getBytes(StandardCharsets.UTF_8));
            X509Certificate cert;
            try (InputStream in = Files.newInputStream(server.certificate())) {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            ConnectOptions pinned = new ConnectOptions(new TlsOptions(Optional.empty(),
                    Optional.of(TlsOptions.fingerprintOf(cert))), false, false, Duration.ofSeconds(10));
            PopUrl url = PopUrl.parse("pop3://alice;auth=PLAIN@" + outside.getHostAddress() + ":" + server.server.port() + "/");
            // the server offers PLAIN to a non-local address only under TLS: this login proves STLS was used
            FetchResult r = fetch(url, pinned, new AtomicInteger());
            assertThat(r.login()).isEqualTo("PLAIN");
            assertThat(r.fetched()).isEqualTo(1);
        }
    }
}
