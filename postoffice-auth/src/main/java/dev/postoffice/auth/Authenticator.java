package dev.postoffice.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * Checks POP3 credentials (USER/PASS, APOP, and for SASL: passwords, CRAM-MD5 and SCRAM credentials) against a
 * {@link UserDirectory}.
 *
 * <p>Unknown users and wrong passwords give the same {@link AuthResult.Rejected} and cost about the same time:
 * for an unknown user the password is checked against a dummy secret of the {@linkplain
 * PasswordSchemes#DEFAULT_SCHEME default scheme}, computed once per JVM. (Users whose secret uses a cheaper or
 * dearer scheme take correspondingly less or more time.) Empty passwords are always rejected, as is APOP and
 * CRAM-MD5 for a user whose cleartext secret is empty. A failing directory gives {@link AuthResult.Unavailable}.
 */
public final class Authenticator implements AuthService {
    private static final int MD5_BYTES = 16;

    /**
     * Holds the dummy secret, computed on first use of the class by {@link #Authenticator}, and the per-process key
     * that cleartext users' SCRAM salts are derived from.
     */
    private static final class Dummy {
        static final String SECRET;
        static final String CLEARTEXT;
        static final byte[] SALT_KEY = new byte[32];

        static {
            SecureRandom random = new SecureRandom();
            byte[] bytes = new byte[24];
            random.nextBytes(bytes);
            random.nextBytes(SALT_KEY);
            CLEARTEXT = HexFormat.of().formatHex(bytes);
            SECRET = PasswordSchemes.encode(PasswordSchemes.DEFAULT_SCHEME, CLEARTEXT);
        }
    }

    private final UserDirectory directory;

    /** Authenticates against {@code directory}; computes the dummy secret now if this is the first instance. */
    public Authenticator(UserDirectory directory) {
        this.directory = Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(Dummy.SECRET);
    }

    /**
     * USER/PASS: checks {@code password} against the user's stored secret.
     *
     * @return {@link AuthResult.Success} with the user's account, {@link AuthResult.Rejected} for an unknown user,
     *         a wrong or empty password, or {@link AuthResult.Unavailable} if the directory failed
     */
    @Override
    public AuthResult checkPassword(String user, String password) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Optional<UserRecord> record;
        try {
            record = directory.find(user);
        } catch (IOException | UncheckedIOException e) {
            return unavailable(e);
        }
        String secret = record.map(UserRecord::secret).orElse(Dummy.SECRET);
        boolean matches = verifyBounded(password, secret);
        if (matches && record.isPresent() && !password.isEmpty()) {
            return new AuthResult.Success(record.get().account());
        }
        return new AuthResult.Rejected();
    }

    /**
     * APOP (RFC 1939): accepts when {@code hexDigest} is the MD5 of {@code timestamp} followed by the user's
     * cleartext secret. Only users whose stored secret is cleartext (PLAIN and its aliases) can use APOP; for
     * everyone else, and for unknown users, the result is {@link AuthResult.Rejected} after the same work.
     *
     * @param timestamp the greeting's timestamp exactly as sent, angle brackets included
     * @param hexDigest 32 hex digits (RFC 1939 says lower case; upper case is accepted too)
     */
    @Override
    public AuthResult checkApop(String user, String timestamp, String hexDigest) {
        Objects.requireNonNull(timestamp, "timestamp");
        return checkSharedSecretDigest(user, hexDigest, secret -> md5(timestamp + secret));
    }

    /**
     * CRAM-MD5 (RFC 2195): accepts when {@code hexDigest} is the HMAC-MD5 of {@code challenge} keyed with the user's
     * cleartext secret, compared in constant time. As with APOP, only users with a non-empty cleartext secret can
     * succeed; everyone else, unknown users included, is {@link AuthResult.Rejected} after the same work.
     *
     * @param challenge the challenge exactly as sent, angle brackets included
     * @param hexDigest 32 hex digits
     */
    public AuthResult checkCramMd5(String user, String challenge, String hexDigest) {
        Objects.requireNonNull(challenge, "challenge");
        return checkSharedSecretDigest(user, hexDigest, secret -> hmacMd5(secret, challenge));
    }

    /**
     * APOP and CRAM-MD5: the client proves knowledge of the cleartext secret with a 16-octet digest. Users
     * without a non-empty cleartext secret, and unknown users, are rejected after computing the digest of a
     * dummy secret, so the work is the same.
     */
    private AuthResult checkSharedSecretDigest(String user, String hexDigest,
                                               java.util.function.Function<String, byte[]> digestOfSecret) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(hexDigest, "hexDigest");
        Optional<UserRecord> record;
        try {
            record = directory.find(user);
        } catch (IOException | UncheckedIOException e) {
            return unavailable(e);
        }
        Optional<String> cleartext = record.flatMap(r -> PasswordSchemes.plaintext(r.secret()))
                .filter(s -> !s.isEmpty());
        byte[] expected = digestOfSecret.apply(cleartext.orElse(Dummy.CLEARTEXT));
        Optional<byte[]> given = parseDigest(hexDigest);
        boolean matches = MessageDigest.isEqual(expected, given.orElseGet(() -> new byte[MD5_BYTES]));
        if (matches && given.isPresent() && cleartext.isPresent()) {
            return new AuthResult.Success(record.get().account());
        }
        return new AuthResult.Rejected();
    }

    /**
     * SCRAM credentials of {@code user} for {@code scheme}: the stored ones when the user's secret is SCRAM of that
     * hash; for a user with a non-empty cleartext secret, credentials derived from it now, with
     * {@value ScramSecret#DEFAULT_ITERATIONS} iterations and a salt derived from a per-process random key and the
     * user name (so it is stable while the process runs); otherwise (unknown user, other scheme) empty. Every call
     * costs one key derivation of {@value ScramSecret#DEFAULT_ITERATIONS} iterations, whatever the outcome.
     *
     * @param scheme {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256}, case-insensitive
     * @throws IOException              if the directory cannot be read
     * @throws IllegalArgumentException if {@code scheme} is not a SCRAM scheme
     */
    public Optional<ScramSecret> scram(String user, String scheme) throws IOException {
        Objects.requireNonNull(user, "user");
        ScramAlgorithm algorithm = ScramAlgorithm.forScheme(Objects.requireNonNull(scheme, "scheme"))
                .orElseThrow(() -> new IllegalArgumentException("Not a SCRAM scheme"));
        Optional<UserRecord> record = find(user);
        Optional<ScramSecret> stored = record.flatMap(r -> PasswordSchemes.scram(r.secret(), algorithm.scheme));
        Optional<String> cleartext = record.filter(r -> stored.isEmpty())
                .flatMap(r -> PasswordSchemes.plaintext(r.secret()))
                .filter(s -> !s.isEmpty());
        ScramSecret derived = ScramSecret.deriveLeniently(algorithm, cleartext.orElse(Dummy.CLEARTEXT),
                derivedSalt(algorithm, user), ScramSecret.DEFAULT_ITERATIONS);
        if (stored.isPresent()) {
            return stored;
        }
        return cleartext.map(c -> derived);
    }

    /**
     * The account of a user who authenticated by other means: a verified SCRAM proof, a validated bearer token,
     * or an authorization identity a master user asked for.
     *
     * @return {@link AuthResult.Success}, {@link AuthResult.Rejected} for an unknown user, or
     *         {@link AuthResult.Unavailable}
     */
    public AuthResult authorize(String user) {
        Objects.requireNonNull(user, "user");
        try {
            return directory.find(user)
                    .<AuthResult>map(r -> new AuthResult.Success(r.account()))
                    .orElseGet(AuthResult.Rejected::new);
        } catch (IOException | UncheckedIOException e) {
            return unavailable(e);
        }
    }

    /**
     * What the directory's users can use ({@link UserDirectory#capabilities()}); {@link DirectoryCapabilities#ALL}
     * when the directory cannot be read now, since logins then fail with {@link AuthResult.Unavailable} anyway.
     */
    public DirectoryCapabilities capabilities() {
        try {
            return directory.capabilities();
        } catch (IOException | UncheckedIOException e) {
            return DirectoryCapabilities.ALL;
        }
    }

    private Optional<UserRecord> find(String user) throws IOException {
        try {
            return directory.find(user);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static byte[] derivedSalt(ScramAlgorithm algorithm, String user) {
        byte[] input = (algorithm.scheme + "\0" + user).getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(ScramAlgorithm.SHA_256.hmac(Dummy.SALT_KEY, input), ScramSecret.SALT_BYTES);
    }

    private static byte[] hmacMd5(String key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacMD5"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacMD5 is missing from this JRE", e);
        }
    }

    /**
     * Password hashing is deliberately expensive: one ARGON2ID verification takes 64 MiB of heap and a
     * core for a quarter of a second. At most this many run at once in the process, so a burst of logins
     * queues instead of exhausting memory.
     */
    static final int MAX_CONCURRENT_VERIFICATIONS = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static final Semaphore VERIFICATIONS = new Semaphore(MAX_CONCURRENT_VERIFICATIONS, true);

    /** The schemes of the secrets verified so far, in order; for tests that check the work is the same. */
    static final java.util.Queue<String> VERIFIED_SCHEMES = new java.util.concurrent.ConcurrentLinkedQueue<>();
    static volatile boolean recordSchemes;

    private static boolean verifyBounded(String password, String secret) {
        if (recordSchemes) {
            VERIFIED_SCHEMES.add(secret.startsWith("{") ? secret.substring(0, secret.indexOf('}') + 1) : "");
        }
        VERIFICATIONS.acquireUninterruptibly();
        try {
            return PasswordSchemes.verify(password, secret);
        } finally {
            VERIFICATIONS.release();
        }
    }

    private static AuthResult unavailable(Exception e) {
        return new AuthResult.Unavailable("user directory failed: " + e);
    }

    /** The digest's bytes; empty unless it is exactly 32 hex digits. */
    private static Optional<byte[]> parseDigest(String hex) {
        if (hex.length() != 2 * MD5_BYTES) {
            return Optional.empty();
        }
        try {
            return Optional.of(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static byte[] md5(String s) {
        try {
            return MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JRE", e);
        }
    }
}
