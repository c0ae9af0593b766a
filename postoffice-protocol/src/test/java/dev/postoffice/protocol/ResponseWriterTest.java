package dev.postoffice.protocol;

import dev.postoffice.message.MessageFormat;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ResponseWriterTest {

    @Test
    void statusLines() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(sink, 16);
        w.ok("2 320");
        w.ok(null);
        w.err("no such message");
        w.err(ResponseCode.IN_USE, "maildrop is locked by another session");
        w.err(ResponseCode.SYS_TEMP, "try later");
        w.continuation("");
        w.continuation("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
        w.flush();
        assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo(
                "+OK 2 320\r\n+OK\r\n-ERR no such message\r\n"
                        + "-ERR [IN-USE] maildrop is locked by another session\r\n-ERR [SYS/TEMP] try later\r\n"
                        + "+ \r\n+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n");
    }

    @Test
    void multilineIsByteStuffed() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(sink, 8);
        w.ok("capabilities follow");
        w.line("TOP");
        w.line(".hidden");
        w.end();
        w.flush();
        assertThat(sink.toString(StandardCharsets.US_ASCII))
                .isEqualTo("+OK capabilities follow\r\nTOP\r\n..hidden\r\n.\r\n");
    }

    /** stored message, RETR body on the wire (before the terminating ".\r\n"), TOP 0 body, TOP 1 body. */
    static final String[][] MESSAGES = {
            {"", "", "", ""},
            {"Subject: a\r\n\r\nbody\r\n", "Subject: a\r\n\r\nbody\r\n", "Subject: a\r\n\r\n", "Subject: a\r\n\r\nbody\r\n"},
            {"Subject: a\n\nbody\n", "Subject: a\r\n\r\nbody\r\n", "Subject: a\r\n\r\n", "Subject: a\r\n\r\nbody\r\n"},
            {"Subject: a\n\nno final newline", "Subject: a\r\n\r\nno final newline\r\n", "Subject: a\r\n\r\n",
                    "Subject: a\r\n\r\nno final newline\r\n"},
            {"Subject: a\r\rbody\r", "Subject: a\r\n\r\nbody\r\n", "Subject: a\r\n\r\n", "Subject: a\r\n\r\nbody\r\n"},
            {"S: a\n\n.\n..x\n.\r\nend\n", "S: a\r\n\r\n..\r\n...x\r\n..\r\nend\r\n", "S: a\r\n\r\n", "S: a\r\n\r\n..\r\n"},
            {".Header: starts with dot\n\nb1\nb2\nb3\n", "..Header: starts with dot\r\n\r\nb1\r\nb2\r\nb3\r\n",
                    "..Header: starts with dot\r\n\r\n", "..Header: starts with dot\r\n\r\nb1\r\n"},
            {"Only: headers\nNo: body\n", "Only: headers\r\nNo: body\r\n", "Only: headers\r\nNo: body\r\n",
                    "Only: headers\r\nNo: body\r\n"},
            {"A: b\n\n\n\nx\n", "A: b\r\n\r\n\r\n\r\nx\r\n", "A: b\r\n\r\n", "A: b\r\n\r\n\r\n"},
            {"ends in bare cr\r", "ends in bare cr\r\n", "ends in bare cr\r\n", "ends in bare cr\r\n"},
            {"\r\n\r\n", "\r\n\r\n", "\r\n", "\r\n\r\n"},
            {"A: 한국어\n\n안녕하세요\n", "A: 한국어\r\n\r\n안녕하세요\r\n", "A: 한국어\r\n\r\n", "A: 한국어\r\n\r\n안녕하세요\r\n"},
    };

    static Stream<Arguments> messagesInEveryChunkSize() {
        List<Arguments> out = new ArrayList<>();
        for (String[] m : MESSAGES) {
            for (int chunk = 1; chunk <= 9; chunk++) {
                out.add(Arguments.of(m[0], chunk, m[1], m[2], m[3]));
            }
            out.add(Arguments.of(m[0], 16384, m[1], m[2], m[3]));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "[{index}] chunk {1}")
    @MethodSource("messagesInEveryChunkSize")
    void encodesMessagesAndAgreesWithTheSizeCounter(String stored, int chunk, String retr, String top0, String top1)
            throws IOException {
        byte[] data = stored.getBytes(StandardCharsets.UTF_8);
        assertThat(send(data, chunk, -1)).isEqualTo(retr + ".\r\n");
        assertThat(sendBulk(data, chunk)).isEqualTo("+OK x\r\n" + retr + ".\r\n+OK after\r\n");
        assertThat(send(data, chunk, 0)).isEqualTo(top0 + ".\r\n");
        assertThat(send(data, chunk, 1)).isEqualTo(top1 + ".\r\n");

        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        for (int off = 0; off < data.length; off += chunk) {
            counter.update(data, off, Math.min(chunk, data.length - off));
        }
        long unstuffed = retr.replace("\r\n.", "\r\n").getBytes(StandardCharsets.UTF_8).length
                - (retr.startsWith(".") ? 1 : 0);
        assertThat(counter.size()).isEqualTo(unstuffed);
        assertThat(MessageFormat.canonicalSize(data)).isEqualTo(unstuffed);
        // Stored octets that are already what RETR sends, and only those, may go out unchanged.
        assertThat(counter.isWireForm()).isEqualTo(!stored.isEmpty() && stored.equals(retr));

        String canonical = new String(unstuff(retr.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        assertThat(convert(data, chunk, MessageFormat.LineEnd.CRLF)).isEqualTo(canonical);
        assertThat(convert(data, chunk, MessageFormat.LineEnd.LF)).isEqualTo(canonical.replace("\r\n", "\n"));
    }

    /** Undoes byte-stuffing: the first '.' of every line that starts with one. */
    private static byte[] unstuff(byte[] wire) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < wire.length; i++) {
            boolean lineStart = i == 0 || wire[i - 1] == '\n';
            if (!(lineStart && wire[i] == '.')) {
                out.write(wire[i]);
            }
        }
        return out.toByteArray();
    }

    private static String convert(byte[] data, int chunk, MessageFormat.LineEnd lineEnd) {
        MessageFormat.LineEndConverter c = new MessageFormat.LineEndConverter(lineEnd);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[MessageFormat.LineEndConverter.maxOutput(chunk)];
        for (int off = 0; off < data.length; off += chunk) {
            out.write(buf, 0, c.convert(data, off, Math.min(chunk, data.length - off), buf));
        }
        out.write(buf, 0, c.finish(buf));
        return out.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "[{index}] {0} octets, buffer {1}, direct {2}")
    @MethodSource("wireMessageCases")
    void sendsWireFormMessagesUnchanged(int size, int buffer, boolean direct, @TempDir Path dir) throws IOException {
        byte[] data = wireFormMessage(size);
        Path file = Files.write(dir.resolve("m"), data);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(sink, buffer);
        List<Long> transfers = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file)) {
            w.ok(size + " octets");
            long sent = w.canonicalMessage(ch, data.length, false, direct ? stingyTransfer(sink, transfers) : null);
            w.ok("after");
            w.flush();
            assertThat(sent).isEqualTo(data.length);
            assertThat(w.bytesWritten()).isEqualTo(sink.size());
        }
        assertThat(sink.toString(StandardCharsets.UTF_8))
                .isEqualTo("+OK " + size + " octets\r\n" + new String(data, StandardCharsets.UTF_8) + ".\r\n+OK after\r\n");
        if (direct && data.length + 20 <= DirectBuffers.SIZE) {
            // message and terminator (and the status line, unless the buffer was too small to hold it) in one
            // write from an off-heap buffer
            assertThat(transfers).hasSize(1);
            assertThat(-transfers.get(0)).isBetween(data.length + 3L,
                    data.length + 3L + ("+OK " + size + " octets\r\n").length());
        } else if (direct) {
            assertThat(transfers).as("octets moved by sendfile").isNotEmpty().allMatch(n -> n >= 0);
        } else {
            assertThat(transfers).isEmpty();
        }
    }

    static Stream<Arguments> wireMessageCases() {
        List<Arguments> out = new ArrayList<>();
        for (int size : new int[] {20, 63, 64, 65, 5_000, 65_500, 65_536, 262_000, 300_000}) {
            for (int buffer : new int[] {7, 64, 8192}) {
                out.add(Arguments.of(size, buffer, false));
                out.add(Arguments.of(size, buffer, true));
            }
        }
        return out.stream();
    }

    /** About {@code size} octets of CRLF lines, none starting with '.'. */
    private static byte[] wireFormMessage(int size) {
        StringBuilder b = new StringBuilder("Subject: wire form\r\n\r\n");
        for (int i = 0; b.length() < size; i++) {
            b.append("line ").append(i).append(" of a message that needs no conversion\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A direct path that, like sendfile on a full socket, sends at most 10,000 octets at a time and every
     * other call nothing, so that the writer's fallback to blocking writes is exercised too.
     */
    private static ResponseWriter.DirectTransfer stingyTransfer(OutputStream sink, List<Long> transfers) {
        WritableByteChannel target = Channels.newChannel(sink);
        boolean[] turn = {false};
        return new ResponseWriter.DirectTransfer() {
            @Override
            public long transfer(FileChannel file, long position, long count) throws IOException {
                turn[0] = !turn[0];
                if (!turn[0]) {
                    return 0;
                }
                long n = file.transferTo(position, Math.min(count, 10_000), target);
                transfers.add(n);
                return n;
            }

            @Override
            public void write(java.nio.ByteBuffer... octets) throws IOException {
                long n = 0;
                for (java.nio.ByteBuffer b : octets) {
                    assertThat(b.isDirect()).isTrue();
                    n += b.remaining();
                    while (b.hasRemaining()) {
                        target.write(b);
                    }
                }
                transfers.add(-n); // negative: a whole reply in one (gathering) write
            }
        };
    }

    /**
     * Canonical files with lines to byte-stuff, at the start, at chunk boundaries and in runs, against the
     * general encoder as the reference.
     */
    @ParameterizedTest(name = "[{index}] {0} octets, buffer {1}, direct {2}")
    @MethodSource("stuffedCases")
    void stuffsCanonicalFilesLikeTheEncoder(int size, int buffer, boolean direct, @TempDir Path dir)
            throws IOException {
        StringBuilder b = new StringBuilder(".first line\r\n..\r\n.\r\n\r\n");
        for (int i = 0; b.length() < size; i++) {
            b.append(i % 7 == 0 ? "." : "").append("x".repeat(i % 131)).append("\r\n");
        }
        byte[] data = b.toString().getBytes(StandardCharsets.US_ASCII);
        Path file = Files.write(dir.resolve("m"), data);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(sink, buffer);
        try (FileChannel ch = FileChannel.open(file)) {
            w.ok("x");
            List<Long> transfers = new ArrayList<>();
            assertThat(w.canonicalMessage(ch, data.length, true, direct ? stingyTransfer(sink, transfers) : null))
                    .isEqualTo(data.length);
            if (direct) {
                // up to a direct buffer's size in one gathering write; larger ones through the heap, stuffed
                assertThat(transfers).hasSize(data.length + 20 <= DirectBuffers.SIZE ? 1 : 0);
            }
            w.ok("after");
            w.flush();
        }
        assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo(encoderReference(data));
        assertThat(w.bytesWritten()).isEqualTo(sink.size());
    }

    /** "+OK x", {@code data} as the general encoder sends it, "+OK after": what the canonical paths must match. */
    private static String encoderReference(byte[] data) throws IOException {
        ByteArrayOutputStream reference = new ByteArrayOutputStream();
        ResponseWriter r = new ResponseWriter(reference, 64);
        r.ok("x");
        r.message(new java.io.ByteArrayInputStream(data), -1);
        r.ok("after");
        r.flush();
        return reference.toString(StandardCharsets.US_ASCII);
    }

    static Stream<Arguments> stuffedCases() {
        return streamCases().flatMap(a -> Stream.of(Arguments.of(a.get()[0], a.get()[1], false),
                Arguments.of(a.get()[0], a.get()[1], true)));
    }

    static Stream<Arguments> streamCases() {
        List<Arguments> out = new ArrayList<>();
        for (int size : new int[] {10, 500, 8_191, 65_535, 65_536, 65_537, 200_000, 1_000_000}) {
            for (int buffer : new int[] {7, 8192}) {
                out.add(Arguments.of(size, buffer));
            }
        }
        return out.stream();
    }

    /**
     * A canonical body that comes as a stream (the PostgreSQL store's rows), WIRE or DOTTED, read in chunks of every
     * size from 1 octet: sent as the general encoder sends it, and a stream shorter than its size is a read failure.
     */
    @ParameterizedTest(name = "[{index}] {0} octets, buffer {1}")
    @MethodSource("streamCases")
    void sendsCanonicalStreamsLikeTheEncoder(int size, int buffer) throws IOException {
        StringBuilder b = new StringBuilder(".first line\r\n..\r\n.\r\n\r\n");
        for (int i = 0; b.length() < size; i++) {
            b.append(i % 7 == 0 ? "." : "").append("x".repeat(i % 131)).append("\r\n");
        }
        byte[] dotted = b.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] wire = b.toString().replace("\n.", "\nx").replace(".first", "first").getBytes(StandardCharsets.US_ASCII);
        for (int chunk : new int[] {1, 3, 8192, 1 << 20}) {
            for (byte[] data : List.of(dotted, wire)) {
                dev.postoffice.message.MessageForm form = data == wire ? dev.postoffice.message.MessageForm.WIRE
                        : dev.postoffice.message.MessageForm.DOTTED;
                ByteArrayOutputStream sink = new ByteArrayOutputStream();
                ResponseWriter w = new ResponseWriter(sink, buffer);
                long[] sent = {-1};
                w.send(new Reply.Message("x", streamBody(form, data, data.length, chunk), -1, n -> sent[0] = n), null);
                w.ok("after");
                w.flush();
                assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo(encoderReference(data));
                assertThat(sent[0]).isEqualTo(data.length);
            }
        }
        ResponseWriter w = new ResponseWriter(new ByteArrayOutputStream(), buffer);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> w.send(new Reply.Message("x",
                        streamBody(dev.postoffice.message.MessageForm.WIRE, wire, wire.length + 1, 8192), -1, n -> {}), null))
                .isInstanceOf(ResponseWriter.MessageReadException.class).hasMessageContaining("octets, not");
    }

    private static dev.postoffice.message.MessageBody streamBody(dev.postoffice.message.MessageForm form, byte[] data,
            long size, int chunk) {
        return new dev.postoffice.message.MessageBody() {
            public dev.postoffice.message.MessageForm form() {
                return form;
            }

            public long size() {
                return size;
            }

            public java.io.InputStream open() {
                return new ChunkedInputStream(data, chunk);
            }
        };
    }

    @Test
    void aShortWireFormFileIsAReadFailure(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("m"), wireFormMessage(50_000));
        for (ResponseWriter.DirectTransfer direct : new ResponseWriter.DirectTransfer[] {null,
                stingyTransfer(new ByteArrayOutputStream(), new ArrayList<>())}) {
            for (long announced : new long[] {60_000, Files.size(file) + 1}) {
                ResponseWriter w = new ResponseWriter(new ByteArrayOutputStream(), 8192);
                try (FileChannel ch = FileChannel.open(file)) {
                    for (boolean dotLines : new boolean[] {false, true}) {
                        org.assertj.core.api.Assertions.assertThatThrownBy(
                                        () -> w.canonicalMessage(ch, announced, dotLines, direct))
                                .isInstanceOf(ResponseWriter.MessageReadException.class)
                                .hasMessageContaining("ended after");
                    }
                }
            }
        }
    }

    @Test
    void returnsOctetsBeforeStuffing() throws IOException {
        byte[] data = ".a\n".getBytes(StandardCharsets.US_ASCII);
        ResponseWriter w = new ResponseWriter(new ByteArrayOutputStream(), 64);
        assertThat(w.message(new ChunkedInputStream(data, 1), -1)).isEqualTo(4);
    }

    @Test
    void topStopsReadingAfterTheRequestedLines() throws IOException {
        byte[] header = "Subject: big\n\nline1\n".getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[header.length + 10_000_000];
        System.arraycopy(header, 0, data, 0, header.length);
        java.util.Arrays.fill(data, header.length, data.length, (byte) 'x');
        ChunkedInputStream in = new ChunkedInputStream(data, 16384);
        ResponseWriter w = new ResponseWriter(new ByteArrayOutputStream(), 64);
        w.message(in, 0);
        assertThat(in.available()).isGreaterThan(9_000_000);
    }

    @Test
    void lineEndScansFindTheFirstLineEndAtEveryOffset() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        byte[] alphabet = {'\r', '\n', 0, 0x0b, 0x0c, 0x0e, (byte) 0x8a, (byte) 0x8d, (byte) 0xff, 'a', '.'};
        for (int round = 0; round < 20_000; round++) {
            byte[] b = new byte[random.nextInt(40)];
            for (int i = 0; i < b.length; i++) {
                // mostly ordinary octets, some line ends, and octets one bit away from CR and LF
                b[i] = random.nextInt(6) == 0 ? alphabet[random.nextInt(alphabet.length)] : (byte) random.nextInt(256);
            }
            int from = b.length == 0 ? 0 : random.nextInt(b.length + 1);
            int to = from + random.nextInt(b.length - from + 1);
            int expected = from;
            while (expected < to && b[expected] != '\r' && b[expected] != '\n') {
                expected++;
            }
            assertThat(dev.postoffice.message.LineScan.lineEnd(b, from, to)).as("%s [%d, %d)", java.util.Arrays.toString(b), from, to)
                    .isEqualTo(expected);
            int lf = from;
            while (lf < to && b[lf] != '\n') {
                lf++;
            }
            assertThat(dev.postoffice.message.LineScan.nextLf(b, from, to)).as("%s [%d, %d)", java.util.Arrays.toString(b), from, to)
                    .isEqualTo(lf);
        }
    }

    @Test
    void lfDotScanFindsTheFirstLfThatADotFollowsInEitherByteOrder() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(13);
        byte[] alphabet = {'\n', '.', '.', 0x0b, 0x2f, (byte) (0x2e ^ 0x80), (byte) 0x8a, 0, '\r'};
        for (int round = 0; round < 20_000; round++) {
            byte[] b = new byte[random.nextInt(48)];
            for (int i = 0; i < b.length; i++) {
                // many LFs and dots, and octets one bit away from them (a borrow or carry would flag those)
                b[i] = random.nextInt(3) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
            }
            int from = b.length == 0 ? 0 : random.nextInt(b.length + 1);
            int to = from + random.nextInt(b.length - from + 1);
            int expected = -1;
            for (int i = from; i + 1 < to; i++) {
                if (b[i] == '\n' && b[i + 1] == '.') {
                    expected = i;
                    break;
                }
            }
            java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(b.length).put(b).flip();
            for (java.nio.ByteOrder order : new java.nio.ByteOrder[] {java.nio.ByteOrder.BIG_ENDIAN,
                    java.nio.ByteOrder.LITTLE_ENDIAN}) {
                assertThat(dev.postoffice.message.LineScan.nextLfDot(direct.order(order), from, to))
                        .as("%s [%d, %d) %s", java.util.Arrays.toString(b), from, to, order).isEqualTo(expected);
            }
        }
    }

    @Test
    void largeMessagesGoOutThroughBulkBuffersWithTheSameBytes() throws IOException {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        byte[] data = new byte[3 * BulkBuffers.SIZE + 12_345];
        for (int i = 0; i < data.length; i++) {
            int r = random.nextInt(20);
            data[i] = (byte) (r == 0 ? '\n' : r == 1 ? '\r' : r == 2 ? '.' : 'a' + r);
        }
        for (int chunk : new int[] {1, 4093, BulkBuffers.SIZE - 1, BulkBuffers.SIZE, 1 << 20}) {
            String expected = "+OK x\r\n" + send(data, chunk, -1) + "+OK after\r\n";
            assertThat(sendBulk(data, chunk)).isEqualTo(expected);
        }
    }

    @Test
    void largeMessagesAreWrittenInBulkSizedWrites() throws IOException {
        byte[] data = new byte[4 * BulkBuffers.SIZE];
        java.util.Arrays.fill(data, (byte) 'x');
        List<Integer> writes = new ArrayList<>();
        java.io.OutputStream sink = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                writes.add(1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(len);
            }
        };
        ResponseWriter w = new ResponseWriter(sink, 64);
        w.message(new ChunkedInputStream(data, 1 << 20), -1, data.length);
        w.flush();
        assertThat(writes).hasSize(5).allMatch(n -> n <= BulkBuffers.SIZE);
        assertThat(writes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(data.length + 2 + 3);
    }

    @Test
    void aFailedBulkSendLeavesTheWriterUsableAndReturnsItsBuffers() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(sink, 64);
        java.io.InputStream failing = new java.io.InputStream() {
            private int left = 100_000;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("disk gone");
                }
                return 'y';
            }
        };
        w.ok("x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> w.message(failing, -1, 200_000))
                .hasMessage("disk gone");
        sink.reset();
        w.err("next");
        w.flush();
        assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo("-ERR next\r\n");
    }

    /** RETR of {@code data} announced with a size beyond the writer's buffer, between two status lines. */
    private static String sendBulk(byte[] data, int chunk) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(sink, 7);
        w.ok("x");
        w.message(new ChunkedInputStream(data, chunk), -1, Long.MAX_VALUE);
        w.ok("after");
        w.flush();
        return sink.toString(StandardCharsets.UTF_8);
    }

    private static String send(byte[] data, int chunk, long lines) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ResponseWriter w = new ResponseWriter(sink, 7);
        w.message(new ChunkedInputStream(data, chunk), lines);
        w.flush();
        return sink.toString(StandardCharsets.UTF_8);
    }
}
