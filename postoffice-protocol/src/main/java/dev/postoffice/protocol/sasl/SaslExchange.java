package dev.postoffice.protocol.sasl;

import java.util.Objects;

/**
 * One server-side SASL authentication exchange (RFC 4422), created by {@link SaslMechanisms#start}. Messages
 * are raw decoded bytes: base64 and the POP3 {@code + } continuation lines (RFC 5034) are the session's job.
 *
 * <p>Call {@link #start} once, then {@link #respond} with the client's answer to each {@link Step.Challenge}
 * until a {@link Step.Success} or {@link Step.Failure}. Additional data with success is never produced: as RFC
 * 5034 section 4 requires, a mechanism's final server message (SCRAM's {@code v=}) is sent as a challenge,
 * which the client answers with an empty response. Not thread-safe; one exchange per AUTH command.
 */
public interface SaslExchange<P> {
    /** The mechanism's canonical (upper-case) name. */
    String mechanism();

    /**
     * Begins the exchange.
     *
     * @param initialResponse the client's initial response: null when the AUTH command had none, an empty array
     *                        when it was {@code =}
     * @throws IllegalStateException if already started
     */
    Step<P> start(byte[] initialResponse);

    /**
     * Continues the exchange with the client's response to the last challenge.
     *
     * @throws IllegalStateException if not started or already finished
     */
    Step<P> respond(byte[] response);

    /** What the session does next. */
    sealed interface Step<P> {
        /** Send {@code data} as a {@code + } continuation and feed the client's answer to {@link #respond}. */
        record Challenge<P>(byte[] data) implements Step<P> {
            public Challenge {
                Objects.requireNonNull(data, "data");
            }
        }

        /** The client is authenticated: answer {@code +OK}. */
        record Success<P>(SaslBackend.Verdict.Success<P> verdict) implements Step<P> {
            public Success {
                Objects.requireNonNull(verdict, "verdict");
            }
        }

        /**
         * The exchange failed.
         *
         * @param reason for {@link Kind#REJECTED} and {@link Kind#MALFORMED} a short text that is safe to send
         *               (it never repeats the client's input); for {@link Kind#UNAVAILABLE} the backend's reason,
         *               which is for logs only
         */
        record Failure<P>(Kind kind, String reason) implements Step<P> {
            public Failure {
                Objects.requireNonNull(kind, "kind");
                Objects.requireNonNull(reason, "reason");
            }

            /** Why an exchange failed, which decides the response code. */
            public enum Kind {
                /** Wrong or unauthorized credentials: {@code -ERR [AUTH]}, the same for every cause. */
                REJECTED,
                /** The user directory or key material cannot be read now: {@code -ERR [SYS/TEMP]}. */
                UNAVAILABLE,
                /** The client's message is not valid for the mechanism: {@code -ERR [AUTH]} with the reason. */
                MALFORMED
            }
        }
    }
}
