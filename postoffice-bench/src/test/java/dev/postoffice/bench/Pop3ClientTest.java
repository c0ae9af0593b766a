package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.message.MessageFormat;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class Pop3ClientTest {
    private static final int TIMEOUT = 5_000;

    private static Pop3Client connect(InetSocketAddress a) throws Pop3Exception {
        return Pop3Client.connect(a, TIMEOUT, TIMEOUT, 64, null); // a tiny buffer: lines and terminators split across reads
    }

    @Test
    void retrUndoesByteStuffingAndCountsExactlyWhatListAnnounces() throws Exception {
        // Stored with LF, CRLF and lone CR line ends, lines starting with dots, no final line break.
        byte[] stored = "Subject: dots\n\n.leading dot\r\n..two dots\r.\n. space\nlast line".getBytes(StandardCharsets.US_ASCII);
        CeilingServer.Message m = CeilingServer.message(stored);
        try (CeilingServer s = CeilingServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Map.of(), CeilingServer.maildrop(List.of(m, m)))) {
            LongAdder wire = new LongAdder();
            try (Pop3Client c = Pop3Client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.port()),
                    TIMEOUT, TIMEOUT, 64, wire)) {
                c.login("anyone", "any password");
                assertThat(c.stat()).containsExactly(2L, 2 * MessageFormat.canonicalSize(stored));
                Pop3Client.Listing<Long> list = c.list();
                assertThat(list.numbers()).containsExactly(1, 2);
                assertThat(list.values()).containsExactly(m.size(), m.size());
                assertThat(c.uidl().values()).hasSize(2);
                assertThat(c.retr(1, list.values().get(0))).isEqualTo(MessageFormat.canonicalSize(stored));
                assertThat(c.top(2, 0)).isEqualTo("Subject: dots\r\n\r\n".length());
                c.noop();
                assertThat(c.capa()).contains("TOP", "UIDL");
                c.quit();
                assertThat(c.bytesIn()).isEqualTo(wire.sum()).isGreaterThan(2 * m.size());
            }
        }
    }

    @Test
    void aLoneDotInsideTheBodyIsNotTheEnd() throws Exception {
        String body = "+OK\r\n..\r\n.x\r\n...\r\n.\r\n"; // unstuffed: ".", "x", ".."
        try (ScriptedServer s = new ScriptedServer("+OK hi\r\n", line -> line.startsWith("RETR") ? body : "+OK\r\n")) {
            try (Pop3Client c = connect(s.address())) {
                assertThat(c.retr(1, ".\r\nx\r\n..\r\n".length())).isEqualTo(".\r\nx\r\n..\r\n".length());
                c.noop(); // the stream is in step after the terminator
            }
        }
    }

    @Test
    void aSizeThatDiffersFromListIsAProtocolError() throws Exception {
        try (ScriptedServer s = new ScriptedServer("+OK hi\r\n", line -> "+OK\r\nabc\r\n.\r\n")) {
            try (Pop3Client c = connect(s.address())) {
                assertThatThrownBy(() -> c.retr(1, 4))
                        .isInstanceOfSatisfying(Pop3Exception.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.PROTOCOL))
                        .hasMessageContaining("sent 5 octets, LIST said 4");
            }
        }
    }

    @Test
    void responseCodesAreClassified() throws Exception {
        try (ScriptedServer s = new ScriptedServer("+OK hi\r\n", line -> switch (line.split(" ")[0]) {
            case "USER" -> "+OK\r\n";
            case "PASS" -> line.endsWith("locked") ? "-ERR [IN-USE] maildrop is locked\r\n"
                    : line.endsWith("plain") ? "-ERR no\r\n" : "-ERR [AUTH] authentication failed\r\n";
            case "STAT" -> "-ERR [SYS/TEMP] try later\r\n";
            case "NOOP" -> "what?\r\n";
            default -> null;
        })) {
            try (Pop3Client c = connect(s.address())) {
                assertKind(() -> c.login("a", "locked"), ErrorKind.IN_USE);
                assertKind(() -> c.login("a", "wrong"), ErrorKind.AUTH);
                assertKind(() -> c.login("a", "plain"), ErrorKind.AUTH);
                assertKind(c::stat, ErrorKind.ERR_OTHER);
                assertKind(c::noop, ErrorKind.PROTOCOL);
                assertKind(c::quit, ErrorKind.CLOSED);
            }
        }
    }

    @Test
    void connectionFailuresAreClassified() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort());
        }
        assertKind(() -> connect(closed), ErrorKind.CONNECT_REFUSED);
        try (ScriptedServer s = new ScriptedServer("+OK hi\r\n", line -> "")) { // never answers
            try (Pop3Client c = Pop3Client.connect(s.address(), TIMEOUT, 200, 64, null)) {
                assertKind(c::noop, ErrorKind.TIMEOUT);
            }
        }
        try (ScriptedServer s = new ScriptedServer("* OK IMAP4rev1\r\n", line -> null)) {
            assertKind(() -> connect(s.address()), ErrorKind.PROTOCOL);
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void assertKind(Call call, ErrorKind kind) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(Pop3Exception.class, e -> assertThat(e.kind()).isEqualTo(kind));
    }
}
