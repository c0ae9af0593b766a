package dev.postoffice.protocol;

import dev.postoffice.message.LineScan;
import dev.postoffice.message.MessageFormat;
import java.io.IOException;
import java.io.InputStream;

/**
 * Streams a stored message onto the wire in canonical form (see {@link MessageFormat}): every line end
 * (CRLF, LF or a lone CR) becomes CRLF, a final CRLF is added when the message lacks one, and a line that
 * begins with '.' is byte-stuffed. For TOP it stops after the header, the blank line and the requested
 * number of body lines, without reading the rest of the message.
 *
 * <p>Memory is bounded by one read chunk whatever the message size.
 */
final class WireEncoder {
    private static final int CHUNK = 16 * 1024;

    private final ResponseWriter out;
    private final long bodyLineLimit;

    private boolean atLineStart = true;
    private boolean pendingCr;
    private boolean inBody;
    private long bodyLines;
    private long octets;

    /** @param bodyLineLimit body lines to send, or negative for the whole message */
    WireEncoder(ResponseWriter out, long bodyLineLimit) {
        this.out = out;
        this.bodyLineLimit = bodyLineLimit;
    }

    /** Returns the canonical octets sent, i.e. before byte-stuffing. */
    long encode(InputStream in) throws IOException {
        return encode(in, new byte[CHUNK]);
    }

    /** As {@link #encode(InputStream)}, reading the stored message through {@code chunk}. */
    long encode(InputStream in, byte[] chunk) throws IOException {
        int n;
        boolean done = false;
        while (!done && (n = in.read(chunk)) > 0) {
            done = encodeChunk(chunk, n);
        }
        if (!atLineStart) {
            lineEnd();
        }
        return octets;
    }

    /** Returns true once TOP's limit is reached. */
    private boolean encodeChunk(byte[] b, int n) throws IOException {
        int i = 0;
        while (i < n) {
            if (pendingCr) {
                pendingCr = false;
                if (b[i] == '\n') {
                    i++;
                    continue;
                }
            }
            byte c = b[i];
            if (c == '\r' || c == '\n') {
                if (lineEnd()) {
                    return true;
                }
                pendingCr = c == '\r';
                i++;
                continue;
            }
            // A run of ordinary octets up to the next line end, copied in one go.
            int j = LineScan.lineEnd(b, i + 1, n);
            if (atLineStart && c == '.') {
                out.writeByte('.');
            }
            out.write(b, i, j - i);
            octets += j - i;
            atLineStart = false;
            i = j;
        }
        return false;
    }

    /** Ends the current line; returns true when TOP has sent all it should. */
    private boolean lineEnd() throws IOException {
        boolean emptyLine = atLineStart;
        out.writeByte('\r');
        out.writeByte('\n');
        octets += 2;
        atLineStart = true;
        if (bodyLineLimit < 0) {
            return false;
        }
        if (!inBody) {
            if (emptyLine) {
                inBody = true;
                return bodyLineLimit == 0;
            }
            return false;
        }
        bodyLines++;
        return bodyLines >= bodyLineLimit;
    }
}
