package dev.postoffice.protocol.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The state machine every mechanism shares: start once, respond until a final step, bound every message, turn
 * {@link MalformedMessageException}s into {@link Step.Failure}s.
 */
abstract class AbstractExchange<P> implements SaslExchange<P> {
    /** The reason of every {@link Step.Failure.Kind#REJECTED} failure, whatever the cause. */
    static final String AUTH_FAILED = "authentication failed";

    /** Longest client message for mechanisms without bearer tokens. */
    static final int MAX_MESSAGE_BYTES = 8 * 1024;

    private enum State { NEW, RUNNING, DONE }

    private final String mechanism;
    private final int maxMessageBytes;
    private State state = State.NEW;

    AbstractExchange(String mechanism, int maxMessageBytes) {
        this.mechanism = mechanism;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public final String mechanism() {
        return mechanism;
    }

    @Override
    public final Step<P> start(byte[] initialResponse) {
        if (state != State.NEW) {
            throw new IllegalStateException(mechanism + " exchange already started");
        }
        state = State.RUNNING;
        return run(initialResponse, true);
    }

    @Override
    public final Step<P> respond(byte[] response) {
        Objects.requireNonNull(response, "response");
        if (state != State.RUNNING) {
            throw new IllegalStateException(mechanism + " exchange is " + (state == State.NEW ? "not started" : "over"));
        }
        return run(response, false);
    }

    private Step<P> run(byte[] message, boolean initial) {
        Step<P> step;
        try {
            if (message != null && message.length > maxMessageBytes) {
                throw new MalformedMessageException("the message is longer than " + maxMessageBytes + " bytes");
            }
            step = initial ? onStart(message) : onResponse(message);
        } catch (MalformedMessageException e) {
            step = onMalformed(mechanism + ": " + e.getMessage());
        }
        if (!(step instanceof Step.Challenge)) {
            state = State.DONE;
        }
        return step;
    }

    /** The initial response (null when there was none) gives the first step. */
    abstract Step<P> onStart(byte[] initialResponse) throws MalformedMessageException;

    /** A response to the last challenge gives the next step. */
    abstract Step<P> onResponse(byte[] response) throws MalformedMessageException;

    /**
     * What a malformed message leads to; mechanisms that report errors in a challenge override it.
     *
     * @param reason the mechanism's name, a colon and what is wrong
     */
    Step<P> onMalformed(String reason) {
        return new Step.Failure<>(Step.Failure.Kind.MALFORMED, reason);
    }

    static <P> Step<P> challenge(byte[] data) {
        return new Step.Challenge<>(data);
    }

    static <P> Step<P> challenge(String ascii) {
        return new Step.Challenge<>(ascii.getBytes(StandardCharsets.US_ASCII));
    }

    static <P> Step<P> rejected() {
        return new Step.Failure<>(Step.Failure.Kind.REJECTED, AUTH_FAILED);
    }

    /** The final step a backend verdict leads to. */
    static <P> Step<P> outcome(SaslBackend.Verdict<P> verdict) {
        return switch (Objects.requireNonNull(verdict, "verdict")) {
            case SaslBackend.Verdict.Success<P> s -> new Step.Success<>(s);
            case SaslBackend.Verdict.Rejected<P> r -> rejected();
            case SaslBackend.Verdict.Unavailable<P> u -> new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, u.reason());
        };
    }
}
