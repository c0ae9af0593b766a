package dev.postoffice.protocol.sasl;

/**
 * XOAUTH2 (Google's format): {@code user=<name> ^A auth=Bearer <token> ^A ^A}, ^A being 0x01. The fields may come
 * in either order; unknown fields are ignored. On failure the server sends Google's JSON error
 * ({@code {"status":"401","schemes":"bearer"}}, or status 400 for a malformed message) as a challenge, the client
 * answers with an empty response, and the exchange fails.
 */
final class XOAuth2Exchange<P> extends BearerExchange<P> {
    private static final String SEP = "\u0001";

    XOAuth2Exchange(SaslBackend<P> backend) {
        super("XOAUTH2", backend);
    }

    @Override
    String malformedJson() {
        return "{\"status\":\"400\",\"schemes\":\"bearer\"}";
    }

    @Override
    String rejectedJson() {
        return "{\"status\":\"401\",\"schemes\":\"bearer\"}";
    }

    @Override
    SaslBackend.Verdict<P> check(byte[] message) throws MalformedMessageException {
        String text = SaslText.utf8WithoutNul(message);
        if (!text.endsWith(SEP + SEP)) {
            throw new MalformedMessageException("the message must end with 0x01 0x01");
        }
        String user = null;
        String token = null;
        for (String field : text.substring(0, text.length() - 2).split(SEP, -1)) {
            if (field.startsWith("user=")) {
                if (user != null) {
                    throw new MalformedMessageException("the user field appears twice");
                }
                user = field.substring(5);
            } else if (field.startsWith("auth=")) {
                if (token != null) {
                    throw new MalformedMessageException("the auth field appears twice");
                }
                token = bearerToken(field.substring(5));
            } else if (field.isEmpty()) {
                throw new MalformedMessageException("an empty field");
            }
        }
        if (user == null || token == null) {
            throw new MalformedMessageException("the user and auth fields are required");
        }
        if (user.isEmpty()) {
            throw new MalformedMessageException("the user name is empty");
        }
        SaslText.checkLength(user, SaslText.MAX_NAME_BYTES, "user name");
        return backend.checkBearer(user, token);
    }
}
