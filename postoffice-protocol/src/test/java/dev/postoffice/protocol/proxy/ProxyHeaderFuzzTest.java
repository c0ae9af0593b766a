package dev.postoffice.protocol.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.postoffice.protocol.ChunkedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * Fuzzes {@link ProxyHeaderReader#read} with arbitrary connection starts. Beyond "no crash": the only failure is
 * {@link ProxyHeaderException} with a short printable message; a header consumes at most 107 octets (v1) or its
 * declared length (v2) and nothing after it; the same octets fed one at a time give the same answer.
 */
class ProxyHeaderFuzzTest {
    @FuzzTest
    void read(byte[] input) {
        ByteArrayInputStream whole = new ByteArrayInputStream(input);
        Object result = outcome(whole);
        int consumed = input.length - whole.available();
        if (result instanceof ProxyHeader h) {
            boolean v1 = input[0] == 'P';
            int bound = v1 ? ProxyHeaderReader.V1_MAX : 16 + (((input[14] & 0xff) << 8) | (input[15] & 0xff));
            assertThat(consumed).isLessThanOrEqualTo(bound);
            if (v1) {
                assertThat(input[consumed - 1]).isEqualTo((byte) '\n');
            } else {
                assertThat(consumed).isEqualTo(bound);
            }
            assertThat(outcome(new ByteArrayInputStream(Arrays.copyOf(input, consumed)))).isEqualTo(h);
        } else {
            String message = (String) result;
            assertThat(message).isNotEmpty().hasSizeLessThanOrEqualTo(100);
            assertThat(message.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).isTrue();
        }
        assertThat(outcome(new ChunkedInputStream(input, 1))).isEqualTo(result);
    }

    /** The header read, or the refusal's message. */
    private static Object outcome(java.io.InputStream in) {
        try {
            return ProxyHeaderReader.read(in);
        } catch (ProxyHeaderException e) {
            return e.getMessage();
        } catch (IOException e) {
            throw new AssertionError("a byte array stream cannot fail: " + e);
        }
    }
}
