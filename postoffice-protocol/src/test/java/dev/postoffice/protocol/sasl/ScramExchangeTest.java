package dev.postoffice.protocol.sasl;

import static dev.postoffice.protocol.sasl.Steps.challenge;
import static dev.postoffice.protocol.sasl.Steps.failure;
import static dev.postoffice.protocol.sasl.Steps.malformed;
import static dev.postoffice.protocol.sasl.Steps.rejected;
import static dev.postoffice.protocol.sasl.Steps.success;
import static dev.postoffice.protocol.sasl.Steps.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.protocol.sasl.SaslBackend.ScramHash;
import dev.postoffice.testkit.ScramClient;
import java.util.Base64;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ScramExchangeTest {
    /**
     * One RFC example exchange.
     *
     * @param salt base64, as in the server-first message
     */
    record Example(ScramHash hash, String serverNonce, String salt, String clientFirst, String serverFirst,
            String clientFinal, String serverFinal) {}

    /** RFC 5802 section 5. */
    static final Example RFC_5802 = new Example(ScramHash.SHA_1, "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
            "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");

    /** RFC 7677 section 3. */
    static final Example RFC_7677 = new Example(ScramHash.SHA_256, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
            "W22ZaJ0SNY7soEsUEjb6gQ==",
            "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                    + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");

    private final TestBackend backend = new TestBackend().with("user", "pencil").with("admin", "root");

    private ScramExchange<String> exchange(ScramHash hash, String serverNonce) {
        return new ScramExchange<>(backend, hash, () -> serverNonce);
    }

    static Stream<Example> rfcExamples() {
        return Stream.of(RFC_5802, RFC_7677);
    }

    @ParameterizedTest
    @MethodSource("rfcExamples")
    void rfcExamplesWithInitialResponse(Example ex) {
        backend.scramSalt = Base64.getDecoder().decode(ex.salt());
        ScramExchange<String> exchange = exchange(ex.hash(), ex.serverNonce());
        assertThat(challenge(exchange.start(utf8(ex.clientFirst())))).isEqualTo(ex.serverFirst());
        assertThat(challenge(exchange.respond(utf8(ex.clientFinal())))).isEqualTo(ex.serverFinal());
        assertThat(success(exchange.respond(new byte[0]))).isEqualTo("principal:user");
        assertThat(backend.calls).containsExactly("scram|user|" + ex.hash().mechanism, "scram-ok||user");
    }

    @ParameterizedTest
    @MethodSource("rfcExamples")
    void rfcExamplesWithoutInitialResponse(Example ex) {
        backend.scramSalt = Base64.getDecoder().decode(ex.salt());
        ScramExchange<String> exchange = exchange(ex.hash(), ex.serverNonce());
        assertThat(challenge(exchange.start(null))).isEmpty();
        assertThat(challenge(exchange.respond(utf8(ex.clientFirst())))).isEqualTo(ex.serverFirst());
        assertThat(challenge(exchange.respond(utf8(ex.clientFinal())))).isEqualTo(ex.serverFinal());
        assertThat(success(exchange.respond(new byte[0]))).isEqualTo("principal:user");
    }

    @ParameterizedTest
    @EnumSource(ScramHash.class)
    void randomServerNonceAndAFullClient(ScramHash hash) {
        SaslExchange<String> exchange = SaslMechanisms.start(hash.mechanism, backend, "pop.example.org");
        ScramClient client = new ScramClient(hash.mechanism, "n,,", "user", "pencil", "clientnonce");
        String serverFirst = challenge(exchange.start(utf8(client.clientFirst())));
        String serverNonce = ScramClient.attribute(serverFirst, "r").substring("clientnonce".length());
        assertThat(Base64.getDecoder().decode(serverNonce)).hasSizeGreaterThanOrEqualTo(24);
        assertThat(challenge(exchange.respond(utf8(client.clientFinal(serverFirst)))))
                .isEqualTo(client.expectedServerFinal());
        assertThat(success(exchange.respond(new byte[0]))).isEqualTo("principal:user");
    }

    @Test
    void serverNoncesDiffer() {
        String a = challenge(SaslMechanisms.start("SCRAM-SHA-256", backend, "h").start(utf8("n,,n=user,r=x")));
        String b = challenge(SaslMechanisms.start("SCRAM-SHA-256", backend, "h").start(utf8("n,,n=user,r=x")));
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void yFlagAndAuthzid() {
        ScramExchange<String> exchange = exchange(ScramHash.SHA_256, "srv");
        ScramClient client = new ScramClient(ScramHash.SHA_256.mechanism, "y,a=user,", "admin", "root", "abc");
        String serverFirst = challenge(exchange.start(utf8(client.clientFirst())));
        assertThat(challenge(exchange.respond(utf8(client.clientFinal(serverFirst)))))
                .isEqualTo(client.expectedServerFinal());
        assertThat(success(exchange.respond(new byte[0]))).isEqualTo("principal:user");
        assertThat(backend.calls).containsExactly("scram|admin|SCRAM-SHA-256", "scram-ok|user|admin");
    }

    @Test
    void anAuthzidTheBackendRefusesIsRejectedWithoutServerSignature() {
        ScramExchange<String> exchange = exchange(ScramHash.SHA_256, "srv");
        ScramClient client = new ScramClient(ScramHash.SHA_256.mechanism, "n,a=admin,", "user", "pencil", "abc");
        String serverFirst = challenge(exchange.start(utf8(client.clientFirst())));
        rejected(exchange.respond(utf8(client.clientFinal(serverFirst))));
    }

    @Test
    void escapedAndPreparedUserNames() {
        backend.with("a,b=c", "pw").with("IX", "pw");
        for (String[] names : new String[][] {{"a=2Cb=3Dc", "a,b=c"}, {"I\u00ADX", "IX"}}) {
            ScramExchange<String> exchange = exchange(ScramHash.SHA_1, "srv");
            ScramClient client = new ScramClient(ScramHash.SHA_1.mechanism, "n,,", names[0], "pw", "abc");
            String serverFirst = challenge(exchange.start(utf8(client.clientFirst())));
            challenge(exchange.respond(utf8(client.clientFinal(serverFirst))));
            assertThat(success(exchange.respond(new byte[0]))).isEqualTo("principal:" + names[1]);
        }
    }

    @Test
    void wrongPasswordAndUnknownUserLookAlikeAndFailAtTheProof() {
        ScramExchange<String> wrong = exchange(ScramHash.SHA_256, "srv");
        ScramClient wrongClient = new ScramClient(ScramHash.SHA_256.mechanism, "n,,", "user", "pencil!", "abc");
        ScramExchange<String> unknown = exchange(ScramHash.SHA_256, "srv");
        ScramClient unknownClient = new ScramClient(ScramHash.SHA_256.mechanism, "n,,", "nobody", "pencil", "abc");
        String wrongFirst = challenge(wrong.start(utf8(wrongClient.clientFirst())));
        String unknownFirst = challenge(unknown.start(utf8(unknownClient.clientFirst())));
        assertThat(unknownFirst).isEqualTo(wrongFirst);
        assertThat(rejected(wrong.respond(utf8(wrongClient.clientFinal(wrongFirst)))))
                .isEqualTo(rejected(unknown.respond(utf8(unknownClient.clientFinal(unknownFirst)))));
        assertThat(backend.calls).doesNotContain("scram-ok||user", "scram-ok||nobody");
    }

    @Test
    void aTamperedProofIsRejected() {
        backend.scramSalt = Base64.getDecoder().decode(RFC_7677.salt());
        ScramExchange<String> exchange = exchange(ScramHash.SHA_256, RFC_7677.serverNonce());
        exchange.start(utf8(RFC_7677.clientFirst()));
        String tampered = RFC_7677.clientFinal().replace("p=dHzb", "p=dHzc");
        rejected(exchange.respond(utf8(tampered)));
    }

    @Test
    void theFinalAcknowledgementMustBeEmpty() {
        backend.scramSalt = Base64.getDecoder().decode(RFC_5802.salt());
        ScramExchange<String> exchange = exchange(ScramHash.SHA_1, RFC_5802.serverNonce());
        exchange.start(utf8(RFC_5802.clientFirst()));
        challenge(exchange.respond(utf8(RFC_5802.clientFinal())));
        malformed(exchange.respond(utf8("v=whatever")));
    }

    @Test
    void anUnreadableDirectoryIsUnavailable() {
        backend.unavailable = true;
        failure(exchange(ScramHash.SHA_1, "srv").start(utf8(RFC_5802.clientFirst())), SaslExchange.Step.Failure.Kind.UNAVAILABLE);
    }

    static Stream<Arguments> malformedClientFirst() {
        return Stream.of(
                Arguments.of("empty initial response", ""),
                Arguments.of("channel binding requested", "p=tls-unique,,n=joe,r=abc"),
                Arguments.of("GS2 non-standard flag", "F,n,,n=joe,r=abc"),
                Arguments.of("unknown GS2 flag", "x,,n=joe,r=abc"),
                Arguments.of("GS2 header without comma", "n"),
                Arguments.of("GS2 header without second comma", "n,n=joe,r=abc"),
                Arguments.of("authzid without end", "n,a=joe"),
                Arguments.of("empty authzid", "n,a=,n=joe,r=abc"),
                Arguments.of("bad authzid escape", "n,a=jo=e,n=joe,r=abc"),
                Arguments.of("mandatory extension", "n,,m=ext,n=joe,r=abc"),
                Arguments.of("missing user name", "n,,r=abc"),
                Arguments.of("missing nonce", "n,,n=joe"),
                Arguments.of("nonce first", "n,,r=abc,n=joe"),
                Arguments.of("empty user name", "n,,n=,r=abc"),
                Arguments.of("bad user name escape", "n,,n=jo=2Xe,r=abc"),
                Arguments.of("empty nonce", "n,,n=joe,r="),
                Arguments.of("nonce with a space", "n,,n=joe,r=a c"),
                Arguments.of("nonce with non-ASCII", "n,,n=joe,r=\u00e9"),
                Arguments.of("nonce over 1024 characters", "n,,n=joe,r=" + "x".repeat(1025)),
                Arguments.of("invalid extension", "n,,n=joe,r=abc,=x"),
                Arguments.of("NUL", "n,,n=jo\0e,r=abc"),
                Arguments.of("user name SASLprep prohibits", "n,,n=jo\u0007e,r=abc"),
                Arguments.of("oversize message", "n,,n=joe,r=abc,x=" + "y".repeat(8 * 1024)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedClientFirst")
    void malformedClientFirstMessages(String label, String message) {
        SaslExchange.Step.Failure<String> f = malformed(exchange(ScramHash.SHA_256, "srv").start(utf8(message)));
        assertThat(f.reason()).startsWith("SCRAM-SHA-256: ").doesNotContain("joe", "jo=", "abc");
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void channelBindingHasAClearReason() {
        assertThat(malformed(exchange(ScramHash.SHA_1, "srv").start(utf8("p=tls-exporter,,n=user,r=abc"))).reason())
                .isEqualTo("SCRAM-SHA-1: channel binding is not supported");
    }

    @Test
    void invalidUtf8InTheFirstMessage() {
        malformed(exchange(ScramHash.SHA_1, "srv").start(new byte[] {'n', ',', ',', 'n', '=', (byte) 0xC3, ',', 'r', '=', 'x'}));
    }

    static Stream<Arguments> malformedClientFinal() {
        Function<String, String> valid = f -> f;
        return Stream.of(
                Arguments.of("proof is not last", (Function<String, String>) f -> f + ",x=y"),
                Arguments.of("missing proof", (Function<String, String>) f -> f.substring(0, f.indexOf(",p="))),
                Arguments.of("missing channel binding", (Function<String, String>) f -> f.substring(f.indexOf(",r=") + 1)),
                Arguments.of("channel binding of another header", (Function<String, String>) f -> f.replace("c=biws", "c=eSws")),
                Arguments.of("channel binding not base64", (Function<String, String>) f -> f.replace("c=biws", "c=bi*s")),
                Arguments.of("nonce mismatch", (Function<String, String>) f -> f.replace("3rfcNHYJY1ZVvWVs7j", "3rfcNHYJY1ZVvWVs7J")),
                Arguments.of("client nonce only", (Function<String, String>) f -> f.replace("3rfcNHYJY1ZVvWVs7j", "")),
                Arguments.of("proof not base64", (Function<String, String>) f -> f.replace("p=v0X8", "p=v*X8")),
                Arguments.of("proof too short", (Function<String, String>) f -> f.replaceFirst("p=.*$", "p=AAAA")),
                Arguments.of("empty message", (Function<String, String>) f -> ""),
                Arguments.of("NUL", (Function<String, String>) f -> f.replace("c=biws", "c=bi\0ws")),
                Arguments.of("invalid extension", (Function<String, String>) f -> f.replace(",p=", ",1=x,p=")),
                Arguments.of("reordered", (Function<String, String>) f -> "r=" + f.split(",r=")[1].split(",p=")[0]
                        + ",c=biws,p=" + f.split(",p=")[1]),
                Arguments.of("valid control", valid));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedClientFinal")
    void malformedClientFinalMessages(String label, Function<String, String> change) {
        backend.scramSalt = Base64.getDecoder().decode(RFC_5802.salt());
        ScramExchange<String> exchange = exchange(ScramHash.SHA_1, RFC_5802.serverNonce());
        exchange.start(utf8(RFC_5802.clientFirst()));
        SaslExchange.Step<String> step = exchange.respond(utf8(change.apply(RFC_5802.clientFinal())));
        if (label.equals("valid control")) {
            assertThat(challenge(step)).isEqualTo(RFC_5802.serverFinal());
        } else {
            assertThat(malformed(step).reason()).startsWith("SCRAM-SHA-1: ").doesNotContain("fyko");
            assertThat(backend.calls).doesNotContain("scram-ok||user");
        }
    }
}
