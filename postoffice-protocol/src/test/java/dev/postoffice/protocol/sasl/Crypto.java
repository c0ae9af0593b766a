package dev.postoffice.protocol.sasl;

import dev.postoffice.testkit.ScramClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The SCRAM and HMAC arithmetic of RFC 5802 section 3, written out independently of the code under test. */
final class Crypto {
    private Crypto() {}

    static byte[] hmac(String algorithm, byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] hash(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** Hi(str, salt, i) of RFC 5802 section 2.2, which is PBKDF2 with HMAC as the PRF. */
    static byte[] hi(SaslBackend.ScramHash hash, String password, byte[] salt, int iterations) {
        return ScramClient.hi(hash.hmac, password, salt, iterations);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static SaslBackend.ScramCredentials scramCredentials(SaslBackend.ScramHash hash, String password, byte[] salt,
            int iterations) {
        byte[] salted = hi(hash, password, salt, iterations);
        byte[] clientKey = hmac(hash.hmac, salted, ascii("Client Key"));
        byte[] serverKey = hmac(hash.hmac, salted, ascii("Server Key"));
        return new SaslBackend.ScramCredentials(salt, iterations, hash(hash.digest, clientKey), serverKey);
    }
}
