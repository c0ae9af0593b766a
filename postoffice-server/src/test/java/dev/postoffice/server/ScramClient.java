package dev.postoffice.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/** The client side of SCRAM (RFC 5802) over POP3 AUTH, for tests. */
final class ScramClient {
    private ScramClient() {}

    /** Runs the exchange and returns the server's final status line. */
    static String login(RawClient c, String mechanism, String user, String password) throws Exception {
        boolean sha256 = mechanism.endsWith("256");
        String hmac = sha256 ? "HmacSHA256" : "HmacSHA1";
        String digest = sha256 ? "SHA-256" : "SHA-1";
        byte[] nonceBytes = new byte[18];
        new SecureRandom().nextBytes(nonceBytes);
        String cnonce = Base64.getEncoder().encodeToString(nonceBytes);
        String clientFirstBare = "n=" + user + ",r=" + cnonce;
        String first = c.cmd("AUTH " + mechanism + " " + b64("n,," + clientFirstBare));
        if (!first.startsWith("+ ")) {
            return first;
        }
        String serverFirst = new String(Base64.getDecoder().decode(first.substring(2)), StandardCharsets.UTF_8);
        String nonce = attr(serverFirst, 'r');
        byte[] salt = Base64.getDecoder().decode(attr(serverFirst, 's'));
        int iterations = Integer.parseInt(attr(serverFirst, 'i'));
        SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmac" + (sha256 ? "SHA256" : "SHA1"));
        byte[] salted = f.generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations,
                sha256 ? 256 : 160)).getEncoded();
        byte[] clientKey = mac(hmac, salted, "Client Key");
        byte[] storedKey = MessageDigest.getInstance(digest).digest(clientKey);
        String withoutProof = "c=" + b64("n,,") + ",r=" + nonce;
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] signature = mac(hmac, storedKey, authMessage);
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        String finalResponse = c.cmd(b64(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)));
        if (!finalResponse.startsWith("+ ")) {
            return finalResponse;
        }
        String serverFinal = new String(Base64.getDecoder().decode(finalResponse.substring(2)), StandardCharsets.UTF_8);
        byte[] serverKey = mac(hmac, salted, "Server Key");
        String expected = "v=" + Base64.getEncoder().encodeToString(mac(hmac, serverKey, authMessage));
        if (!serverFinal.equals(expected)) {
            throw new AssertionError("server signature wrong: " + serverFinal);
        }
        return c.cmd("");
    }

    private static byte[] mac(String alg, byte[] key, String text) throws Exception {
        Mac m = Mac.getInstance(alg);
        m.init(new SecretKeySpec(key, alg));
        return m.doFinal(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String attr(String message, char name) {
        for (String part : message.split(",")) {
            if (part.length() > 1 && part.charAt(0) == name && part.charAt(1) == '=') {
                return part.substring(2);
            }
        }
        throw new AssertionError("no " + name + " in " + message);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
