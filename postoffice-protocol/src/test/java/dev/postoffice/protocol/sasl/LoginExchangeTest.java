package dev.postoffice.protocol.sasl;

import static dev.postoffice.protocol.sasl.Steps.challenge;
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

class LoginExchangeTest {
    private final TestBackend backend = new TestBackend().with("tim", "tanstaaf").with("IX", "pw");

    private SaslExchange<String> login() {
        return SaslMechanisms.start("login", backend, "pop.example.org");
    }

    @Test
    void asksForTheUserNameThenThePassword() {
        SaslExchange<String> exchange = login();
        assertThat(exchange.mechanism()).isEqualTo("LOGIN");
        assertThat(challenge(exchange.start(null))).isEqualTo("Username:");
        assertThat(challenge(exchange.respond(utf8("tim")))).isEqualTo("Password:");
        assertThat(success(exchange.respond(utf8("tanstaaf")))).isEqualTo("principal:tim");
        assertThat(backend.calls).containsExactly("password||tim|tanstaaf");
    }

    @Test
    void anInitialResponseIsTheUserName() {
        SaslExchange<String> exchange = login();
        assertThat(challenge(exchange.start(utf8("tim")))).isEqualTo("Password:");
        assertThat(success(exchange.respond(utf8("tanstaaf")))).isEqualTo("principal:tim");
    }

    @Test
    void wrongPasswordAndUnknownUserFailAlike() {
        SaslExchange<String> wrong = login();
        wrong.start(utf8("tim"));
        SaslExchange<String> unknown = login();
        unknown.start(utf8("nobody"));
        assertThat(rejected(wrong.respond(utf8("nope")))).isEqualTo(rejected(unknown.respond(utf8("tanstaaf"))));
    }

    @Test
    void userNameIsPreparedWithSaslPrep() {
        SaslExchange<String> exchange = login();
        exchange.start(utf8("I\u00ADX"));
        assertThat(success(exchange.respond(utf8("pw")))).isEqualTo("principal:IX");
    }

    static Stream<Arguments> malformedUserNames() {
        return Stream.of(
                Arguments.of("empty", new byte[0]),
                Arguments.of("NUL", utf8("t\0im")),
                Arguments.of("invalid UTF-8", new byte[] {'t', (byte) 0x80}),
                Arguments.of("over 1024 bytes", utf8("u".repeat(1025))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedUserNames")
    void malformedUserNames(String label, byte[] user) {
        malformed(login().start(user));
        SaslExchange<String> exchange = login();
        challenge(exchange.start(null));
        malformed(exchange.respond(user));
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void malformedPasswords() {
        for (byte[] password : new byte[][] {new byte[0], utf8("p\0w"), {(byte) 0xFE}, utf8("p".repeat(1025))}) {
            SaslExchange<String> exchange = login();
            exchange.start(utf8("tim"));
            malformed(exchange.respond(password));
        }
        assertThat(backend.calls).isEmpty();
    }
}
