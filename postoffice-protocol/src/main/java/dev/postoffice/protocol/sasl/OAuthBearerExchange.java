package dev.postoffice.protocol.sasl;

import java.util.HashSet;
import java.util.Set;

/**
 * OAUTHBEARER (RFC 7628):
 * {@code gs2-header kvsep *(key "=" value kvsep) kvsep}, kvsep being 0x01, with a required
 * {@code auth=Bearer <token>} pair; {@code host}, {@code port} and unknown keys are ignored. On failure the server
 * sends {@code {"status":"invalid_token"}} (or {@code invalid_request} for a malformed message) as a challenge, the
 * client answers with a single 0x01, and the exchange fails.
 */
final class OAuthBearerExchange<P> extends BearerExchange<P> {
    private static final char KVSEP = '\u0001';

    OAuthBearerExchange(SaslBackend<P> backend) {
        super("OAUTHBEARER", backend);
    }

    @Override
    String malformedJson() {
        return "{\"status\":\"invalid_request\"}";
    }

    @Override
    String rejectedJson() {
        return "{\"status\":\"invalid_token\"}";
    }

    @Override
    SaslBackend.Verdict<P> check(byte[] message) throws MalformedMessageException {
        String text = SaslText.utf8WithoutNul(message);
        Gs2Header gs2 = Gs2Header.parse(text, true);
        int i = gs2.text().length();
        if (i >= text.length() || text.charAt(i) != KVSEP) {
            throw new MalformedMessageException("the GS2 header must be followed by 0x01");
        }
        i++;
        String token = null;
        Set<String> keys = new HashSet<>();
        while (true) {
            int end = text.indexOf(KVSEP, i);
            if (end < 0) {
                throw new MalformedMessageException("the message must end with 0x01 0x01");
            }
            if (end == i) {
                if (end != text.length() - 1) {
                    throw new MalformedMessageException("there is data after the final 0x01");
                }
                break;
            }
            String pair = text.substring(i, end);
            int eq = pair.indexOf('=');
            if (eq < 1 || !pair.substring(0, eq).chars().allMatch(OAuthBearerExchange::isAlpha)) {
                throw new MalformedMessageException("an invalid key-value pair");
            }
            String key = pair.substring(0, eq);
            String value = pair.substring(eq + 1);
            if (!value.chars().allMatch(OAuthBearerExchange::isValueChar)) {
                throw new MalformedMessageException("a value has invalid characters");
            }
            if (!keys.add(key)) {
                throw new MalformedMessageException("a key appears twice");
            }
            if (key.equals("auth")) {
                token = bearerToken(value);
            }
            i = end + 1;
        }
        if (token == null) {
            throw new MalformedMessageException("the auth field is missing");
        }
        String user = gs2.authzid().isEmpty() ? "" : SaslText.name(gs2.authzid(), "authorization identity");
        return backend.checkBearer(user, token);
    }

    private static boolean isAlpha(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** RFC 7628 section 3.1: {@code value = *(VCHAR / SP / HTAB / CR / LF)}. */
    private static boolean isValueChar(int c) {
        return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }
}
