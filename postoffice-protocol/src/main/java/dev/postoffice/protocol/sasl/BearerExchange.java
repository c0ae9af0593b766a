package dev.postoffice.protocol.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What OAUTHBEARER and XOAUTH2 share: a client-first message carrying a bearer token, and failures reported as a
 * JSON challenge which the client acknowledges before the final failure (RFC 7628 section 3.2.3; Google's XOAUTH2
 * does the same). A directory that cannot be read fails at once, without a JSON challenge.
 */
abstract class BearerExchange<P> extends AbstractExchange<P> {
    /** Longest bearer token in bytes. */
    static final int MAX_TOKEN_BYTES = 16 * 1024;
    /** Longest client message: a token plus room for the user name and the other fields. */
    static final int MAX_BEARER_MESSAGE_BYTES = MAX_TOKEN_BYTES + 4 * 1024;

    final SaslBackend<P> backend;
    private Step.Failure<P> pendingFailure;

    BearerExchange(String mechanism, SaslBackend<P> backend) {
        super(mechanism, MAX_BEARER_MESSAGE_BYTES);
        this.backend = backend;
    }

    /** Parses the client's message and asks the backend. */
    abstract SaslBackend.Verdict<P> check(byte[] message) throws MalformedMessageException;

    /** The JSON error challenge for a malformed message. */
    abstract String malformedJson();

    /** The JSON error challenge for a rejected token. */
    abstract String rejectedJson();

    @Override
    final Step<P> onStart(byte[] initialResponse) throws MalformedMessageException {
        return initialResponse == null ? challenge(new byte[0]) : verify(initialResponse);
    }

    @Override
    final Step<P> onResponse(byte[] response) throws MalformedMessageException {
        return pendingFailure != null ? pendingFailure : verify(response);
    }

    @Override
    final Step<P> onMalformed(String reason) {
        return fail(new Step.Failure<>(Step.Failure.Kind.MALFORMED, reason), malformedJson());
    }

    private Step<P> verify(byte[] message) throws MalformedMessageException {
        Step<P> step = outcome(check(message));
        if (step instanceof Step.Failure<P> f && f.kind() == Step.Failure.Kind.REJECTED) {
            return fail(f, rejectedJson());
        }
        return step;
    }

    /** Sends the JSON error first; the client's acknowledgement, whatever it holds, then gets {@code failure}. */
    private Step<P> fail(Step.Failure<P> failure, String json) {
        if (pendingFailure != null) {
            return pendingFailure;
        }
        pendingFailure = failure;
        return challenge(json.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The token of an {@code auth} value {@code Bearer SP b64token} (RFC 6750 section 2.1; the scheme name is
     * case-insensitive).
     */
    final String bearerToken(String authValue) throws MalformedMessageException {
        if (authValue.length() < 8 || !authValue.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            throw new MalformedMessageException("the auth field must be 'Bearer' and a token");
        }
        String token = authValue.substring(7);
        if (token.length() > MAX_TOKEN_BYTES) {
            throw new MalformedMessageException("the token is longer than " + MAX_TOKEN_BYTES + " bytes");
        }
        int end = token.length();
        while (end > 0 && token.charAt(end - 1) == '=') {
            end--;
        }
        if (end == 0) {
            throw new MalformedMessageException("the token is empty");
        }
        for (int i = 0; i < end; i++) {
            char c = token.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
            if (!ok) {
                throw new MalformedMessageException("the token has characters a bearer token cannot have");
            }
        }
        return token;
    }
}
