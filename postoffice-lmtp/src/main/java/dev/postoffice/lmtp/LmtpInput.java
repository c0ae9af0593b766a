package dev.postoffice.lmtp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The octets a client sends, buffered so that pipelined commands are never read past: command lines, DATA up to
 * exactly CRLF.CRLF with leading dots unstuffed, and BDAT chunks of an exact length.
 */
final class LmtpInput {
    /** What a command line read gave. */
    enum LineStatus { OK, TOO_LONG }

    private final InputStream in;
    private final Runnable progress;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;

    /** @param progress called after every read that got octets (the session extends its deadline) */
    LmtpInput(InputStream in, Runnable progress) {
        this.in = in;
        this.progress = progress;
    }

    /** Whether the client has sent more than has been read (pipelining: do not flush replies yet). */
    boolean hasBuffered() throws IOException {
        return pos < limit || in.available() > 0;
    }

    private boolean fill() throws IOException {
        if (pos < limit) {
            return true;
        }
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        limit = n;
        progress.run();
        return true;
    }

    /**
     * Reads one command line up to LF (a CR before it dropped) into {@code line}; a line longer than {@code max}
     * octets is read to its end and reported {@link LineStatus#TOO_LONG}. Returns null at the end of input.
     */
    LineStatus readLine(StringBuilderBytes line, int max) throws IOException {
        line.reset();
        boolean tooLong = false;
        while (true) {
            if (!fill()) {
                if (line.length() == 0 && !tooLong) {
                    return null;
                }
                throw new EOFException("connection closed in the middle of a line");
            }
            while (pos < limit) {
                byte b = buf[pos++];
                if (b == '\n') {
                    line.dropTrailingCr();
                    return tooLong ? LineStatus.TOO_LONG : LineStatus.OK;
                }
                if (line.length() < max) {
                    line.append(b);
                } else {
                    tooLong = true;
                }
            }
        }
    }

    /**
     * Copies DATA to {@code out} up to the terminating CRLF.CRLF, unstuffing a dot that starts a line. Only CRLF
     * starts a line: a bare LF followed by ".CRLF" is message content, not the end (no SMTP smuggling). The
     * message's last CRLF is kept. Octets beyond {@code max} are read and dropped.
     *
     * @return the octets the message has (which may exceed what was written when over {@code max})
     */
    long readData(OutputStream out, long max) throws IOException {
        final int lineStart = 0;
        final int mid = 1;
        final int cr = 2;
        final int dot = 3;
        final int dotCr = 4;
        int state = lineStart;
        long total = 0;
        byte[] chunk = new byte[buf.length + 2];
        while (true) {
            if (!fill()) {
                throw new EOFException("connection closed during DATA");
            }
            int n = 0;
            boolean end = false;
            while (pos < limit && !end) {
                byte b = buf[pos++];
                switch (state) {
                    case lineStart -> {
                        if (b == '.') {
                            state = dot;
                        } else {
                            chunk[n++] = b;
                            state = b == '\r' ? cr : mid;
                        }
                    }
                    case mid -> {
                        chunk[n++] = b;
                        if (b == '\r') {
                            state = cr;
                        }
                    }
                    case cr -> {
                        chunk[n++] = b;
                        state = b == '\n' ? lineStart : b == '\r' ? cr : mid;
                    }
                    case dot -> {
                        if (b == '\r') {
                            state = dotCr;
                        } else {
                            chunk[n++] = b;
                            state = mid;
                        }
                    }
                    default -> { // dotCr
                        if (b == '\n') {
                            end = true;
                        } else {
                            chunk[n++] = '\r';
                            chunk[n++] = b;
                            state = b == '\r' ? cr : mid;
                        }
                    }
                }
            }
            total += write(out, chunk, n, total, max);
            if (end) {
                return total;
            }
        }
    }

    /** Copies exactly {@code count} octets (a BDAT chunk) to {@code out}; octets past {@code max} are dropped. */
    long readChunk(OutputStream out, long count, long already, long max) throws IOException {
        long left = count;
        while (left > 0) {
            if (!fill()) {
                throw new EOFException("connection closed during BDAT");
            }
            int n = (int) Math.min(left, limit - pos);
            write(out, buf, pos, n, already + count - left, max);
            pos += n;
            left -= n;
        }
        return count;
    }

    private static int write(OutputStream out, byte[] b, int n, long written, long max) throws IOException {
        return write(out, b, 0, n, written, max);
    }

    private static int write(OutputStream out, byte[] b, int off, int n, long written, long max) throws IOException {
        long room = max - written;
        if (room > 0) {
            out.write(b, off, (int) Math.min(n, room));
        }
        return n;
    }
}
