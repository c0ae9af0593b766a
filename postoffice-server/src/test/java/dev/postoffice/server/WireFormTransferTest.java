package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.server.tls.TlsProvider;
import dev.postoffice.storage.maildir.MaildirStore;
import dev.postoffice.testkit.RawClient;
import dev.postoffice.testkit.TlsClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.net.pop3.POP3Client;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RETR of messages stored in their wire form (the default for delivered mail), which leave the file
 * unchanged: in the session's buffer when small, with sendfile on cleartext connections, through the JVM
 * under TLS. Every path must put exactly the canonical octets on the wire, in order with the responses
 * around them, whatever the peer's pace; messages that need converting take the encoder as before.
 */
class WireFormTransferTest {
    @TempDir
    Path data;
    TestServer server;
    /** The canonical form of each delivered message, in delivery order. */
    final List<byte[]> canonical = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        server = new TestServer(data).user("alice", "secret");
        deliver(server.store, lines(2_000, false)); // fits the session's buffer
        deliver(server.store, lines(8_193, false)); // just beyond it
        deliver(server.store, lines(300_000, false));
        deliver(server.store, lines(6_000_000, false));
        deliver(server.store, lines(300_000, true)); // a line to byte-stuff: the encoder's
        deliver(new MaildirStore(data, MessageFormat.LineEnd.LF), lines(300_000, false)); // LF: the encoder's
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    /**
     * LF-terminated lines of varied length, about {@code size} octets (they are stored with CRLF by default).
     * With {@code dotted}, one line in the middle starts with '.'.
     */
    private static byte[] lines(int size, boolean dotted) {
        StringBuilder b = new StringBuilder("Subject: " + size + "\n\n");
        for (int i = 0; b.length() < size; i++) {
            if (dotted && b.length() > size / 2 && b.length() < size / 2 + 100) {
                b.append('.');
            }
            b.append("line ").append(i).append(' ').append("x".repeat(i % 97)).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private void deliver(MaildirStore store, byte[] message) throws Exception {
        store.deliver(dev.postoffice.storage.MailboxRef.of("alice"), dev.postoffice.storage.Envelope.none(), new ByteArrayInputStream(message));
        canonical.add(new String(message, StandardCharsets.US_ASCII).replace("\n", "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    /** Restarts the server on the same mail with another TLS implementation. */
    private void withTlsProvider(TlsProvider provider) throws Exception {
        server.close();
        server = new TestServer(data, b -> b.tlsProvider(provider)); // alice is in the users file already
    }

    /** Sends every RETR and QUIT in one go, then checks each answer octet for octet. */
    private void retrievePipelined(RawClient c) throws Exception {
        StringBuilder commands = new StringBuilder();
        for (int i = 1; i <= canonical.size(); i++) {
            commands.append("RETR ").append(i).append("\r\n");
        }
        c.send(commands + "QUIT\r\n");
        for (int i = 1; i <= canonical.size(); i++) {
            byte[] expected = canonical.get(i - 1);
            assertThat(c.line()).isEqualTo("+OK " + expected.length + " octets");
            assertThat(c.multilineOctets()).as("message %d", i).isEqualTo(expected);
        }
        assertThat(c.line()).startsWith("+OK");
    }

    @Test
    void cleartextPipelinedRetrievalIsExact() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            retrievePipelined(c);
        }
        assertThat(server.storedCount("alice")).isEqualTo(canonical.size());
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void implicitTlsRetrievalIsExact(TlsProvider provider) throws Exception {
        withTlsProvider(provider);
        Socket tls = TlsClient.trusting(data.resolve("tls/cert.pem")).getSocketFactory()
                .createSocket("127.0.0.1", server.tlsPort());
        try (RawClient c = new RawClient(tls).login("alice", "secret")) {
            retrievePipelined(c);
        }
    }

    @ParameterizedTest
    @EnumSource(TlsProvider.class)
    void startTlsRetrievalIsExact(TlsProvider provider) throws Exception {
        withTlsProvider(provider);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("STLS")).startsWith("+OK");
            c.startTls(TlsClient.trusting(data.resolve("tls/cert.pem"))).login("alice", "secret");
            retrievePipelined(c);
        }
    }

    @Test
    void aSlowReaderWithASmallWindowGetsEveryOctet() throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()));
        try (RawClient c = new RawClient(s).login("alice", "secret")) {
            byte[] expected = canonical.get(3);
            c.send("RETR 4\r\nNOOP\r\n");
            InputStream in = s.getInputStream();
            // Read in small bites with pauses, so that the server keeps finding the window full.
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] bite = new byte[2048];
            String tail = ".\r\n+OK\r\n";
            for (int reads = 1; !endsWith(got, tail); reads++) {
                int n = in.read(bite);
                assertThat(n).as("the server closed early").isPositive();
                got.write(bite, 0, n);
                if (reads % 8 == 0) {
                    Thread.sleep(1);
                }
            }
            String header = "+OK " + expected.length + " octets\r\n";
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            want.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
            want.writeBytes(expected);
            want.writeBytes(tail.getBytes(StandardCharsets.US_ASCII));
            assertThat(got.toByteArray()).isEqualTo(want.toByteArray());
        }
    }

    private static boolean endsWith(ByteArrayOutputStream b, String suffix) {
        byte[] a = b.toByteArray();
        byte[] s = suffix.getBytes(StandardCharsets.US_ASCII);
        if (a.length < s.length) {
            return false;
        }
        for (int i = 0; i < s.length; i++) {
            if (a[a.length - s.length + i] != s[i]) {
                return false;
            }
        }
        return true;
    }

    @Test
    void commonsNetRetrievesEveryMessageExactly() throws Exception {
        POP3Client c = new POP3Client();
        c.setCharset(StandardCharsets.ISO_8859_1);
        c.setDefaultTimeout(10_000);
        c.connect("127.0.0.1", server.port());
        try {
            assertThat(c.login("alice", "secret")).isTrue();
            for (int i = 1; i <= canonical.size(); i++) {
                StringBuilder text = new StringBuilder();
                try (Reader r = c.retrieveMessage(i)) {
                    char[] buf = new char[8192];
                    for (int n; (n = r.read(buf)) >= 0; ) {
                        text.append(buf, 0, n);
                    }
                }
                assertThat(text.toString().getBytes(StandardCharsets.ISO_8859_1)).as("message %d", i)
                        .isEqualTo(canonical.get(i - 1));
            }
            assertThat(c.logout()).isTrue();
        } finally {
            c.disconnect();
        }
    }
}
