package dev.postoffice.protocol.sasl;

import static dev.postoffice.protocol.sasl.Steps.challenge;
import static dev.postoffice.protocol.sasl.Steps.failure;
import static dev.postoffice.protocol.sasl.Steps.malformed;
import static dev.postoffice.protocol.sasl.Steps.rejected;
import static dev.postoffice.protocol.sasl.Steps.success;
import static dev.postoffice.protocol.sasl.Steps.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CramMd5ExchangeTest {
    /** RFC 2195 section 2. */
    private static final String RFC_CHALLENGE = "<1896.697170952@postoffice.reston.mci.net>";
    private static final String RFC_RESPONSE = "tim b913a602c7eda7a495b4e6e7334d3890";

    private final TestBackend backend = new TestBackend().with("tim", "tanstaaftanstaaf");

    @Test
    void rfc2195Example() {
        SaslExchange<String> exchange = new CramMd5Exchange<>(backend, RFC_CHALLENGE);
        assertThat(challenge(exchange.start(null))).isEqualTo(RFC_CHALLENGE);
        assertThat(success(exchange.respond(utf8(RFC_RESPONSE)))).isEqualTo("principal:tim");
        assertThat(backend.calls).containsExactly("cram|tim|" + RFC_CHALLENGE + "|b913a602c7eda7a495b4e6e7334d3890");
    }

    @Test
    void rfc2195DigestIsWhatTheTestBackendComputes() {
        byte[] digest = Crypto.hmac("HmacMD5", utf8("tanstaaftanstaaf"), utf8(RFC_CHALLENGE));
        assertThat(HexFormat.of().formatHex(digest)).isEqualTo("b913a602c7eda7a495b4e6e7334d3890");
    }

    @Test
    void challengeIsAFreshMessageIdWithTheHostname() {
        String first = challenge(SaslMechanisms.start("CRAM-MD5", backend, "pop.example.org").start(null));
        String second = challenge(SaslMechanisms.start("cram-md5", backend, "pop.example.org").start(null));
        assertThat(first).matches("<[0-9]+\\.[0-9]+@pop\\.example\\.org>");
        assertThat(second).isNotEqualTo(first);
    }

    @Test
    void aFullExchangeWithTheGeneratedChallenge() {
        SaslExchange<String> exchange = SaslMechanisms.start("CRAM-MD5", backend, "pop.example.org");
        String c = challenge(exchange.start(null));
        String digest = HexFormat.of().formatHex(Crypto.hmac("HmacMD5", utf8("tanstaaftanstaaf"), utf8(c)));
        assertThat(success(exchange.respond(utf8("tim " + digest)))).isEqualTo("principal:tim");
    }

    @Test
    void wrongDigestAndUnknownUserFailAlike() {
        SaslExchange<String> wrong = new CramMd5Exchange<>(backend, RFC_CHALLENGE);
        wrong.start(null);
        SaslExchange<String> unknown = new CramMd5Exchange<>(backend, RFC_CHALLENGE);
        unknown.start(null);
        assertThat(rejected(wrong.respond(utf8("tim 00000000000000000000000000000000"))))
                .isEqualTo(rejected(unknown.respond(utf8("bob b913a602c7eda7a495b4e6e7334d3890"))));
    }

    @Test
    void anInitialResponseIsRefused() {
        malformed(new CramMd5Exchange<>(backend, RFC_CHALLENGE).start(utf8(RFC_RESPONSE)));
        malformed(new CramMd5Exchange<>(backend, RFC_CHALLENGE).start(new byte[0]));
    }

    @Test
    void anUnreadableDirectoryIsUnavailable() {
        backend.unavailable = true;
        SaslExchange<String> exchange = new CramMd5Exchange<>(backend, RFC_CHALLENGE);
        exchange.start(null);
        failure(exchange.respond(utf8(RFC_RESPONSE)), SaslExchange.Step.Failure.Kind.UNAVAILABLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "tim", "tim ", " b913a602c7eda7a495b4e6e7334d3890", "timb913a602c7eda7a495b4e6e7334d3890",
            "tim B913A602C7EDA7A495B4E6E7334D3890", "tim b913a602c7eda7a495b4e6e7334d389",
            "tim b913a602c7eda7a495b4e6e7334d38900", "tim b913a602c7eda7a495b4e6e7334d389g",
            "tim\0 b913a602c7eda7a495b4e6e7334d3890"})
    void malformedResponses(String response) {
        SaslExchange<String> exchange = new CramMd5Exchange<>(backend, RFC_CHALLENGE);
        exchange.start(null);
        assertThat(malformed(exchange.respond(utf8(response))).reason()).doesNotContain("b913");
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void invalidUtf8AndOversizeUserNames() {
        for (byte[] response : new byte[][] {
                {(byte) 0xFF, ' ', 'b', '9'}, utf8("u".repeat(1025) + " b913a602c7eda7a495b4e6e7334d3890")}) {
            SaslExchange<String> exchange = new CramMd5Exchange<>(backend, RFC_CHALLENGE);
            exchange.start(null);
            malformed(exchange.respond(response));
        }
    }
}
