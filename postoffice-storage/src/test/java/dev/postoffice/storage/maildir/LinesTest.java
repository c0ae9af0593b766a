package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The bounded line reader, against a plain splitter, with buffers small enough to split every line end. */
class LinesTest {
    private static List<String> read(String text, int max, int buffer) throws IOException {
        Lines lines = new Lines(new StringReader(text), max, buffer);
        List<String> out = new ArrayList<>();
        for (String line; (line = lines.readLine()) != null; ) {
            out.add(line == Lines.TOO_LONG ? "<too long>" : line);
        }
        return out;
    }

    /** What Lines should give: split at LF, one CR before it dropped, the last line only if not empty. */
    private static List<String> expected(String text, int max) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int lf = text.indexOf('\n', from);
            int end = lf < 0 ? text.length() : lf;
            String line = text.substring(from, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            out.add(line.length() > max ? "<too long>" : line);
            from = end + 1;
        }
        return out;
    }

    @Test
    void edgesOfTheLimit() throws Exception {
        for (int buffer = 1; buffer <= 6; buffer++) {
            assertThat(read("12345\r\n123456\n1234\r\r\n\n\r\nend", 5, buffer))
                    .as("buffer %d", buffer)
                    .containsExactly("12345", "<too long>", "1234\r", "", "", "end");
            assertThat(read("", 5, buffer)).isEmpty();
            assertThat(read("abc\n", 5, buffer)).containsExactly("abc");
            assertThat(read("123456", 5, buffer)).containsExactly("<too long>");
            assertThat(read("123456\r", 5, buffer)).containsExactly("<too long>");
            assertThat(read("12345\r", 5, buffer)).containsExactly("12345");
        }
    }

    @Test
    void randomTextAgainstAPlainSplitter() throws Exception {
        Random random = new Random(20261205);
        char[] alphabet = {'a', 'b', '\r', '\n', 'c', '\n'};
        for (int round = 0; round < 3000; round++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(60); i > 0; i--) {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            int max = random.nextInt(8);
            int buffer = 1 + random.nextInt(7);
            assertThat(read(text.toString(), max, buffer)).as("%s, max %d, buffer %d", text, max, buffer)
                    .isEqualTo(expected(text.toString(), max));
        }
    }
}
