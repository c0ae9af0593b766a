package dev.postoffice.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads protocol lines from a blocking stream in bounded memory.
 *
 * <p>A line ends in CRLF or a bare LF. Lines longer than the caller's limit are consumed and reported
 * as {@link Result#TOO_LONG} without being buffered; past a hard bound of discarded octets the reader
 * gives up with {@link Result#TOO_LONG_FATAL} so that a peer streaming an endless line cannot keep a
 * session busy. Before every read that may block, the reader runs a callback: the session flushes its
 * pending responses there, which answers pipelined commands in batches (RFC 2449 section 6.6) without
 * ever leaving a reply unsent while the client waits.
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
    private byte[] line = new byte[256];
    private int lineLength;

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
                discarding = true;
                lineLength = 0;
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
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength -= 1;
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

    private boolean fill() throws IOException {
        beforeBlocking.run();
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        limit = n;
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
