package dev.postoffice.protocol.sasl;

import static dev.postoffice.protocol.sasl.Steps.challenge;
import static dev.postoffice.protocol.sasl.Steps.failure;
import static dev.postoffice.protocol.sasl.Steps.malformed;
import static dev.postoffice.protocol.sasl.Steps.rejected;
import static dev.postoffice.protocol.sasl.Steps.success;
import static dev.postoffice.protocol.sasl.Steps.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlainExchangeTest {
    private final TestBackend backend = new TestBackend()
            .with("tim", "tanstaaftanstaaf")
            .with("Kurt", "xipj3plmq")
            .with("Ursel", "secret")
            .with("admin", "root")
            .with("IX", "IX pw")
            .with("user", "p a");

    private SaslExchange<String> plain() {
        return SaslMechanisms.start("PLAIN", backend, "pop.example.org");
    }

    /** RFC 4616 section 4, first example: an empty challenge, then {@code <NUL>tim<NUL>tanstaaftanstaaf}. */
    @Test
    void rfc4616FirstExample() {
        SaslExchange<String> exchange = plain();
        assertThat(challenge(exchange.start(null))).isEmpty();
        assertThat(success(exchange.respond(utf8("\0tim\0tanstaaftanstaaf")))).isEqualTo("principal:tim");
        assertThat(backend.calls).containsExactly("password||tim|tanstaaftanstaaf");
    }

    /** RFC 4616 section 4, second example: Kurt may not act as Ursel; the initial response saves a round trip. */
    @Test
    void rfc4616SecondExampleIsRejected() {
        rejected(plain().start(utf8("Ursel\0Kurt\0xipj3plmq")));
        assertThat(backend.calls).containsExactly("password|Ursel|Kurt|xipj3plmq");
    }

    @Test
    void authzidEqualToAuthcidOrAllowedByTheBackend() {
        assertThat(success(plain().start(utf8("tim\0tim\0tanstaaftanstaaf")))).isEqualTo("principal:tim");
        assertThat(success(plain().start(utf8("Ursel\0admin\0root")))).isEqualTo("principal:Ursel");
    }

    @Test
    void wrongPasswordAndUnknownUserFailAlike() {
        SaslExchange.Step<String> wrong = plain().start(utf8("\0tim\0tanstaaf"));
        SaslExchange.Step<String> unknown = plain().start(utf8("\0nobody\0tanstaaftanstaaf"));
        assertThat(rejected(wrong)).isEqualTo(rejected(unknown));
    }

    /** RFC 4013: U+00AD is mapped to nothing, U+00A0 to a space; both sides are prepared. */
    @Test
    void namesAndPasswordsArePreparedWithSaslPrep() {
        assertThat(success(plain().start(utf8("\0I\u00ADX\0I\u00ADX pw")))).isEqualTo("principal:IX");
        assertThat(backend.calls).containsExactly("password||IX|IX pw");
        backend.calls.clear();
        assertThat(success(plain().start(utf8("\0user\0p\u00A0a")))).isEqualTo("principal:user");
        assertThat(backend.calls).containsExactly("password||user|p a");
    }

    @Test
    void anUnreadableDirectoryIsUnavailable() {
        backend.unavailable = true;
        assertThat(failure(plain().start(utf8("\0tim\0tanstaaftanstaaf")), SaslExchange.Step.Failure.Kind.UNAVAILABLE)
                .reason()).isEqualTo("directory down");
    }

    static Stream<Arguments> malformedMessages() {
        return Stream.of(
                Arguments.of("empty initial response", new byte[0]),
                Arguments.of("no NUL", utf8("timtanstaaf")),
                Arguments.of("one NUL", utf8("tim\0tanstaaf")),
                Arguments.of("three NULs", utf8("\0tim\0tanstaaf\0")),
                Arguments.of("NUL inside the password", utf8("\0tim\0tans\0taaf")),
                Arguments.of("empty authcid", utf8("\0\0tanstaaf")),
                Arguments.of("empty password", utf8("\0tim\0")),
                Arguments.of("invalid UTF-8 in the password", new byte[] {0, 't', 'i', 'm', 0, (byte) 0xC3, 0x28}),
                Arguments.of("invalid UTF-8 in the authzid", new byte[] {(byte) 0xFF, 0, 't', 'i', 'm', 0, 'p'}),
                Arguments.of("overlong UTF-8", new byte[] {0, 't', 'i', 'm', 0, (byte) 0xC0, (byte) 0xAF}),
                Arguments.of("prohibited character (RFC 4013 C.2.1)", utf8("\0tim\0tans\u0007taaf")),
                Arguments.of("user name prepared to nothing", utf8("\0\u00AD\0tanstaaf")),
                Arguments.of("user name over 1024 bytes", utf8("\0" + "u".repeat(1025) + "\0pw")),
                Arguments.of("password over 1024 bytes", utf8("\0tim\0" + "p".repeat(1025))),
                Arguments.of("message over 8 KiB", utf8("\0tim\0" + "p".repeat(8 * 1024))),
                Arguments.of("bidi violation", utf8("\0tim\0\u0627a\u0627")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedMessages")
    void malformedMessagesFailWithoutAskingTheBackend(String label, byte[] message) {
        SaslExchange.Step.Failure<String> f = malformed(plain().start(message));
        assertThat(f.reason()).doesNotContain("tim", "tans", "uuu", "ppp");
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void malformedResponseAfterTheEmptyChallenge() {
        SaslExchange<String> exchange = plain();
        challenge(exchange.start(null));
        malformed(exchange.respond(new byte[0]));
    }
}
