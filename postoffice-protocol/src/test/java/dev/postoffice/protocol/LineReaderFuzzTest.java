package dev.postoffice.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * Fuzzes {@link LineReader} against a reference model. Input: four parameter bytes (line limit, hard limit,
 * buffer size, seed of the stream's read sizes), then the octets the peer sends, delivered in random pieces.
 * Each LF-terminated line of at most {@code maxLength} octets comes back as {@link LineReader.Result#LINE} with
 * the LF and every CR right before it removed; a longer one as {@code TOO_LONG}, or {@code TOO_LONG_FATAL} only once more
 * than the hard limit was discarded; an unterminated tail ends in {@code EOF} (or {@code TOO_LONG_FATAL} past the
 * hard limit). The line buffer stays bounded by the limit, the callback runs before every read, and every call
 * consumes input or ends, so the reader cannot hang.
 */
class LineReaderFuzzTest {
    @FuzzTest
    void read(byte[] data) throws IOException {
        if (data.length < 4) {
            return;
        }
        int maxLength = 1 + (data[0] & 0xff);
        long hardLimit = maxLength + 4L * (data[1] & 0xff);
        int bufferSize = 1 + (data[2] & 0x3f);
        byte[] input = Arrays.copyOfRange(data, 4, data.length);
        ChunkedStream stream = new ChunkedStream(input, new Random(data[3]));
        int[] callbacks = {0};
        LineReader reader = new LineReader(stream, bufferSize, hardLimit, () -> callbacks[0]++);

        int start = 0;
        int calls = 0;
        while (true) {
            assertThat(++calls).as("read() calls").isLessThanOrEqualTo(input.length + 1);
            LineReader.Result result = reader.read(maxLength);
            assertThat(callbacks[0]).as("callback before each read").isEqualTo(stream.reads);
            assertThat(reader.line().length).as("line buffer").isLessThanOrEqualTo(Math.max(256, 2 * maxLength));
            int lf = indexOf(input, (byte) '\n', start);
            if (lf < 0) {
                int tail = input.length - start;
                if (tail > hardLimit) {
                    assertThat(result).isEqualTo(LineReader.Result.TOO_LONG_FATAL);
                } else {
                    assertThat(result).isEqualTo(LineReader.Result.EOF);
                }
                return;
            }
            int length = lf + 1 - start;
            if (length <= maxLength) {
                assertThat(result).isEqualTo(LineReader.Result.LINE);
                int end = lf;
                while (end > start && input[end - 1] == '\r') {
                    end--; // the CR of CRLF, and stray CRs before it (issue 10: STAT\r\r\n is STAT)
                }
                assertThat(Arrays.copyOf(reader.line(), reader.lineLength()))
                        .isEqualTo(Arrays.copyOfRange(input, start, end));
                assertThat(reader.lineLength()).isLessThan(maxLength);
            } else if (result == LineReader.Result.TOO_LONG_FATAL) {
                assertThat(length - 1L).as("discarded before giving up").isGreaterThan(hardLimit);
                return;
            } else {
                assertThat(result).isEqualTo(LineReader.Result.TOO_LONG);
            }
            start = lf + 1;
            assertThat(reader.hasBufferedInput()).isEqualTo(stream.delivered > start);
        }
    }

    private static int indexOf(byte[] b, byte x, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    /** Delivers the input in pieces of random size, as TCP may. */
    private static final class ChunkedStream extends InputStream {
        private final byte[] input;
        private final Random random;
        int delivered;
        int reads;

        ChunkedStream(byte[] input, Random random) {
            this.input = input;
            this.random = random;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            reads++;
            if (delivered == input.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, input.length - delivered), 1 + random.nextInt(16));
            System.arraycopy(input, delivered, b, off, n);
            delivered += n;
            return n;
        }
    }
}
