package dev.postoffice.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The hash functions of SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), and their key derivation. */
enum ScramAlgorithm {
    SHA_1("SCRAM-SHA-1", "SHA-1", "HmacSHA1", 20),
    SHA_256("SCRAM-SHA-256", "SHA-256", "HmacSHA256", 32);

    /** The password scheme and SASL mechanism name. */
    final String scheme;
    private final String digest;
    private final String hmac;
    /** Output length of H() and HMAC() in bytes. */
    final int length;

    ScramAlgorithm(String scheme, String digest, String hmac, int length) {
        this.scheme = scheme;
        this.digest = digest;
        this.hmac = hmac;
        this.length = length;
    }

    /** The algorithm of a scheme name (case-insensitive). */
    static Optional<ScramAlgorithm> forScheme(String scheme) {
        String name = scheme.toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(a -> a.scheme.equals(name)).findFirst();
    }

    /** SaltedPassword = Hi(password, salt, i), RFC 5802 section 3: PBKDF2 with HMAC as the PRF, one block. */
    byte[] saltedPassword(byte[] password, byte[] salt, int iterations) {
        Mac mac = mac(password);
        mac.update(salt);
        mac.update(new byte[] {0, 0, 0, 1});
        byte[] u = mac.doFinal();
        byte[] result = u.clone();
        for (int i = 1; i < iterations; i++) {
            u = mac.doFinal(u);
            for (int j = 0; j < result.length; j++) {
                result[j] ^= u[j];
            }
        }
        return result;
    }

    /** ClientKey = HMAC(SaltedPassword, "Client Key"); StoredKey = H(ClientKey). */
    byte[] storedKey(byte[] saltedPassword) {
        byte[] clientKey = mac(saltedPassword).doFinal("Client Key".getBytes(StandardCharsets.US_ASCII));
        return hash(clientKey);
    }

    /** ServerKey = HMAC(SaltedPassword, "Server Key"). */
    byte[] serverKey(byte[] saltedPassword) {
        return mac(saltedPassword).doFinal("Server Key".getBytes(StandardCharsets.US_ASCII));
    }

    /** HMAC keyed with {@code key}, for deriving values from a secret key. */
    byte[] hmac(byte[] key, byte[] data) {
        return mac(key).doFinal(data);
    }

    private byte[] hash(byte[] data) {
        try {
            return MessageDigest.getInstance(digest).digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(digest + " is missing from this JRE", e);
        }
    }

    private Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance(hmac);
            // SecretKeySpec refuses an empty key; HMAC pads keys with zeros, so one zero byte is the same key.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, hmac));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hmac + " is missing from this JRE", e);
        }
    }
}
