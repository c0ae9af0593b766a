package dev.postoffice.protocol.client;

import dev.postoffice.message.LineScan;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The client's side of the wire: reads status lines and multi-line responses from a blocking stream through
 * one buffer, so that a body can follow its status line without a copy. A multi-line body is un-byte-stuffed
 * (RFC 1939 section 3: a leading '.' of a line is removed, {@code .CRLF} ends the response) as it streams to
 * the caller's output, optionally with its CRLF line ends turned into LF, in memory bounded by the buffer.
 */
public final class ReplyReader {
    /** Longest status line accepted (RFC 2449 allows 512 octets; servers send longer SASL challenges). */
    public static final int MAX_LINE = 64 * 1024;

    private final InputStream in;
    private final byte[] buf;
    private int pos;
    private int limit;

    public ReplyReader(InputStream in, int bufferSize) {
        this.in = in;
        this.buf = new byte[Math.max(bufferSize, 1024)];
    }

    /** The next line without its line end (CRLF or bare LF), decoded as UTF-8. */
    public String line() throws IOException {
        StringBuilder long_ = null;
        while (true) {
            if (pos == limit && !fill()) {
                throw new EOFException("the server closed the connection");
            }
            int lf = LineScan.nextLf(buf, pos, limit);
            if (lf < limit) {
                int end = lf;
                if (end > pos && buf[end - 1] == '\r') {
                    end--;
                }
                String part = new String(buf, pos, end - pos, StandardCharsets.UTF_8);
                pos = lf + 1;
                if (long_ == null) {
                    return part;
                }
                String whole = long_.append(part).toString();
                return whole.endsWith("\r") ? whole.substring(0, whole.length() - 1) : whole;
            }
            if (long_ == null) {
                long_ = new StringBuilder();
            }
            long_.append(new String(buf, pos, limit - pos, StandardCharsets.ISO_8859_1));
            pos = limit;
            if (long_.length() > MAX_LINE) {
                throw new ProtocolException("a line from the server is longer than " + MAX_LINE + " octets");
            }
        }
    }

    /** The next status line, parsed. */
    public StatusLine status() throws IOException {
        return StatusLine.parse(line());
    }

    /**
     * Copies a multi-line response body up to and without its terminating {@code .CRLF} to {@code out},
     * removing byte-stuffing.
     *
     * @param toLf write LF line ends instead of the wire's CRLF (a bare LF from the server stays a bare LF)
     * @return the octets of the body in wire form before stuffing (CRLF line ends): what LIST reports
     */
    public long body(OutputStream out, boolean toLf) throws IOException {
        long wireOctets = 0;
        boolean lineStart = true;
        while (true) {
            if (lineStart) {
                if (!ensure(3)) {
                    throw new EOFException("the server closed the connection inside a message");
                }
                if (buf[pos] == '.') {
                    byte b1 = buf[pos + 1];
                    if (b1 == '\n' || (b1 == '\r' && buf[pos + 2] == '\n')) {
                        pos += b1 == '\n' ? 2 : 3;
                        return wireOctets;
                    }
                    pos++; // byte-stuffing
                }
                lineStart = false;
            }
            if (pos == limit && !fill()) {
                throw new EOFException("the server closed the connection inside a message");
            }
            int lf = LineScan.nextLf(buf, pos, limit);
            if (lf < limit) {
                int contentEnd = lf > pos && buf[lf - 1] == '\r' ? lf - 1 : lf;
                if (toLf) {
                    out.write(buf, pos, contentEnd - pos);
                    out.write('\n');
                } else {
                    out.write(buf, pos, lf + 1 - pos);
                }
                wireOctets += contentEnd - pos + 2;
                pos = lf + 1;
                lineStart = true;
            } else {
                // A partial line: keep a trailing CR back, it may be the CR of the CRLF in the next read.
                int end = buf[limit - 1] == '\r' ? limit - 1 : limit;
                if (end == pos) {
                    if (!compactAndRead()) {
                        throw new EOFException("the server closed the connection inside a message");
                    }
                    continue;
                }
                out.write(buf, pos, end - pos);
                wireOctets += end - pos;
                pos = end;
            }
        }
    }

    /** Reads and drops a multi-line body; returns its wire octets. */
    public long skipBody() throws IOException {
        return body(OutputStream.nullOutputStream(), false);
    }

    /** Whether the server already sent more than has been read (a pipelined reply is waiting). */
    public boolean hasBufferedInput() {
        return pos < limit;
    }

    /** Drops what was read ahead: after STLS, nothing the plain connection carried may count. */
    public int discardBuffered() {
        int n = limit - pos;
        pos = limit = 0;
        return n;
    }

    /** Makes at least {@code n} octets available from pos; false at end of stream before that. */
    private boolean ensure(int n) throws IOException {
        while (limit - pos < n) {
            if (!compactAndRead()) {
                return false;
            }
        }
        return true;
    }

    private boolean compactAndRead() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        int r = in.read(buf, limit, buf.length - limit);
        if (r <= 0) {
            return false;
        }
        limit += r;
        return true;
    }

    private boolean fill() throws IOException {
        pos = limit = 0;
        int r = in.read(buf, 0, buf.length);
        if (r <= 0) {
            return false;
        }
        limit = r;
        return true;
    }
}
