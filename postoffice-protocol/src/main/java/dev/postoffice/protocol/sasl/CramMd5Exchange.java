package dev.postoffice.protocol.sasl;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * CRAM-MD5 (RFC 2195): the server sends {@code <random.timestamp@hostname>}; the client answers
 * {@code user SP digest}, the digest being 32 lowercase hex digits of HMAC-MD5 keyed with the shared secret. The
 * user name is taken as sent (RFC 2195 predates SASLprep). A server-first mechanism: an initial response is an
 * error (RFC 4422 section 5).
 */
final class CramMd5Exchange<P> extends AbstractExchange<P> {
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{32}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SaslBackend<P> backend;
    private final String challenge;

    /** An exchange that sends {@code challenge}, normally one from {@link #newChallenge}. */
    CramMd5Exchange(SaslBackend<P> backend, String challenge) {
        super("CRAM-MD5", MAX_MESSAGE_BYTES);
        this.backend = backend;
        this.challenge = challenge;
    }

    /** A fresh {@code <random.timestamp@hostname>}, in the form of RFC 822's msg-id that RFC 2195 asks for. */
    static String newChallenge(String hostname) {
        return "<" + (RANDOM.nextLong() >>> 1) + "." + System.currentTimeMillis() + "@" + hostname + ">";
    }

    @Override
    Step<P> onStart(byte[] initialResponse) throws MalformedMessageException {
        if (initialResponse != null) {
            throw new MalformedMessageException("no initial response is allowed");
        }
        return challenge(challenge);
    }

    @Override
    Step<P> onResponse(byte[] response) throws MalformedMessageException {
        String text = SaslText.utf8WithoutNul(response);
        int space = text.lastIndexOf(' ');
        if (space < 0 || !DIGEST.matcher(text.substring(space + 1)).matches()) {
            throw new MalformedMessageException("expected a user name, a space and 32 lowercase hex digits");
        }
        String user = text.substring(0, space);
        if (user.isEmpty()) {
            throw new MalformedMessageException("the user name is empty");
        }
        SaslText.checkLength(user, SaslText.MAX_NAME_BYTES, "user name");
        return outcome(backend.checkCramMd5(user, challenge, text.substring(space + 1)));
    }
}
