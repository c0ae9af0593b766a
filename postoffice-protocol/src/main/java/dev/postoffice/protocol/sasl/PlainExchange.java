package dev.postoffice.protocol.sasl;

/**
 * PLAIN (RFC 4616): one client message {@code [authzid] NUL authcid NUL passwd} in UTF-8. Without an initial
 * response the server sends an empty challenge first. All three strings are prepared with SASLprep; the backend
 * decides whether an authzid other than the authcid is allowed.
 */
final class PlainExchange<P> extends AbstractExchange<P> {
    private final SaslBackend<P> backend;

    PlainExchange(SaslBackend<P> backend) {
        super("PLAIN", MAX_MESSAGE_BYTES);
        this.backend = backend;
    }

    @Override
    Step<P> onStart(byte[] initialResponse) throws MalformedMessageException {
        return initialResponse == null ? challenge(new byte[0]) : check(initialResponse);
    }

    @Override
    Step<P> onResponse(byte[] response) throws MalformedMessageException {
        return check(response);
    }

    private Step<P> check(byte[] message) throws MalformedMessageException {
        int first = SaslText.indexOf(message, (byte) 0, 0);
        int second = first < 0 ? -1 : SaslText.indexOf(message, (byte) 0, first + 1);
        if (second < 0) {
            throw new MalformedMessageException("expected authzid NUL authcid NUL password");
        }
        if (SaslText.indexOf(message, (byte) 0, second + 1) >= 0) {
            throw new MalformedMessageException("exactly two NUL separators are allowed");
        }
        String authzid = SaslText.utf8(message, 0, first);
        String authcid = SaslText.name(SaslText.utf8(message, first + 1, second), "user name");
        String password = SaslText.password(SaslText.utf8(message, second + 1, message.length));
        String preparedAuthzid = authzid.isEmpty() ? "" : SaslText.name(authzid, "authorization identity");
        return outcome(backend.checkPassword(preparedAuthzid, authcid, password));
    }
}
