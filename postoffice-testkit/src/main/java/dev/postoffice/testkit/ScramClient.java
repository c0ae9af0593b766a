package dev.postoffice.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of SCRAM (RFC 5802 section 3), written out independently of the server's code: either
 * message by message ({@link #clientFirst}, {@link #clientFinal}, {@link #expectedServerFinal}) to drive a
 * SASL exchange directly, or as a whole POP3 {@code AUTH} ({@link #login}).
 */
public final class ScramClient {
    private final String hmac;
    private final String digest;
    private final String password;
    private final String gs2Header;
    private final String clientFirstBare;
    private byte[] saltedPassword;
    private String authMessage;

    /**
     * @param mechanism    {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256}
     * @param gs2Header    e.g. {@code n,,} or {@code n,a=admin,}
     * @param escapedUser  the user name as the client-first message carries it ({@code =2C}, {@code =3D})
     * @param password     used as is, without SASLprep
     * @param clientNonce  the client's part of the nonce
     */
    public ScramClient(String mechanism, String gs2Header, String escapedUser, String password, String clientNonce) {
        switch (mechanism) {
            case "SCRAM-SHA-1" -> {
                hmac = "HmacSHA1";
                digest = "SHA-1";
            }
            case "SCRAM-SHA-256" -> {
                hmac = "HmacSHA256";
                digest = "SHA-256";
            }
            default -> throw new IllegalArgumentException("not a SCRAM mechanism this client knows: " + mechanism);
        }
        this.password = password;
        this.gs2Header = gs2Header;
        this.clientFirstBare = "n=" + escapedUser + ",r=" + clientNonce;
    }

    /** A fresh random client nonce: 18 random octets in base64. */
    public static String randomNonce() {
        byte[] nonce = new byte[18];
        new SecureRandom().nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    public String clientFirst() {
        return gs2Header + clientFirstBare;
    }

    /** The client-final message for {@code serverFirst}. */
    public String clientFinal(String serverFirst) {
        String nonce = attribute(serverFirst, "r");
        byte[] salt = Base64.getDecoder().decode(attribute(serverFirst, "s"));
        int iterations = Integer.parseInt(attribute(serverFirst, "i"));
        saltedPassword = hi(hmac, password, salt, iterations);
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8))
                + ",r=" + nonce;
        authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] clientKey = hmac(hmac, saltedPassword, ascii("Client Key"));
        byte[] storedKey = hash(digest, clientKey);
        byte[] signature = hmac(hmac, storedKey, authMessage.getBytes(StandardCharsets.UTF_8));
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
    }

    /** The server-final message a server that knows the password sends (after {@link #clientFinal}). */
    public String expectedServerFinal() {
        byte[] serverKey = hmac(hmac, saltedPassword, ascii("Server Key"));
        return "v=" + Base64.getEncoder().encodeToString(
                hmac(hmac, serverKey, authMessage.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Runs {@code AUTH mechanism} with a random nonce, no authzid and {@code user} as is, and returns the
     * server's final status line; returns early the first line that is not a {@code +} continuation, and throws
     * {@link AssertionError} if the server's signature is wrong.
     */
    public static String login(RawClient c, String mechanism, String user, String password) throws IOException {
        ScramClient client = new ScramClient(mechanism, "n,,", user, password, randomNonce());
        String first = c.cmd("AUTH " + mechanism + " " + b64(client.clientFirst()));
        if (!first.startsWith("+ ")) {
            return first;
        }
        String serverFirst = new String(Base64.getDecoder().decode(first.substring(2)), StandardCharsets.UTF_8);
        String finalResponse = c.cmd(b64(client.clientFinal(serverFirst)));
        if (!finalResponse.startsWith("+ ")) {
            return finalResponse;
        }
        String serverFinal = new String(Base64.getDecoder().decode(finalResponse.substring(2)), StandardCharsets.UTF_8);
        if (!serverFinal.equals(client.expectedServerFinal())) {
            throw new AssertionError("server signature wrong: " + serverFinal);
        }
        return c.cmd("");
    }

    /** The value of attribute {@code name} in a SCRAM message; fails the test if there is none. */
    public static String attribute(String message, String name) {
        for (String a : message.split(",")) {
            if (a.startsWith(name + "=")) {
                return a.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + "= in " + message);
    }

    /**
     * Hi(str, salt, i) of RFC 5802 section 2.2 (PBKDF2 with HMAC as the PRF, one block) over the UTF-8 octets
     * of {@code password}, written out rather than taken from the JCA's PBKDF2.
     *
     * @param hmac the JCA {@link Mac} name, e.g. {@code HmacSHA256}
     */
    public static byte[] hi(String hmac, String password, byte[] salt, int iterations) {
        byte[] key = password.getBytes(StandardCharsets.UTF_8);
        byte[] block = new byte[salt.length + 4];
        System.arraycopy(salt, 0, block, 0, salt.length);
        block[block.length - 1] = 1;
        byte[] u = hmac(hmac, key, block);
        byte[] result = u.clone();
        for (int i = 1; i < iterations; i++) {
            u = hmac(hmac, key, u);
            for (int j = 0; j < result.length; j++) {
                result[j] ^= u[j];
            }
        }
        return result;
    }

    private static byte[] hmac(String algorithm, byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] hash(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
