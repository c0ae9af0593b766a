package dev.postoffice.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplyReaderTest {
    /** Delivers at most {@code chunk} octets per read, so every split of lines and terminators is exercised. */
    static InputStream trickle(String s, int chunk) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return new ByteArrayInputStream(b) {
            @Override
            public synchronized int read(byte[] buf, int off, int len) {
                return super.read(buf, off, Math.min(len, chunk));
            }
        };
    }

    static final String WIRE = "+OK 3 octets\r\nSubject: x\r\n\r\n..dot\r\n..\r\nbare\nend\r\n.\r\n+OK next\r\n";

    @Test
    void bodiesAreUnstuffedAndEndAtTheTerminatorWhateverTheReadSizes() throws IOException {
        for (int chunk = 1; chunk <= WIRE.length(); chunk++) {
            ReplyReader r = new ReplyReader(trickle(WIRE, chunk), 1024);
            assertThat(r.status().ok()).isTrue();
            ByteArrayOutputStream crlf = new ByteArrayOutputStream();
            long octets = r.body(crlf, false);
            assertThat(crlf.toString(StandardCharsets.ISO_8859_1))
                    .isEqualTo("Subject: x\r\n\r\n.dot\r\n.\r\nbare\nend\r\n");
            assertThat(octets).isEqualTo("Subject: x\r\n\r\n.dot\r\n.\r\nbare\r\nend\r\n".length());
            assertThat(r.status().text()).as("chunk " + chunk).isEqualTo("next");
        }
        ReplyReader r = new ReplyReader(trickle(WIRE, 3), 1024);
        r.status();
        ByteArrayOutputStream lf = new ByteArrayOutputStream();
        r.body(lf, true);
        assertThat(lf.toString(StandardCharsets.ISO_8859_1)).isEqualTo("Subject: x\n\n.dot\n.\nbare\nend\n");
    }

    @Test
    void aConnectionThatEndsInsideABodyIsAnError() {
        ReplyReader r = new ReplyReader(trickle("line one\r\nline tw", 4), 1024);
        assertThatThrownBy(() -> r.body(OutputStreamSink.INSTANCE, true)).isInstanceOf(EOFException.class);
        ReplyReader cr = new ReplyReader(trickle("line\r", 4), 1024);
        assertThatThrownBy(() -> cr.body(OutputStreamSink.INSTANCE, true)).isInstanceOf(EOFException.class);
    }

    @Test
    void statusLinesCarryResponseCodesAndNoControlCharacters() throws IOException {
        StatusLine s = StatusLine.parse("-ERR [in-use] locked \u001b[31mred");
        assertThat(s.ok()).isFalse();
        assertThat(s.hasCode("IN-USE")).isTrue();
        assertThat(s.text()).isEqualTo("locked \\x1b[31mred");
        assertThat(StatusLine.parse("+ PDEyMz4=").continuation()).isTrue();
        assertThat(StatusLine.parse("+OK").text()).isEmpty();
        assertThatThrownBy(() -> StatusLine.parse("* OK imap")).isInstanceOf(ProtocolException.class);
    }

    enum OutputStreamSink {
        ;
        static final java.io.OutputStream INSTANCE = java.io.OutputStream.nullOutputStream();
    }
}
