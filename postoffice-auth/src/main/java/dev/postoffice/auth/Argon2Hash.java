package dev.postoffice.auth;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2i and Argon2id in the PHC string format libsodium (and so Dovecot) writes:
 * {@code $argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>} with unpadded standard base64.
 */
final class Argon2Hash {
    /** Memory in KiB, iterations and lanes that {@link #encode} uses; the same as {@code doveadm pw -s ARGON2ID}. */
    static final int MEMORY_KIB = 65536;
    static final int ITERATIONS = 3;
    static final int PARALLELISM = 1;
    static final int SALT_BYTES = 16;
    static final int HASH_BYTES = 32;

    private static final int MIN_SALT_BYTES = 8;
    private static final int MIN_HASH_BYTES = 16;
    private static final Pattern FORMAT = Pattern.compile(
            "\\$(argon2id|argon2i)(?:\\$v=(\\d{1,3}))?\\$m=(\\d{1,10}),t=(\\d{1,10}),p=(\\d{1,3})"
                    + "\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

    private Argon2Hash() {}

    /**
     * Checks {@code password} against an encoded hash of either variant, whichever the data names (libsodium's
     * verifier, which Dovecot uses for both ARGON2I and ARGON2ID, does the same). False for malformed data.
     */
    static boolean verify(byte[] password, String encoded) {
        Matcher m = FORMAT.matcher(encoded);
        if (!m.matches()) {
            return false;
        }
        int type = m.group(1).equals("argon2id") ? Argon2Parameters.ARGON2_id : Argon2Parameters.ARGON2_i;
        int version = m.group(2) == null ? Argon2Parameters.ARGON2_VERSION_10 : Integer.parseInt(m.group(2));
        long memory = Long.parseLong(m.group(3));
        long iterations = Long.parseLong(m.group(4));
        int lanes = Integer.parseInt(m.group(5));
        if (version != Argon2Parameters.ARGON2_VERSION_10 && version != Argon2Parameters.ARGON2_VERSION_13) {
            return false;
        }
        if (lanes < 1 || iterations < 1 || iterations > Integer.MAX_VALUE
                || memory < 8L * lanes || memory > Integer.MAX_VALUE) {
            return false;
        }
        byte[] salt;
        byte[] expected;
        try {
            salt = Base64.getDecoder().decode(m.group(6));
            expected = Base64.getDecoder().decode(m.group(7));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (salt.length < MIN_SALT_BYTES || expected.length < MIN_HASH_BYTES) {
            return false;
        }
        return Argon2Memory.HEAP.within(memory, () -> MessageDigest.isEqual(
                derive(type, version, (int) memory, (int) iterations, lanes, salt, password, expected.length), expected));
    }

    /** Hashes {@code password} with Argon2id and the default parameters and a fresh random salt. */
    static String encode(byte[] password, SecureRandom random) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = derive(Argon2Parameters.ARGON2_id, Argon2Parameters.ARGON2_VERSION_13,
                MEMORY_KIB, ITERATIONS, PARALLELISM, salt, password, HASH_BYTES);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM
                + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
    }

    private static byte[] derive(int type, int version, int memory, int iterations, int lanes,
                                 byte[] salt, byte[] password, int length) {
        Argon2Parameters params = new Argon2Parameters.Builder(type)
                .withVersion(version)
                .withMemoryAsKB(memory)
                .withIterations(iterations)
                .withParallelism(lanes)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[length];
        generator.generateBytes(password, out);
        return out;
    }
}
