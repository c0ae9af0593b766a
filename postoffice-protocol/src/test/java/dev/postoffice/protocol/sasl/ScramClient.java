package dev.postoffice.protocol.sasl;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The client side of SCRAM (RFC 5802 section 3), enough to drive the server through a whole exchange. */
final class ScramClient {
    private final SaslBackend.ScramHash hash;
    private final String password;
    private final String gs2Header;
    private final String clientFirstBare;
    private byte[] saltedPassword;
    private String authMessage;

    ScramClient(SaslBackend.ScramHash hash, String gs2Header, String escapedUser, String password, String clientNonce) {
        this.hash = hash;
        this.password = password;
        this.gs2Header = gs2Header;
        this.clientFirstBare = "n=" + escapedUser + ",r=" + clientNonce;
    }

    String clientFirst() {
        return gs2Header + clientFirstBare;
    }

    /** The client-final message for {@code serverFirst}. */
    String clientFinal(String serverFirst) {
        String nonce = attribute(serverFirst, "r");
        byte[] salt = Base64.getDecoder().decode(attribute(serverFirst, "s"));
        int iterations = Integer.parseInt(attribute(serverFirst, "i"));
        saltedPassword = Crypto.hi(hash, password, salt, iterations);
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8))
                + ",r=" + nonce;
        authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] clientKey = Crypto.hmac(hash.hmac, saltedPassword, Crypto.ascii("Client Key"));
        byte[] storedKey = Crypto.hash(hash.digest, clientKey);
        byte[] signature = Crypto.hmac(hash.hmac, storedKey, authMessage.getBytes(StandardCharsets.UTF_8));
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
    }

    /** The server-final message a server that knows the password sends. */
    String expectedServerFinal() {
        byte[] serverKey = Crypto.hmac(hash.hmac, saltedPassword, Crypto.ascii("Server Key"));
        return "v=" + Base64.getEncoder().encodeToString(
                Crypto.hmac(hash.hmac, serverKey, authMessage.getBytes(StandardCharsets.UTF_8)));
    }

    static String attribute(String message, String name) {
        for (String a : message.split(",")) {
            if (a.startsWith(name + "=")) {
                return a.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + "= in " + message);
    }
}
