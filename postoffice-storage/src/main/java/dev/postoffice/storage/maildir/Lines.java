package dev.postoffice.storage.maildir;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The lines of a reader (ended by LF, CR LF or the end), none longer than a limit: a longer one is read past and
 * given as {@link #TOO_LONG}, so no line costs more memory than the limit.
 */
final class Lines {
    /** Stands for a line that was too long (compare by identity). */
    static final String TOO_LONG = new String("(too long)");

    private final Reader in;
    private final int max;
    private final char[] buf;
    private int pos;
    private int end;

    Lines(Reader in, int max) {
        this(in, max, 8192);
    }

    /** With a buffer of {@code bufferChars} (lines longer than it are read in several fills). */
    Lines(Reader in, int max, int bufferChars) {
        this.in = in;
        this.max = max;
        this.buf = new char[bufferChars];
    }

    /** The next line without its end, {@link #TOO_LONG}, or null at the end. */
    String readLine() throws IOException {
        StringBuilder line = null;
        boolean tooLong = false;
        while (true) {
            if (pos == end) {
                int n = in.read(buf, 0, buf.length);
                if (n <= 0) {
                    pos = end = 0;
                    return tooLong ? TOO_LONG : line == null ? null : strip(line);
                }
                pos = 0;
                end = n;
            }
            int lf = pos;
            while (lf < end && buf[lf] != '\n') {
                lf++;
            }
            if (!tooLong) {
                if (line == null) {
                    line = new StringBuilder(Math.min(lf - pos + 16, max + 1));
                }
                if (line.length() + (lf - pos) > max + 1) { // + 1: a CR before the LF
                    tooLong = true;
                    line = null;
                } else {
                    line.append(buf, pos, lf - pos);
                }
            }
            if (lf < end) {
                pos = lf + 1;
                return tooLong ? TOO_LONG : strip(line);
            }
            pos = end;
        }
    }

    private String strip(StringBuilder line) {
        int n = line.length();
        if (n > 0 && line.charAt(n - 1) == '\r') {
            n--;
        }
        return n > max ? TOO_LONG : line.substring(0, n);
    }

    /**
     * The first {@code limit} octets of a file (fewer if it is shorter), read with positional reads: nothing past
     * the limit is ever asked for, so a file that grows meanwhile costs no more, and a FIFO opened in its place
     * (size 0, see {@link MaildirDirs#readOwn}) is never read.
     */
    static InputStream upTo(FileChannel ch, long limit) {
        return new InputStream() {
            private long position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position >= limit) {
                    return -1;
                }
                if (len == 0) {
                    return 0;
                }
                int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, limit - position)), position);
                if (n > 0) {
                    position += n;
                }
                return n;
            }
        };
    }
}
