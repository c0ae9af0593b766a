package dev.postoffice.protocol.sasl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

/** Assertions on exchange steps. */
final class Steps {
    private Steps() {}

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The challenge's data as UTF-8, failing unless {@code step} is a challenge. */
    static String challenge(SaslExchange.Step<String> step) {
        assertThat(step).isInstanceOf(SaslExchange.Step.Challenge.class);
        return new String(((SaslExchange.Step.Challenge<String>) step).data(), StandardCharsets.UTF_8);
    }

    /** The principal, failing unless {@code step} is a success. */
    static String success(SaslExchange.Step<String> step) {
        assertThat(step).isInstanceOf(SaslExchange.Step.Success.class);
        return ((SaslExchange.Step.Success<String>) step).verdict().principal();
    }

    static SaslExchange.Step.Failure<String> failure(SaslExchange.Step<String> step, SaslExchange.Step.Failure.Kind kind) {
        assertThat(step).isInstanceOf(SaslExchange.Step.Failure.class);
        SaslExchange.Step.Failure<String> f = (SaslExchange.Step.Failure<String>) step;
        assertThat(f.kind()).isEqualTo(kind);
        return f;
    }

    static SaslExchange.Step.Failure<String> rejected(SaslExchange.Step<String> step) {
        SaslExchange.Step.Failure<String> f = failure(step, SaslExchange.Step.Failure.Kind.REJECTED);
        assertThat(f.reason()).isEqualTo(AbstractExchange.AUTH_FAILED);
        return f;
    }

    static SaslExchange.Step.Failure<String> malformed(SaslExchange.Step<String> step) {
        return failure(step, SaslExchange.Step.Failure.Kind.MALFORMED);
    }
}
