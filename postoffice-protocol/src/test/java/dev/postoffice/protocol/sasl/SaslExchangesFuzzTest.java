package dev.postoffice.protocol.sasl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Drives every SASL exchange with fuzzed client messages against {@link TestBackend}.
 *
 * <p>Input: byte 0 picks the mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, OAUTHBEARER,
 * XOAUTH2), bit 0 of byte 1 says whether the first message is an initial response, and the rest is the client's
 * messages separated by 0xFF (a byte no valid UTF-8 message holds, and every mechanism wants UTF-8).
 *
 * <p>Asserted: no exception at all; at most three challenges, each at most 1 KiB; a final step ends the exchange
 * (respond then throws the documented IllegalStateException); no UNAVAILABLE from a working backend; REJECTED
 * always with the one fixed reason and MALFORMED with a short ASCII reason that never repeats the client's input;
 * everything handed to the backend is NUL-free, well-formed UTF-16 and bounded; a success comes from the backend.
 */
class SaslExchangesFuzzTest {
    static final String TOKEN = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
    static final String CRAM_CHALLENGE = "<1896.697170952@postoffice.example>";
    static final String SERVER_NONCE = "3rfcNHYJY1ZVvWVs7j";

    @FuzzTest
    void exchange(byte[] data) {
        if (data.length < 2) {
            return;
        }
        CheckingBackend backend = new CheckingBackend();
        backend.delegate.scramIterations = 2;
        backend.delegate.with("user", "pencil").with("admin", "secret").withToken(TOKEN, "user");
        SaslExchange<String> exchange = switch ((data[0] & 0xff) % 7) {
            case 0 -> new PlainExchange<>(backend);
            case 1 -> new LoginExchange<>(backend);
            case 2 -> new CramMd5Exchange<>(backend, CRAM_CHALLENGE);
            case 3 -> new ScramExchange<>(backend, SaslBackend.ScramHash.SHA_1, () -> SERVER_NONCE);
            case 4 -> new ScramExchange<>(backend, SaslBackend.ScramHash.SHA_256, () -> SERVER_NONCE);
            case 5 -> new OAuthBearerExchange<>(backend);
            default -> new XOAuth2Exchange<>(backend);
        };
        List<byte[]> messages = split(Arrays.copyOfRange(data, 2, data.length));
        boolean initial = (data[1] & 1) != 0;

        int next = 0;
        SaslExchange.Step<String> step = exchange.start(initial ? messages.get(next++) : null);
        int challenges = 0;
        while (true) {
            check(step, messages);
            if (!(step instanceof SaslExchange.Step.Challenge<String> c)) {
                break;
            }
            assertThat(++challenges).as("challenges").isLessThanOrEqualTo(3);
            assertThat(c.data().length).isLessThanOrEqualTo(1024);
            if (next == messages.size()) {
                return;
            }
            step = exchange.respond(messages.get(next++));
        }
        if (step instanceof SaslExchange.Step.Success<String> s) {
            assertThat(backend.successes).contains(s.verdict());
        }
        assertThatThrownBy(() -> exchange.respond(new byte[0])).isInstanceOf(IllegalStateException.class);
    }

    private static void check(SaslExchange.Step<String> step, List<byte[]> messages) {
        assertThat(step).isNotNull();
        if (step instanceof SaslExchange.Step.Failure<String> f) {
            assertThat(f.kind()).isNotEqualTo(SaslExchange.Step.Failure.Kind.UNAVAILABLE);
            if (f.kind() == SaslExchange.Step.Failure.Kind.REJECTED) {
                assertThat(f.reason()).isEqualTo(AbstractExchange.AUTH_FAILED);
            }
            assertThat(f.reason()).hasSizeLessThanOrEqualTo(120);
            assertThat(f.reason().chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f)).as(f.reason()).isTrue();
            for (byte[] m : messages) {
                String text = new String(m, StandardCharsets.UTF_8);
                // Reasons are fixed printable ASCII without these characters, so such a message cannot be one
                // of them by chance: finding it in a reason means the reason quotes the input.
                if (text.length() >= 4 && text.chars().anyMatch(ch -> ch < 0x20 || ch > 0x7e || "@#%&*<>[]{}|".indexOf(ch) >= 0)) {
                    assertThat(f.reason()).doesNotContain(text);
                }
            }
        }
    }

    private static List<byte[]> split(byte[] bytes) {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == (byte) 0xff) {
                out.add(Arrays.copyOfRange(bytes, start, i));
                start = i + 1;
            }
        }
        return out;
    }

    /** Checks what the backend is handed, as its contract promises, then asks {@link TestBackend}. */
    static final class CheckingBackend implements SaslBackend<String> {
        final TestBackend delegate = new TestBackend();
        final List<Verdict.Success<String>> successes = new ArrayList<>();

        private Verdict<String> record(Verdict<String> v) {
            if (v instanceof Verdict.Success<String> s) {
                successes.add(s);
            }
            return v;
        }

        private static void name(String s, boolean mayBeEmpty) {
            assertThat(s).isNotNull();
            if (!mayBeEmpty) {
                assertThat(s).isNotEmpty();
            }
            wellFormed(s);
            assertThat(s.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(SaslText.MAX_NAME_BYTES);
        }

        private static void wellFormed(String s) {
            assertThat(s).doesNotContain("\0");
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (Character.isHighSurrogate(c)) {
                    assertThat(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))).isTrue();
                    i++;
                } else {
                    assertThat(Character.isLowSurrogate(c)).as("lone low surrogate").isFalse();
                }
            }
        }

        @Override
        public Verdict<String> checkPassword(String authzid, String authcid, String password) {
            name(authzid, true);
            name(authcid, false);
            name(password, false);
            return record(delegate.checkPassword(authzid, authcid, password));
        }

        @Override
        public Verdict<String> checkCramMd5(String user, String challenge, String digest) {
            name(user, false);
            assertThat(challenge).isEqualTo(CRAM_CHALLENGE);
            assertThat(digest).matches("[0-9a-f]{32}");
            return record(delegate.checkCramMd5(user, challenge, digest));
        }

        @Override
        public ScramLookup scramCredentials(String user, ScramHash hash) {
            name(user, false);
            return delegate.scramCredentials(user, hash);
        }

        @Override
        public Verdict<String> scramAuthenticated(String authzid, String authcid) {
            name(authzid, true);
            name(authcid, false);
            return record(delegate.scramAuthenticated(authzid, authcid));
        }

        @Override
        public Verdict<String> checkBearer(String user, String token) {
            name(user, true);
            assertThat(token).isNotEmpty().hasSizeLessThanOrEqualTo(BearerExchange.MAX_TOKEN_BYTES)
                    .matches("[A-Za-z0-9._~+/-]+=*");
            return record(delegate.checkBearer(user, token));
        }
    }
}
