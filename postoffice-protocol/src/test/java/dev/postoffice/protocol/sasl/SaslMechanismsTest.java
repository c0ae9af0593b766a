package dev.postoffice.protocol.sasl;

import static dev.postoffice.protocol.sasl.Steps.challenge;
import static dev.postoffice.protocol.sasl.Steps.malformed;
import static dev.postoffice.protocol.sasl.Steps.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

class SaslMechanismsTest {
    private final TestBackend backend = new TestBackend().with("tim", "tanstaaf");

    @Test
    void allInPreferenceOrder() {
        assertThat(SaslMechanisms.ALL).containsExactly(
                "GSSAPI", "SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN", "OAUTHBEARER", "XOAUTH2");
        assertThatThrownBy(() -> SaslMechanisms.ALL.add("X")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void whichMechanismsSendACleartextSecret() {
        assertThat(SaslMechanisms.ALL).filteredOn(SaslMechanisms::sendsCleartextSecret)
                .containsExactly("PLAIN", "LOGIN", "OAUTHBEARER", "XOAUTH2");
        assertThat(SaslMechanisms.sendsCleartextSecret("plain")).isTrue();
        assertThat(SaslMechanisms.sendsCleartextSecret("scram-sha-1")).isFalse();
        assertThat(SaslMechanisms.sendsCleartextSecret("gssapi")).isFalse();
        assertThatThrownBy(() -> SaslMechanisms.sendsCleartextSecret("DIGEST-MD5"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @FieldSource("dev.postoffice.protocol.sasl.SaslMechanisms#ALL")
    void everyMechanismStartsCaseInsensitively(String mechanism) {
        SaslExchange<String> lower = SaslMechanisms.start(mechanism.toLowerCase(), backend, "pop.example.org");
        assertThat(lower.mechanism()).isEqualTo(mechanism);
        assertThat(SaslMechanisms.isKnown(mechanism.toLowerCase())).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "KERBEROS_V4", "DIGEST-MD5", "SCRAM-SHA-256-PLUS", "EXTERNAL", "ANONYMOUS", "PLAIN "})
    void unknownMechanisms(String mechanism) {
        assertThat(SaslMechanisms.isKnown(mechanism)).isFalse();
        assertThatThrownBy(() -> SaslMechanisms.start(mechanism, backend, "h"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown SASL mechanism");
    }

    @Test
    void isKnownOfNull() {
        assertThat(SaslMechanisms.isKnown(null)).isFalse();
    }

    @ParameterizedTest
    @FieldSource("dev.postoffice.protocol.sasl.SaslMechanisms#ALL")
    void anExchangeStartsOnceAndEnds(String mechanism) {
        SaslExchange<String> exchange = SaslMechanisms.start(mechanism, backend, "pop.example.org");
        assertThatThrownBy(() -> exchange.respond(new byte[0])).isInstanceOf(IllegalStateException.class);
        SaslExchange.Step<String> step = exchange.start(null);
        assertThatThrownBy(() -> exchange.start(null)).isInstanceOf(IllegalStateException.class);
        while (step instanceof SaslExchange.Step.Challenge<String>) {
            step = exchange.respond(new byte[] {(byte) 0xFF});
        }
        assertThat(step).isInstanceOf(SaslExchange.Step.Failure.class);
        assertThatThrownBy(() -> exchange.respond(new byte[0])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void messagesOverTheLimitAreMalformedAtEveryStep() {
        byte[] big = new byte[SaslMechanisms.MAX_MESSAGE_BYTES + 1];
        java.util.Arrays.fill(big, (byte) 'a');
        for (String mechanism : new String[] {"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}) {
            malformed(SaslMechanisms.start(mechanism, backend, "h").start(new byte[8 * 1024 + 1]));
        }
        SaslExchange<String> login = SaslMechanisms.start("LOGIN", backend, "h");
        challenge(login.start(utf8("tim")));
        malformed(login.respond(new byte[8 * 1024 + 1]));
        SaslExchange<String> bearer = SaslMechanisms.start("OAUTHBEARER", backend, "h");
        challenge(bearer.start(big));
        malformed(bearer.respond(new byte[] {1}));
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void nullArguments() {
        assertThatThrownBy(() -> SaslMechanisms.start("PLAIN", null, "h")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> SaslMechanisms.start("PLAIN", backend, null)).isInstanceOf(NullPointerException.class);
        SaslExchange<String> exchange = SaslMechanisms.start("PLAIN", backend, "h");
        exchange.start(null);
        assertThatThrownBy(() -> exchange.respond(null)).isInstanceOf(NullPointerException.class);
    }
}
