package dev.postoffice.protocol;

import dev.postoffice.message.MessageFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * Writes POP3 responses (RFC 1939 section 3) into a bounded buffer in front of a blocking stream.
 *
 * <p>Nothing reaches the peer until the buffer fills or {@link #flush()} is called; the session flushes
 * when it is about to wait for the next command. A peer that stops reading makes the underlying write
 * block, which stops the session from reading further commands: back-pressure with constant memory.
 *
 * <p>Longer than 400 lines because every way a stored message reaches the wire (whole from an off-heap buffer,
 * sendfile, a file or a stream copied, byte-stuffed or converted) shares this buffer's bookkeeping.
 */
public final class ResponseWriter {
    private static final byte[] OK = "+OK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERR = "-ERR".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = ".\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final ByteBuffer END_DIRECT = ByteBuffer.allocateDirect(3).put(END).flip().asReadOnlyBuffer();
    private static final ByteBuffer DOT = ByteBuffer.allocateDirect(1).put((byte) '.').flip().asReadOnlyBuffer();

    private final OutputStream out;
    /** The session's own buffer; {@link #buf} is a borrowed bulk buffer while a large message is sent. */
    private final byte[] small;
    private byte[] buf;
    private int count;
    private long bytesWritten;

    public ResponseWriter(OutputStream out, int bufferSize) {
        this.out = out;
        this.small = new byte[bufferSize];
        this.buf = small;
    }

    /** {@code +OK} with optional text. */
    public void ok(String text) throws IOException {
        status(OK, null, text);
    }

    /** {@code -ERR} with a reason. */
    public void err(String text) throws IOException {
        status(ERR, null, text);
    }

    /** {@code -ERR [CODE] reason} (RFC 2449 section 8). */
    public void err(ResponseCode code, String text) throws IOException {
        status(ERR, code, text);
    }

    private void status(byte[] indicator, ResponseCode code, String text) throws IOException {
        write(indicator, 0, indicator.length);
        if (code != null) {
            writeByte(' ');
            writeByte('[');
            writeText(code.wire());
            writeByte(']');
        }
        if (text != null && !text.isEmpty()) {
            writeByte(' ');
            writeText(text);
        }
        crlf();
    }

    /** A SASL continuation (RFC 5034 section 4): {@code +} SP base64 challenge. */
    public void continuation(String base64) throws IOException {
        writeByte('+');
        writeByte(' ');
        writeText(base64);
        crlf();
    }

    /**
     * One line of a multi-line response, byte-stuffed: a line that starts with '.' gets another '.'
     * (RFC 1939 section 3). The text must not contain CR or LF.
     */
    public void line(String text) throws IOException {
        if (!text.isEmpty() && text.charAt(0) == '.') {
            writeByte('.');
        }
        writeText(text);
        crlf();
    }

    /**
     * Writes a reply. For {@link Reply.Message}: a canonical body is sent from its channel where it offers one
     * (unchanged through {@code direct} when it needs no stuffing), any other through the {@link WireEncoder}.
     *
     * @param direct the zero-copy path to the peer, or null (under TLS)
     * @throws MessageReadException if a message could not be read after {@code +OK} went out: the response cannot
     *                              be completed and the connection must be closed
     */
    public void send(Reply reply, DirectTransfer direct) throws IOException {
        switch (reply) {
            case Reply.Ok r -> ok(r.text());
            case Reply.Err r -> status(ERR, r.code(), r.text());
            case Reply.Lines r -> {
                ok(r.header());
                for (String line : r.lines()) {
                    line(line);
                }
                end();
            }
            case Reply.Challenge r -> continuation(java.util.Base64.getEncoder().encodeToString(r.data()));
            case Reply.Message r -> sendMessage(r, direct);
        }
    }

    private void sendMessage(Reply.Message r, DirectTransfer direct) throws IOException {
        try (dev.postoffice.message.MessageBody body = r.body()) {
            java.util.Optional<FileChannel> channel;
            InputStream in = null;
            try {
                channel = r.bodyLines() < 0 && body.form().canonical() ? body.openChannel() : java.util.Optional.empty();
                if (channel.isEmpty()) {
                    in = body.open();
                }
            } catch (IOException e) {
                err(ResponseCode.SYS_TEMP, "message cannot be read right now");
                return;
            }
            ok(r.header());
            long sent;
            if (channel.isPresent()) {
                try (FileChannel ch = channel.get()) {
                    sent = canonicalMessage(ch, body.size(),
                            body.form() == dev.postoffice.message.MessageForm.DOTTED, direct);
                }
            } else {
                try (InputStream stream = new ReadFailures(in)) {
                    sent = r.bodyLines() < 0 && body.form().canonical()
                            ? canonicalStream(stream, body.size(), body.form() == dev.postoffice.message.MessageForm.DOTTED)
                            : message(stream, r.bodyLines(), body.size());
                } catch (ReadFailures.Failed e) {
                    throw new MessageReadException("cannot read the message: " + e.getCause().getMessage(), e);
                }
            }
            r.sent().accept(sent);
        }
    }

    /** Ends a multi-line response with the termination octet and CRLF. */
    public void end() throws IOException {
        write(END, 0, END.length);
    }

    /**
     * Sends a stored message as the body of a multi-line response, in canonical form and byte-stuffed
     * (see {@link WireEncoder}), then the terminating line.
     *
     * @param bodyLines how many body lines to send after the header and the blank line, or a negative
     *                  number for the whole message (RETR)
     * @return the octets of the message sent, before byte-stuffing
     */
    public long message(InputStream message, long bodyLines) throws IOException {
        return message(message, bodyLines, 0);
    }

    /**
     * As {@link #message(InputStream, long)}; when the whole message is sent and {@code expectedSize} exceeds
     * this writer's buffer, the message goes out through borrowed {@linkplain BulkBuffers bulk buffers}, so a
     * large message costs one write per {@value BulkBuffers#SIZE} octets rather than one per buffer size.
     *
     * @param expectedSize the message's size as far as known (it only chooses the buffers), or 0
     */
    public long message(InputStream message, long bodyLines, long expectedSize) throws IOException {
        if (bodyLines >= 0 || expectedSize <= small.length) {
            long n = new WireEncoder(this, bodyLines).encode(message);
            end();
            return n;
        }
        return withBulkBuffer(chunk -> new WireEncoder(this, bodyLines).encode(message, chunk));
    }

    /**
     * Moves octets of a stored file to the peer without passing them through the JVM where the platform can
     * (sendfile on Linux). Sessions without TLS supply one to {@link #canonicalMessage}.
     */
    public interface DirectTransfer {
        /**
         * Sends up to {@code count} octets of {@code file} from {@code position} without blocking for long.
         *
         * @return the octets sent; 0 when the peer is not keeping up (or the file ends early), in which case
         *         the caller sends some octets through an ordinary, blocking write, which waits for the peer
         */
        long transfer(FileChannel file, long position, long count) throws IOException;

        /** Writes all of {@code octets} (off-heap buffers, in order) to the peer, waiting for it as a write does. */
        void write(ByteBuffer... octets) throws IOException;
    }

    /** A failure to read the stored message, as opposed to a failure to write to the peer. */
    public static final class MessageReadException extends IOException {
        MessageReadException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Sends a stored message whose octets are already in canonical form (see
     * {@link MessageFormat.SizeCounter#isCanonical()}), then the terminating line. Without {@code dotLines} the
     * file is the wire form and goes out unchanged. With {@code direct}: read into a {@linkplain DirectBuffers direct
     * buffer} and sent with its status line and terminator in one write where it fits one (and one is free), else
     * through {@code direct}'s sendfile. Without it (TLS): through borrowed bulk buffers, with its status line and
     * terminator in one write when it fits one. With {@code dotLines} it is copied through
     * the JVM and every line that starts with '.' gets another; nothing else needs looking at.
     *
     * @param size     the message's size; exactly this many octets of {@code file} are sent (before stuffing)
     * @param dotLines whether some line starts with '.' (when unsure, true is always correct)
     * @param direct   the zero-copy path to the peer, or null
     * @return {@code size}
     * @throws MessageReadException if the file cannot be read or holds fewer than {@code size} octets
     */
    public long canonicalMessage(FileChannel file, long size, boolean dotLines, DirectTransfer direct)
            throws IOException {
        if (direct != null && size > 0 && count + size + END.length <= DirectBuffers.SIZE) {
            ByteBuffer whole = DirectBuffers.take();
            if (whole != null) {
                try {
                    sendWhole(file, (int) size, dotLines, whole, direct);
                    return size;
                } finally {
                    DirectBuffers.give(whole);
                }
            }
        }
        if (dotLines) {
            if (size <= small.length) {
                byte[] chunk = BulkBuffers.take();
                try {
                    copyStuffed(file, size, chunk);
                } finally {
                    BulkBuffers.give(chunk);
                }
                end();
                return size;
            }
            return withBulkBuffer(chunk -> {
                copyStuffed(file, size, chunk);
                return size;
            });
        }
        if (size <= small.length) {
            copy(file, 0, size);
            end();
            return size;
        }
        if (direct == null || count + size + END.length <= BulkBuffers.SIZE) {
            // Under TLS; or small enough to leave with its status line and terminator in one write, where sendfile
            // would cost three sends (status, file, terminator), each waking the client: one copy is cheaper.
            return withBulkBuffer(chunk -> {
                copy(file, 0, size);
                return size;
            });
        }
        drain();
        out.flush();
        long position = 0;
        while (position < size) {
            long n = direct.transfer(file, position, size - position);
            if (n > 0) {
                bytesWritten += n;
            } else {
                // The peer's window is full: a blocking write of one buffer waits for it (and notices a short file).
                n = Math.min(size - position, buf.length);
                copy(file, position, n);
                drain();
            }
            position += n;
        }
        end();
        return size;
    }

    /**
     * Sends what is buffered, the file's first {@code size} octets and the terminator in one (gathering) write
     * through {@code direct}: the file is read into {@code whole} (off-heap) right after the buffered octets; with
     * {@code dotLines}, the write interleaves a '.' before every line that starts with one, so nothing is copied.
     */
    private void sendWhole(FileChannel file, int size, boolean dotLines, ByteBuffer whole, DirectTransfer direct)
            throws IOException {
        int head = count;
        int end = head + size;
        whole.put(buf, 0, count).limit(end);
        for (long position = 0; whole.hasRemaining(); ) {
            int n;
            try {
                n = file.read(whole, position);
            } catch (IOException e) {
                throw new MessageReadException("cannot read the message file: " + e.getMessage(), e);
            }
            if (n <= 0) {
                throw new MessageReadException("the message file ended after " + position + " octets", null);
            }
            position += n;
        }
        java.util.List<ByteBuffer> parts = new java.util.ArrayList<>();
        int from = 0;
        if (dotLines) {
            // dot: where a line that starts with '.' begins (the body's first line, or after an LF)
            for (int dot = whole.get(head) == '.' ? head : dotLineAfter(whole, head, end); dot >= 0;
                    dot = dotLineAfter(whole, dot, end)) {
                parts.add(whole.slice(from, dot - from));
                parts.add(DOT.duplicate());
                from = dot;
            }
        }
        parts.add(whole.slice(from, end - from));
        parts.add(END_DIRECT.duplicate());
        long total = end + parts.size() / 2 - 1 + END.length;
        count = 0;
        direct.write(parts.toArray(ByteBuffer[]::new));
        bytesWritten += total;
    }

    /** Where the next line that starts with '.' begins, from {@code from} on, or -1. */
    private static int dotLineAfter(ByteBuffer b, int from, int to) {
        int lf = dev.postoffice.message.LineScan.nextLfDot(b, from, to);
        return lf < 0 ? -1 : lf + 1;
    }

    /**
     * Appends a canonical file's first {@code size} octets to the buffer, byte-stuffed, reading through
     * {@code chunk}: between line starts that hold a '.', the octets are copied in one piece.
     */
    private void copyStuffed(FileChannel file, long size, byte[] read) throws IOException {
        boolean lineStart = true;
        long position = 0;
        while (position < size) {
            int n = readSome(file, read, 0, (int) Math.min(read.length, size - position), position);
            lineStart = stuffed(read, n, lineStart);
            position += n;
        }
    }

    /** Appends {@code n} canonical octets, byte-stuffed; returns whether they end a line. */
    private boolean stuffed(byte[] read, int n, boolean lineStart) throws IOException {
        int from = 0;
        if (lineStart && read[0] == '.') {
            writeByte('.');
        }
        for (int lf = dev.postoffice.message.LineScan.nextLf(read, 0, n); lf + 1 < n; lf = dev.postoffice.message.LineScan.nextLf(read, lf + 1, n)) {
            if (read[lf + 1] == '.') {
                write(read, from, lf + 1 - from);
                writeByte('.');
                from = lf + 1;
            }
        }
        write(read, from, n - from);
        return read[n - 1] == '\n';
    }

    /**
     * Sends a canonical body that comes as a stream (a database's rows) as {@link #canonicalMessage} sends a file:
     * copied as it is, or only byte-stuffed, without the {@link WireEncoder}'s work on line ends; then the
     * terminating line. A stream that does not hold exactly {@code size} octets fails the response.
     */
    private long canonicalStream(InputStream in, long size, boolean dotLines) throws IOException {
        BulkBody copy = chunk -> {
            long n = 0;
            boolean lineStart = true;
            for (int k; (k = in.read(chunk)) > 0; n += k) {
                if (dotLines) {
                    lineStart = stuffed(chunk, k, lineStart);
                } else {
                    write(chunk, 0, k);
                }
            }
            if (n != size) {
                throw new MessageReadException("the stored message has " + n + " octets, not " + size, null);
            }
            return n;
        };
        if (size > small.length) {
            return withBulkBuffer(copy);
        }
        byte[] chunk = BulkBuffers.take();
        try {
            copy.write(chunk);
        } finally {
            BulkBuffers.give(chunk);
        }
        end();
        return size;
    }

    /** Reads up to {@code want} octets of the file at {@code position} into {@code dst[off]}; at least one. */
    private static int readSome(FileChannel file, byte[] dst, int off, int want, long position) throws IOException {
        int n;
        try {
            n = file.read(ByteBuffer.wrap(dst, off, want), position);
        } catch (IOException e) {
            throw new MessageReadException("cannot read the message file: " + e.getMessage(), e);
        }
        if (n <= 0) {
            throw new MessageReadException("the message file ended after " + position + " octets", null);
        }
        return n;
    }

    /** Appends {@code length} octets of {@code file} from {@code position} to the buffer, draining it as it fills. */
    private void copy(FileChannel file, long position, long length) throws IOException {
        long end = position + length;
        while (position < end) {
            if (count == buf.length) {
                drain();
            }
            int n = readSome(file, buf, count, (int) Math.min(buf.length - count, end - position), position);
            count += n;
            position += n;
        }
    }

    private interface BulkBody {
        long write(byte[] chunk) throws IOException;
    }

    /**
     * Writes a large message body through borrowed {@linkplain BulkBuffers bulk buffers}, so that it costs one
     * write per {@value BulkBuffers#SIZE} octets, then the terminating line.
     */
    private long withBulkBuffer(BulkBody body) throws IOException {
        byte[] chunk = BulkBuffers.take();
        byte[] bulk = BulkBuffers.take();
        System.arraycopy(small, 0, bulk, 0, count);
        buf = bulk;
        boolean sent = false;
        try {
            long n = body.write(chunk);
            end();
            if (count > small.length) {
                drain();
            }
            sent = true;
            return n;
        } finally {
            // After a failure the connection is unusable and what is buffered no longer matters.
            count = sent ? count : 0;
            System.arraycopy(bulk, 0, small, 0, count);
            buf = small;
            BulkBuffers.give(chunk);
            BulkBuffers.give(bulk);
        }
    }

    /** Sends everything buffered. */
    public void flush() throws IOException {
        if (count > 0) {
            out.write(buf, 0, count);
            bytesWritten += count;
            count = 0;
        }
        out.flush();
    }

    /** Octets handed to the underlying stream so far. */
    public long bytesWritten() {
        return bytesWritten + count;
    }

    private void crlf() throws IOException {
        if (buf.length - count < 2) {
            drain();
        }
        buf[count++] = '\r';
        buf[count++] = '\n';
    }

    private void writeText(String s) throws IOException {
        byte[] b = isAscii(s) ? s.getBytes(StandardCharsets.ISO_8859_1) : s.getBytes(StandardCharsets.UTF_8);
        write(b, 0, b.length);
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    void writeByte(int b) throws IOException {
        if (count == buf.length) {
            drain();
        }
        buf[count++] = (byte) b;
    }

    void write(byte[] b, int off, int len) throws IOException {
        if (len >= buf.length) {
            // As large as the buffer: straight to the stream rather than copied through it.
            if (count > 0) {
                drain();
            }
            out.write(b, off, len);
            bytesWritten += len;
            return;
        }
        while (len > 0) {
            if (count == buf.length) {
                drain();
            }
            int n = Math.min(len, buf.length - count);
            System.arraycopy(b, off, buf, count, n);
            count += n;
            off += n;
            len -= n;
        }
    }

    /** Writes the buffer out without flushing the stream below. */
    private void drain() throws IOException {
        out.write(buf, 0, count);
        bytesWritten += count;
        count = 0;
    }
}
