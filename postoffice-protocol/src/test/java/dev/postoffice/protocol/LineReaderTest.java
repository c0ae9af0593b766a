package dev.postoffice.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LineReaderTest {
    private static final int MAX = 255;

    static Stream<Arguments> cases() {
        String longLine = "X".repeat(300);
        String[][] table = {
                // input, expected events
                {"STAT\r\n", "LINE:STAT"},
                {"STAT\n", "LINE:STAT"},
                {"STAT\r\nLIST\r\nQUIT\r\n", "LINE:STAT LINE:LIST LINE:QUIT"},
                {"\r\n", "LINE:"},
                {"STAT\r", "EOF"},
                {"STAT", "EOF"},
                {"PASS a\rb\r\n", "LINE:PASS a\rb"},
                {"STAT\r\r\n", "LINE:STAT"},
                {longLine + "\r\nNOOP\r\n", "TOO_LONG LINE:NOOP"},
                {"X".repeat(253) + "\r\n", "LINE:" + "X".repeat(253)},
                {"X".repeat(254) + "\r\n", "TOO_LONG"},
                {"X".repeat(254) + "\n", "LINE:" + "X".repeat(254)},
                {"X".repeat(5000), "TOO_LONG_FATAL"},
        };
        List<Arguments> out = new ArrayList<>();
        for (String[] row : table) {
            for (int chunk : new int[] {1, 2, 3, 7, 64, 255, 256, 4096}) {
                out.add(Arguments.of(row[0], chunk, row[1]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "[{index}] chunk {1}")
    @MethodSource("cases")
    void readsLinesFedInAnyChunkSize(String input, int chunk, String expected) throws IOException {
        byte[] data = input.getBytes(StandardCharsets.ISO_8859_1);
        LineReader reader = new LineReader(new ChunkedInputStream(data, chunk), 64, 1024, () -> {});
        List<String> events = new ArrayList<>();
        while (true) {
            LineReader.Result r = reader.read(MAX);
            if (r == LineReader.Result.LINE) {
                events.add("LINE:" + new String(reader.line(), 0, reader.lineLength(), StandardCharsets.ISO_8859_1));
            } else {
                events.add(r.name());
                if (r == LineReader.Result.EOF || r == LineReader.Result.TOO_LONG_FATAL) {
                    break;
                }
            }
        }
        if (!expected.endsWith("EOF") && !expected.endsWith("FATAL")) {
            expected = expected + " EOF";
        }
        assertThat(String.join(" ", events)).isEqualTo(expected);
    }

    @Test
    void flushesOnlyBeforeBlocking() throws IOException {
        byte[] data = "STAT\r\nLIST\r\n".getBytes(StandardCharsets.US_ASCII);
        int[] flushes = {0};
        LineReader reader = new LineReader(new ChunkedInputStream(data, 4096), 64, 1024, () -> flushes[0]++);
        assertThat(reader.read(MAX)).isEqualTo(LineReader.Result.LINE);
        assertThat(flushes[0]).isEqualTo(1);
        assertThat(reader.hasBufferedInput()).isTrue();
        assertThat(reader.read(MAX)).isEqualTo(LineReader.Result.LINE);
        assertThat(flushes[0]).isEqualTo(1);
        assertThat(reader.hasBufferedInput()).isFalse();
    }

    @Test
    void pollingThePeerKeepsWhatArrivedAndNoticesTheEnd() throws IOException {
        // A stream that times out once (nothing there yet), then has a command, then ends.
        java.util.Deque<Object> script = new java.util.ArrayDeque<>(List.of(
                new java.net.SocketTimeoutException(), "QUIT\r\n", -1));
        java.io.InputStream in = new java.io.InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                Object next = script.isEmpty() ? -1 : script.poll();
                if (next instanceof IOException e) {
                    throw e;
                }
                if (next instanceof String s) {
                    byte[] octets = s.getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(octets, 0, b, off, octets.length);
                    return octets.length;
                }
                return -1;
            }
        };
        LineReader reader = new LineReader(in, 64, 1024, () -> {});
        assertThat(reader.pollPeer()).as("a timeout: still there").isTrue();
        assertThat(reader.pollPeer()).as("a command arrived").isTrue();
        assertThat(reader.pollPeer()).as("buffered input: not read further").isTrue();
        assertThat(reader.read(MAX)).isEqualTo(LineReader.Result.LINE);
        assertThat(new String(reader.line(), 0, reader.lineLength(), StandardCharsets.US_ASCII)).isEqualTo("QUIT");
        assertThat(reader.pollPeer()).as("the peer closed its side").isFalse();
        assertThat(reader.read(MAX)).isEqualTo(LineReader.Result.EOF);
    }

    @Test
    void discardsReadAhead() throws IOException {
        byte[] data = "STLS\r\nCAPA\r\n".getBytes(StandardCharsets.US_ASCII);
        LineReader reader = new LineReader(new ChunkedInputStream(data, 4096), 64, 1024, () -> {});
        assertThat(reader.read(MAX)).isEqualTo(LineReader.Result.LINE);
        assertThat(reader.discardBuffered()).isEqualTo(6);
        assertThat(reader.read(MAX)).isEqualTo(LineReader.Result.EOF);
    }

    @Test
    void memoryStaysBoundedForEndlessLines() throws IOException {
        byte[] data = new byte[1 << 20];
        java.util.Arrays.fill(data, (byte) 'A');
        LineReader reader = new LineReader(new ChunkedInputStream(data, 4096), 64, 8192, () -> {});
        assertThat(reader.read(MAX)).isEqualTo(LineReader.Result.TOO_LONG_FATAL);
        assertThat(reader.line().length).isLessThan(1024);
        assertThat(IntStream.of(reader.lineLength())).allMatch(n -> n <= MAX);
    }

    private static final byte[] AUTH = "AUTH ".getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest(name = "chunk {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3, 64, 4096})
    void onlyAuthLinesMayBeLongAndTheBufferShrinksBackAfterThem(int chunk) throws IOException {
        String ir = "A".repeat(20_000);
        byte[] data = ("auth PLAIN " + ir + "\r\nLIST " + "1".repeat(20_000) + "\r\nAUTH\u0000X" + "2".repeat(300)
                + "\r\nSTAT\r\n").getBytes(StandardCharsets.ISO_8859_1);
        LineReader reader = new LineReader(new ChunkedInputStream(data, chunk), 2048, 64 * 1024, () -> {});
        assertThat(reader.read(MAX, AUTH, 28 * 1024)).isEqualTo(LineReader.Result.LINE);
        assertThat(new String(reader.line(), 0, reader.lineLength(), StandardCharsets.ISO_8859_1))
                .isEqualTo("auth PLAIN " + ir);
        assertThat(reader.capacity()).isGreaterThan(20_000);
        assertThat(reader.read(MAX, AUTH, 28 * 1024)).isEqualTo(LineReader.Result.TOO_LONG);
        assertThat(reader.capacity()).isEqualTo(LineReader.SMALL_LINE);
        assertThat(reader.read(MAX, AUTH, 28 * 1024)).isEqualTo(LineReader.Result.TOO_LONG);
        assertThat(reader.read(MAX, AUTH, 28 * 1024)).isEqualTo(LineReader.Result.LINE);
        assertThat(reader.capacity()).isEqualTo(LineReader.SMALL_LINE);
    }
}
