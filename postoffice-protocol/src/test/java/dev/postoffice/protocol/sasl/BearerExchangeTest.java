package dev.postoffice.protocol.sasl;

import static dev.postoffice.protocol.sasl.Steps.challenge;
import static dev.postoffice.protocol.sasl.Steps.failure;
import static dev.postoffice.protocol.sasl.Steps.malformed;
import static dev.postoffice.protocol.sasl.Steps.rejected;
import static dev.postoffice.protocol.sasl.Steps.success;
import static dev.postoffice.protocol.sasl.Steps.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** OAUTHBEARER (RFC 7628) and XOAUTH2. */
class BearerExchangeTest {
    /** RFC 7628 section 4.1: the IMAP client's initial response, base64 as printed in the RFC. */
    private static final String RFC_7628_INITIAL_RESPONSE =
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
    private static final String RFC_TOKEN = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";

    private final TestBackend backend = new TestBackend()
            .withToken(RFC_TOKEN, "user@example.com")
            .withToken("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "alice");

    private SaslExchange<String> oauthbearer() {
        return SaslMechanisms.start("OAUTHBEARER", backend, "pop.example.org");
    }

    private SaslExchange<String> xoauth2() {
        return SaslMechanisms.start("XOAUTH2", backend, "pop.example.org");
    }

    // ---- OAUTHBEARER ----

    @Test
    void rfc7628Section41Example() {
        byte[] message = Base64.getDecoder().decode(RFC_7628_INITIAL_RESPONSE);
        assertThat(new String(message, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(
                "n,a=user@example.com,\u0001host=server.example.com\u0001port=143\u0001auth=Bearer " + RFC_TOKEN
                        + "\u0001\u0001");
        assertThat(success(oauthbearer().start(message))).isEqualTo("principal:user@example.com");
        assertThat(backend.calls).containsExactly("bearer|user@example.com|" + RFC_TOKEN);
    }

    @Test
    void withoutInitialResponseOrAuthzid() {
        SaslExchange<String> exchange = oauthbearer();
        assertThat(challenge(exchange.start(null))).isEmpty();
        String message = "n,,\u0001auth=bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\u0001\u0001";
        assertThat(success(exchange.respond(utf8(message)))).isEqualTo("principal:alice");
        assertThat(backend.calls).containsExactly("bearer||eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
    }

    /** RFC 7628 section 3.2.3 and the failure example of section 4.3: JSON challenge, 0x01, failure. */
    @Test
    void aRejectedTokenGetsTheJsonErrorThenFails() {
        SaslExchange<String> exchange = oauthbearer();
        String message = "n,a=user@example.com,\u0001auth=Bearer expired\u0001\u0001";
        assertThat(challenge(exchange.start(utf8(message)))).isEqualTo("{\"status\":\"invalid_token\"}");
        rejected(exchange.respond(new byte[] {1}));
    }

    @Test
    void aTokenForSomeoneElseIsRejected() {
        SaslExchange<String> exchange = oauthbearer();
        String message = "n,a=alice,\u0001auth=Bearer " + RFC_TOKEN + "\u0001\u0001";
        assertThat(challenge(exchange.start(utf8(message)))).isEqualTo("{\"status\":\"invalid_token\"}");
        rejected(exchange.respond(new byte[] {1}));
    }

    @Test
    void theFailureComesWhateverTheClientAcknowledgesWith() {
        SaslExchange<String> exchange = oauthbearer();
        exchange.start(utf8("n,,\u0001auth=Bearer nope\u0001\u0001"));
        rejected(exchange.respond(utf8("something else")));
    }

    @Test
    void unavailableKeysFailAtOnce() {
        backend.unavailable = true;
        failure(oauthbearer().start(Base64.getDecoder().decode(RFC_7628_INITIAL_RESPONSE)),
                SaslExchange.Step.Failure.Kind.UNAVAILABLE);
    }

    static Stream<Arguments> malformedOauthbearer() {
        return Stream.of(
                Arguments.of("empty initial response", ""),
                Arguments.of("a lone kvsep", "\u0001"),
                Arguments.of("channel binding", "p=tls-unique,,\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("bad GS2 flag", "x,,\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("no kvsep after the GS2 header", "n,,auth=Bearer abc\u0001\u0001"),
                Arguments.of("missing final kvsep", "n,,\u0001auth=Bearer abc\u0001"),
                Arguments.of("data after the final kvsep", "n,,\u0001auth=Bearer abc\u0001\u0001x"),
                Arguments.of("missing auth", "n,,\u0001host=example.com\u0001\u0001"),
                Arguments.of("auth twice", "n,,\u0001auth=Bearer abc\u0001auth=Bearer def\u0001\u0001"),
                Arguments.of("not Bearer", "n,,\u0001auth=Basic dXNlcjpwdw==\u0001\u0001"),
                Arguments.of("empty token", "n,,\u0001auth=Bearer \u0001\u0001"),
                Arguments.of("token of padding only", "n,,\u0001auth=Bearer ==\u0001\u0001"),
                Arguments.of("token with a space", "n,,\u0001auth=Bearer a b\u0001\u0001"),
                Arguments.of("token with a quote", "n,,\u0001auth=Bearer a\"b\u0001\u0001"),
                Arguments.of("token over 16 KiB", "n,,\u0001auth=Bearer " + "a".repeat(16 * 1024 + 1) + "\u0001\u0001"),
                Arguments.of("message over 20 KiB", "n,,\u0001x=" + "a".repeat(20 * 1024) + "\u0001auth=Bearer a\u0001\u0001"),
                Arguments.of("key with a digit", "n,,\u0001h0st=x\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("pair without =", "n,,\u0001host\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("control character in a value", "n,,\u0001host=a\u0002b\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("NUL", "n,,\u0001host=a\0b\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("bad authzid escape", "n,a=a=b,\u0001auth=Bearer abc\u0001\u0001"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedOauthbearer")
    void malformedOauthbearerMessages(String label, String message) {
        SaslExchange<String> exchange = oauthbearer();
        assertThat(challenge(exchange.start(utf8(message)))).isEqualTo("{\"status\":\"invalid_request\"}");
        assertThat(malformed(exchange.respond(new byte[] {1})).reason()).doesNotContain("abc", "Basic");
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void invalidUtf8IsMalformed() {
        SaslExchange<String> exchange = oauthbearer();
        challenge(exchange.start(new byte[] {'n', ',', ',', 1, 'h', '=', (byte) 0xE2, (byte) 0x82, 1, 1}));
        malformed(exchange.respond(new byte[] {1}));
    }

    @Test
    void gs2NonStandardFlagIsAllowed() {
        String message = "F,n,a=alice,\u0001auth=Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\u0001\u0001";
        assertThat(success(oauthbearer().start(utf8(message)))).isEqualTo("principal:alice");
    }

    // ---- XOAUTH2 ----

    @Test
    void xoauth2GooglesFormat() {
        String message = "user=alice\u0001auth=Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\u0001\u0001";
        assertThat(success(xoauth2().start(utf8(message)))).isEqualTo("principal:alice");
        assertThat(backend.calls).containsExactly("bearer|alice|eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
    }

    @Test
    void xoauth2WithoutInitialResponseAndFieldsInOtherOrder() {
        SaslExchange<String> exchange = xoauth2();
        assertThat(challenge(exchange.start(null))).isEmpty();
        String message = "auth=Bearer " + RFC_TOKEN + "\u0001user=user@example.com\u0001\u0001";
        assertThat(success(exchange.respond(utf8(message)))).isEqualTo("principal:user@example.com");
    }

    @Test
    void xoauth2RejectedTokenGetsGooglesJsonThenFails() {
        SaslExchange<String> exchange = xoauth2();
        String step = challenge(exchange.start(utf8("user=alice\u0001auth=Bearer stale\u0001\u0001")));
        assertThat(step).isEqualTo("{\"status\":\"401\",\"schemes\":\"bearer\"}");
        rejected(exchange.respond(new byte[0]));
    }

    static Stream<Arguments> malformedXoauth2() {
        return Stream.of(
                Arguments.of("empty", ""),
                Arguments.of("no final separators", "user=alice\u0001auth=Bearer abc"),
                Arguments.of("one final separator", "user=alice\u0001auth=Bearer abc\u0001"),
                Arguments.of("missing user", "auth=Bearer abc\u0001\u0001"),
                Arguments.of("missing auth", "user=alice\u0001\u0001"),
                Arguments.of("empty user", "user=\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("user twice", "user=a\u0001user=b\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("empty field in the middle", "user=alice\u0001\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("not Bearer", "user=alice\u0001auth=Basic abc\u0001\u0001"),
                Arguments.of("user over 1024 bytes", "user=" + "a".repeat(1025) + "\u0001auth=Bearer abc\u0001\u0001"),
                Arguments.of("NUL in user", "user=al\0ice\u0001auth=Bearer abc\u0001\u0001"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedXoauth2")
    void malformedXoauth2Messages(String label, String message) {
        SaslExchange<String> exchange = xoauth2();
        assertThat(challenge(exchange.start(utf8(message)))).isEqualTo("{\"status\":\"400\",\"schemes\":\"bearer\"}");
        malformed(exchange.respond(new byte[0]));
        assertThat(backend.calls).isEmpty();
    }
}
