package dev.postoffice.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/**
 * Reads protocol lines from a blocking stream in bounded memory.
 *
 * <p>A line ends in CRLF or a bare LF; stray CRs before the line end ({@code STAT\r\r\n}, from clients that add
 * their own CR) are dropped, as Dovecot does. Lines longer than the caller's limit are consumed and reported
 * as {@link Result#TOO_LONG} without being buffered; past a hard bound of discarded octets the reader
 * gives up with {@link Result#TOO_LONG_FATAL} so that a peer streaming an endless line cannot keep a
 * session busy. Before every read that may block, the reader runs a callback: the session flushes its
 * pending responses there, which answers pipelined commands in batches (RFC 2449 section 6.6) without
 * ever leaving a reply unsent while the client waits.
 *
 * <p>Memory per connection is the read-ahead buffer and a {@value #SMALL_LINE}-octet line buffer. Only a line
 * that starts with a given prefix (AUTH's initial response) may grow past the short limit, and the line buffer
 * shrinks back to its small size at the next read, so an idle connection that once sent a long line holds no
 * more than one that never did.
 */
public final class LineReader {
    /** What {@link #read(int)} found. */
    public enum Result { LINE, TOO_LONG, TOO_LONG_FATAL, EOF }

    /** Runs before a read that may block. */
    @FunctionalInterface
    public interface BeforeBlocking {
        void run() throws IOException;
    }

    private final InputStream in;
    private final BeforeBlocking beforeBlocking;
    private final long hardLimit;
    private final byte[] buf;
    private int pos;
    private int limit;
    /** The line buffer's size between long lines. */
    static final int SMALL_LINE = 256;

    private byte[] line = new byte[SMALL_LINE];
    private int lineLength;
    /** The stream ended during {@link #pollPeer}; the next read reports it. */
    private boolean ended;

    /**
     * @param in             the stream to read
     * @param bufferSize     read-ahead buffer size
     * @param hardLimit      octets of one overlong line after which the reader gives up
     * @param beforeBlocking called before each read that may block
     */
    public LineReader(InputStream in, int bufferSize, long hardLimit, BeforeBlocking beforeBlocking) {
        this.in = in;
        this.buf = new byte[bufferSize];
        this.hardLimit = hardLimit;
        this.beforeBlocking = beforeBlocking;
    }

    /**
     * Reads the next line.
     *
     * @param maxLength the longest acceptable line in octets, terminator included (RFC 2449: 255 for
     *                  commands)
     */
    public Result read(int maxLength) throws IOException {
        return read(maxLength, null, maxLength);
    }

    /**
     * Reads the next line, allowing lines that start with {@code longPrefix} (ASCII, compared ignoring case) up to
     * {@code longMaxLength} octets; others are held to {@code maxLength}.
     */
    public Result read(int maxLength, byte[] longPrefix, int longMaxLength) throws IOException {
        if (line.length > SMALL_LINE) {
            line = new byte[SMALL_LINE]; // the last line was long: give the memory back while idle
        }
        lineLength = 0;
        long seen = 0;
        boolean discarding = false;
        while (true) {
            if (pos == limit && !fill()) {
                return Result.EOF;
            }
            int lf = indexOfLf(pos, limit);
            int end = lf < 0 ? limit : lf + 1;
            int chunk = end - pos;
            seen += chunk;
            if (!discarding && seen > maxLength) {
                if (longPrefix != null && startsWith(longPrefix, chunk)) {
                    maxLength = longMaxLength;
                    longPrefix = null;
                }
                if (seen > maxLength) {
                    discarding = true;
                    lineLength = 0;
                }
            }
            if (!discarding) {
                append(pos, chunk);
            }
            pos = end;
            if (lf >= 0) {
                if (discarding) {
                    return Result.TOO_LONG;
                }
                lineLength -= 1; // the LF
                while (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength -= 1; // the CR of CRLF, and any stray CR before it
                }
                return Result.LINE;
            }
            if (discarding && seen > hardLimit) {
                return Result.TOO_LONG_FATAL;
            }
        }
    }

    /** The last line read, without its terminator; valid until the next read. */
    public byte[] line() {
        return line;
    }

    public int lineLength() {
        return lineLength;
    }

    /** Whether input is already buffered, i.e. the client pipelined more commands. */
    public boolean hasBufferedInput() {
        return pos < limit;
    }

    /**
     * Throws away everything read ahead. Used after STLS: whatever the client sent before the TLS
     * handshake must never be executed as if it had come through the secure channel.
     */
    public int discardBuffered() {
        int n = limit - pos;
        pos = limit = 0;
        return n;
    }

    /**
     * Whether the peer is still there, for a caller that waits on something else (a password hash) meanwhile: when
     * nothing is buffered, reads what has arrived into the read-ahead buffer, where the next {@link #read} finds it.
     * The stream must be set up so that this read waits only briefly (a socket timeout); a timeout means "still
     * there". False once the stream has ended (the peer closed its side).
     */
    public boolean pollPeer() throws IOException {
        if (pos < limit) {
            return true;
        }
        if (ended) {
            return false;
        }
        try {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                ended = true;
                return false;
            }
            pos = 0;
            limit = n;
            return true;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    private boolean fill() throws IOException {
        if (ended) {
            return false;
        }
        beforeBlocking.run();
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    /** The line buffer's size (for tests of the memory bound). */
    int capacity() {
        return line.length;
    }

    /** Whether the line so far, then the next {@code chunk} octets of the read-ahead buffer, start with prefix. */
    private boolean startsWith(byte[] prefix, int chunk) {
        if (lineLength + chunk < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            byte b = i < lineLength ? line[i] : buf[pos + i - lineLength];
            byte p = prefix[i];
            boolean letter = (p | 0x20) >= 'a' && (p | 0x20) <= 'z';
            if (letter ? (b | 0x20) != (p | 0x20) : b != p) {
                return false;
            }
        }
        return true;
    }

    private int indexOfLf(int from, int to) {
        byte[] b = buf;
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void append(int from, int n) {
        if (lineLength + n > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + n));
        }
        System.arraycopy(buf, from, line, lineLength, n);
        lineLength += n;
    }
}
