package dev.postoffice.testkit.contract;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageFormat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

/** Octet helpers for the storage contract: texts, the canonical form, and streams that trickle, fail or generate. */
public final class Octets {
    /** One line of the generated large message, without its line end. */
    static final byte[] LARGE_LINE = ("Lorem ipsum dolor sit amet " + "0123456789abcdef".repeat(62)).getBytes(
            StandardCharsets.US_ASCII);

    private Octets() {}

    /** Messages with every kind of line end, no final line break, lines to byte-stuff and 8-bit octets. */
    public static Stream<String> samples() {
        return Stream.of(
                "Subject: lf\n\nbody\n",
                "Subject: crlf\r\n\r\nbody\r\n",
                "Subject: cr\r\rbody\r",
                "Subject: mixed\r\n\nlf\ncr\rcrlf\r\n",
                "Subject: no final break\n\nlast line",
                "Subject: dots\r\n\r\n.\r\n..two\r\n.hidden\r\nend\r\n",
                "Subject: dots lf\n\n.\n..\nx.y\n.",
                "Subject: 8bit\n\n\u00e9t\u00e9 \u00ff\u0000\u0001\n",
                "\r\n",
                "x");
    }

    /** A text's octets, one per char (ISO-8859-1), so any octet can be written. */
    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Octets as text, one char per octet, for readable assertion messages. */
    public static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** A message in canonical form: every line end CRLF, a final CRLF added if missing. */
    public static byte[] canonical(byte[] message) {
        MessageFormat.LineEndConverter converter = new MessageFormat.LineEndConverter(MessageFormat.LineEnd.CRLF);
        byte[] out = new byte[MessageFormat.LineEndConverter.maxOutput(message.length) + 2];
        int n = converter.convert(message, 0, message.length, out);
        byte[] tail = new byte[2];
        int t = converter.finish(tail);
        System.arraycopy(tail, 0, out, n, t);
        return Arrays.copyOf(out, n + t);
    }

    /** Whether a line of a canonical message starts with '.', which RETR byte-stuffs. */
    public static boolean hasDotLine(byte[] canonical) {
        for (int i = 0; i < canonical.length; i++) {
            if (canonical[i] == '.' && (i == 0 || canonical[i - 1] == '\n')) {
                return true;
            }
        }
        return false;
    }

    public static InputStream input(byte[] b) {
        return new ByteArrayInputStream(b);
    }

    /** A stream that hands out one octet per read, so every line end may be split across reads. */
    public static InputStream trickle(byte[] b) {
        return new ByteArrayInputStream(b) {
            @Override
            public synchronized int read(byte[] buf, int off, int len) {
                return super.read(buf, off, Math.min(len, 1));
            }
        };
    }

    /** A stream that yields the first half of {@code b} and then throws, as a dropped connection would. */
    public static InputStream failingAfter(byte[] b) {
        return new InputStream() {
            private final InputStream in = new ByteArrayInputStream(b, 0, b.length / 2);

            @Override
            public int read() throws IOException {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection dropped");
                }
                return c;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = in.read(buf, off, len);
                if (n < 0) {
                    throw new IOException("connection dropped");
                }
                return n;
            }
        };
    }

    /** A generated message of {@code lines} copies of {@link #LARGE_LINE}, LF-terminated; allocates nothing per read. */
    public static InputStream largeMessage(long lines) {
        byte[] line = Arrays.copyOf(LARGE_LINE, LARGE_LINE.length + 1);
        line[LARGE_LINE.length] = '\n';
        long total = lines * line.length;
        return new InputStream() {
            private long pos;

            @Override
            public int read() {
                return pos < total ? line[(int) (pos++ % line.length)] : -1;
            }

            @Override
            public int read(byte[] buf, int off, int len) {
                if (pos >= total) {
                    return -1;
                }
                int n = 0;
                while (n < len && pos < total) {
                    int at = (int) (pos % line.length);
                    int k = (int) Math.min(Math.min(len - n, line.length - at), total - pos);
                    System.arraycopy(line, at, buf, off + n, k);
                    n += k;
                    pos += k;
                }
                return n;
            }
        };
    }

    /** All octets of a message body's stream, as text. */
    public static String read(MessageBody body) throws IOException {
        try (InputStream in = body.open()) {
            return text(in.readAllBytes());
        }
    }

    /** All octets of a channel from position 0. */
    public static byte[] readAll(FileChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        for (long pos = 0; ; ) {
            buf.clear();
            int n = ch.read(buf, pos);
            if (n < 0) {
                return out.toByteArray();
            }
            out.write(buf.array(), 0, n);
            pos += n;
        }
    }

    /** The heap octets the current thread has allocated so far (HotSpot's per-thread counter). */
    public static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
