package dev.postoffice.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/** Dovecot's SSHA, SSHA256 and SSHA512: the stored bytes are {@code digest(password || salt) || salt}. */
enum SaltedDigest {
    SSHA("SHA-1", 20),
    SSHA256("SHA-256", 32),
    SSHA512("SHA-512", 64);

    private final String algorithm;
    private final int digestLength;

    SaltedDigest(String algorithm, int digestLength) {
        this.algorithm = algorithm;
        this.digestLength = digestLength;
    }

    /** Checks {@code password} against the decoded stored bytes; false when there is no salt after the digest. */
    boolean verify(byte[] password, byte[] stored) {
        if (stored.length <= digestLength) {
            return false;
        }
        MessageDigest md = newDigest();
        md.update(password);
        md.update(stored, digestLength, stored.length - digestLength);
        return MessageDigest.isEqual(md.digest(), Arrays.copyOf(stored, digestLength));
    }

    private MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JRE", e);
        }
    }
}
