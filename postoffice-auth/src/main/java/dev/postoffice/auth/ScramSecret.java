package dev.postoffice.auth;

import com.ibm.icu.text.StringPrep;
import com.ibm.icu.text.StringPrepParseException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * SCRAM credentials (RFC 5802 section 3): what a server keeps instead of the password, and all a SCRAM exchange
 * needs. Stored as Dovecot writes them: {@code {SCRAM-SHA-256}iterations,salt,StoredKey,ServerKey} with the
 * binary values in base64.
 *
 * @param scheme     {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256}
 * @param iterations the PBKDF2 iteration count
 * @param salt       the salt
 * @param storedKey  H(HMAC(SaltedPassword, "Client Key"))
 * @param serverKey  HMAC(SaltedPassword, "Server Key")
 */
public record ScramSecret(String scheme, int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
    /** The iteration count written and derived: Dovecot's, and RFC 7677's minimum recommendation. */
    public static final int DEFAULT_ITERATIONS = 4096;
    /** The salt length written and derived, as Dovecot's. */
    public static final int SALT_BYTES = 16;
    /** Dovecot refuses smaller iteration counts. */
    static final int MIN_ITERATIONS = 4096;

    private static final StringPrep SASLPREP = StringPrep.getInstance(StringPrep.RFC4013_SASLPREP);

    public ScramSecret {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(storedKey, "storedKey");
        Objects.requireNonNull(serverKey, "serverKey");
    }

    /**
     * Derives credentials from a password, prepared with SASLprep as RFC 5802's Normalize() asks (unassigned code
     * points are let through, so that passwords that preparation leaves unchanged need no Unicode version
     * agreement with the client).
     *
     * @throws IllegalArgumentException if SASLprep prohibits a character of the password
     */
    static ScramSecret derive(ScramAlgorithm algorithm, String password, byte[] salt, int iterations) {
        String normalized = normalize(password)
                .orElseThrow(() -> new IllegalArgumentException(
                        "Password contains characters SASLprep prohibits, which SCRAM cannot use"));
        return deriveFromBytes(algorithm, normalized.getBytes(StandardCharsets.UTF_8), salt, iterations);
    }

    /** As {@link #derive}, but with a password whose preparation fails taken as its raw UTF-8. */
    static ScramSecret deriveLeniently(ScramAlgorithm algorithm, String password, byte[] salt, int iterations) {
        String normalized = normalize(password).orElse(password);
        return deriveFromBytes(algorithm, normalized.getBytes(StandardCharsets.UTF_8), salt, iterations);
    }

    private static ScramSecret deriveFromBytes(ScramAlgorithm algorithm, byte[] password, byte[] salt, int iterations) {
        byte[] salted = algorithm.saltedPassword(password, salt, iterations);
        return new ScramSecret(algorithm.scheme, iterations, salt.clone(), algorithm.storedKey(salted),
                algorithm.serverKey(salted));
    }

    /** SASLprep of a password (RFC 4013), query variant; empty when a prohibited character makes it fail. */
    static Optional<String> normalize(String password) {
        try {
            return Optional.of(SASLPREP.prepare(password, StringPrep.ALLOW_UNASSIGNED));
        } catch (StringPrepParseException e) {
            return Optional.empty();
        }
    }

    /**
     * Parses Dovecot's data after the {@code {SCRAM-...}} prefix.
     *
     * @return empty unless there are exactly four fields, at least {@value #MIN_ITERATIONS} iterations (as Dovecot
     *         requires), a non-empty salt and keys of the hash's length
     */
    static Optional<ScramSecret> parse(ScramAlgorithm algorithm, String data) {
        String[] fields = data.split(",", -1);
        if (fields.length != 4) {
            return Optional.empty();
        }
        try {
            int iterations = Integer.parseInt(fields[0]);
            Base64.Decoder b64 = Base64.getDecoder();
            byte[] salt = b64.decode(fields[1]);
            byte[] storedKey = b64.decode(fields[2]);
            byte[] serverKey = b64.decode(fields[3]);
            if (iterations < MIN_ITERATIONS || salt.length == 0
                    || storedKey.length != algorithm.length || serverKey.length != algorithm.length) {
                return Optional.empty();
            }
            return Optional.of(new ScramSecret(algorithm.scheme, iterations, salt, storedKey, serverKey));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Dovecot's stored form, {@code {SCHEME}iterations,salt,StoredKey,ServerKey}. */
    String encode() {
        Base64.Encoder b64 = Base64.getEncoder();
        return "{" + scheme + "}" + iterations + "," + b64.encodeToString(salt) + ","
                + b64.encodeToString(storedKey) + "," + b64.encodeToString(serverKey);
    }

    /**
     * Whether {@code password} gives this StoredKey (compared in constant time). The SASLprep'ed password is tried
     * first; when preparation changes or refuses the password, its raw UTF-8 is tried too, since Dovecot writes
     * SCRAM secrets without preparing the password.
     */
    boolean matches(String password) {
        ScramAlgorithm algorithm = ScramAlgorithm.forScheme(scheme).orElseThrow();
        Optional<String> normalized = normalize(password);
        if (normalized.isPresent() && matchesBytes(algorithm, normalized.get().getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        return !normalized.equals(Optional.of(password))
                && matchesBytes(algorithm, password.getBytes(StandardCharsets.UTF_8));
    }

    private boolean matchesBytes(ScramAlgorithm algorithm, byte[] password) {
        byte[] salted = algorithm.saltedPassword(password, salt, iterations);
        return MessageDigest.isEqual(algorithm.storedKey(salted), storedKey);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramSecret other && scheme.equals(other.scheme) && iterations == other.iterations
                && Arrays.equals(salt, other.salt) && Arrays.equals(storedKey, other.storedKey)
                && Arrays.equals(serverKey, other.serverKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheme, iterations, Arrays.hashCode(salt), Arrays.hashCode(storedKey),
                Arrays.hashCode(serverKey));
    }

    /** Scheme and iteration count only: the keys are password equivalents for SCRAM. */
    @Override
    public String toString() {
        return "ScramSecret[" + scheme + ", " + iterations + " iterations]";
    }
}
