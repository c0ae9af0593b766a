package dev.postoffice.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks credentials of every mechanism against a {@link UserDirectory}, without a cache (see {@link LoginCache}).
 *
 * <p>Unknown users and wrong secrets give the same {@link AuthResult.Rejected} after the same work: an unknown user's
 * password is verified against {@link Decoys#secret()}, of the default scheme (users whose secret uses a cheaper or
 * dearer scheme take correspondingly less or more time), and APOP, CRAM-MD5 and SCRAM use {@link
 * Decoys#cleartext()}. Empty passwords are always rejected, as is APOP and CRAM-MD5 for a user whose cleartext secret
 * is empty. A failing directory gives {@link AuthResult.Unavailable}.
 *
 * <p>Password verification and SCRAM key derivation run on the injected {@link HashExecutor}, except a check against
 * a cheap secret ({@link PasswordSchemes#cheap}: cleartext, one salted digest), done in the caller's thread.
 */
public final class CredentialVerifier implements AuthService {
    private static final Logger log = LoggerFactory.getLogger(CredentialVerifier.class);
    private static final int MD5_BYTES = 16;

    private final UserDirectory directory;
    private final HashExecutor hashing;
    private final Optional<BearerTokenValidator> tokens;
    private final Consumer<String> verifying;

    /** Checks against {@code directory}, hashing on {@code hashing}; no bearer tokens. */
    public CredentialVerifier(UserDirectory directory, HashExecutor hashing) {
        this(directory, hashing, Optional.empty());
    }

    /**
     * Checks against {@code directory}, hashing on {@code hashing}, and bearer tokens with {@code tokens}; computes
     * the decoy hash now if no instance did yet.
     */
    public CredentialVerifier(UserDirectory directory, HashExecutor hashing, Optional<BearerTokenValidator> tokens) {
        this(directory, hashing, tokens, scheme -> { });
    }

    /**
     * For tests: {@code verifying} is told, on the hashing thread, the scheme prefix ({@code {ARGON2ID}}, or
     * {@code ""} for none) of every stored secret a password is verified against.
     */
    CredentialVerifier(UserDirectory directory, HashExecutor hashing, Optional<BearerTokenValidator> tokens,
                       Consumer<String> verifying) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.hashing = Objects.requireNonNull(hashing, "hashing");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.verifying = Objects.requireNonNull(verifying, "verifying");
        Objects.requireNonNull(Decoys.secret());
    }

    /**
     * USER/PASS (and SASL PLAIN and LOGIN): checks {@code password} against the user's stored secret.
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
        return checkPassword(record, password);
    }

    /** The password check of a user already looked up (empty: unknown), with the same work either way. */
    AuthResult checkPassword(Optional<UserRecord> record, String password) {
        String secret = record.map(UserRecord::secret).orElse(Decoys.secret());
        java.util.function.Supplier<Boolean> check = () -> {
            verifying.accept(secret.startsWith("{") ? secret.substring(0, secret.indexOf('}') + 1) : "");
            return PasswordSchemes.verify(password, secret);
        };
        boolean matches;
        try {
            // A digest costs less than the two thread hand-offs of the pool: checked in place (Dovecot's auth
            // process likewise checks cheap schemes itself and hands only the slow ones to its workers).
            matches = PasswordSchemes.cheap(secret) ? check.get() : hashing.run(check);
        } catch (HashExecutor.Refused e) {
            return new AuthResult.Unavailable(e.getMessage());
        }
        if (matches && record.isPresent() && !password.isEmpty()) {
            return new AuthResult.Success(record.get().account());
        }
        return new AuthResult.Rejected();
    }

    /** The directory this verifier looks users up in. */
    UserDirectory directory() {
        return directory;
    }

    /**
     * APOP (RFC 1939): accepts when {@code hexDigest} is the MD5 of {@code timestamp} followed by the user's
     * cleartext secret. Only users whose stored secret is cleartext (PLAIN and its aliases) can use APOP.
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
     * non-empty cleartext secret, compared in constant time.
     *
     * @param challenge the challenge exactly as sent, angle brackets included
     * @param hexDigest 32 hex digits
     */
    @Override
    public AuthResult checkCramMd5(String user, String challenge, String hexDigest) {
        Objects.requireNonNull(challenge, "challenge");
        return checkSharedSecretDigest(user, hexDigest, secret -> hmacMd5(secret, challenge));
    }

    /** APOP and CRAM-MD5: users without a non-empty cleartext secret get the digest of the decoy cleartext. */
    private AuthResult checkSharedSecretDigest(String user, String hexDigest, Function<String, byte[]> digestOf) {
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
        byte[] expected = digestOf.apply(cleartext.orElse(Decoys.cleartext()));
        Optional<byte[]> given = parseDigest(hexDigest);
        boolean matches = MessageDigest.isEqual(expected, given.orElseGet(() -> new byte[MD5_BYTES]));
        if (matches && given.isPresent() && cleartext.isPresent()) {
            return new AuthResult.Success(record.get().account());
        }
        return new AuthResult.Rejected();
    }

    /**
     * SCRAM credentials of {@code user} for {@code scheme}: the stored ones when the user's secret is SCRAM of that
     * hash; for a user with a non-empty cleartext secret, credentials derived from it now, with {@value
     * ScramSecret#DEFAULT_ITERATIONS} iterations and a {@linkplain Decoys#scramSalt derived salt}; otherwise
     * empty. Every call costs one key derivation, whatever the outcome, done on the hashing pool.
     */
    @Override
    public Optional<ScramSecret> scram(String user, String scheme) throws IOException {
        Objects.requireNonNull(user, "user");
        ScramAlgorithm algorithm = ScramAlgorithm.forScheme(Objects.requireNonNull(scheme, "scheme"))
                .orElseThrow(() -> new IllegalArgumentException("Not a SCRAM scheme"));
        Optional<UserRecord> record;
        try {
            record = directory.find(user);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Optional<ScramSecret> stored = record.flatMap(r -> PasswordSchemes.scram(r.secret(), algorithm.scheme));
        Optional<String> cleartext = record.filter(r -> stored.isEmpty())
                .flatMap(r -> PasswordSchemes.plaintext(r.secret()))
                .filter(s -> !s.isEmpty());
        String password = cleartext.orElse(Decoys.cleartext());
        byte[] salt = Decoys.scramSalt(algorithm, user);
        ScramSecret derived;
        try {
            derived = hashing.run(() -> ScramSecret.deriveLeniently(algorithm, password, salt,
                    ScramSecret.DEFAULT_ITERATIONS));
        } catch (HashExecutor.Refused e) {
            throw new IOException(e.getMessage());
        }
        if (stored.isPresent()) {
            return stored;
        }
        return cleartext.map(c -> derived);
    }

    @Override
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

    @Override
    public boolean acceptsBearerTokens() {
        return tokens.isPresent();
    }

    /** Validates the token and looks its user up; an invalid token is logged (its reason, never the token). */
    @Override
    public AuthResult checkBearer(String token) {
        Objects.requireNonNull(token, "token");
        if (tokens.isEmpty()) {
            return new AuthResult.Rejected();
        }
        return switch (tokens.get().validate(token)) {
            case BearerTokenValidator.Result.Valid valid -> authorize(valid.user());
            case BearerTokenValidator.Result.Invalid invalid -> {
                log.info("bearer token refused: {}", invalid.reason());
                yield new AuthResult.Rejected();
            }
            case BearerTokenValidator.Result.Unavailable unavailable -> new AuthResult.Unavailable(unavailable.reason());
        };
    }

    /**
     * The directory's {@link UserDirectory#capabilities()}; {@link DirectoryCapabilities#ALL} when the directory
     * cannot be read now, since logins then fail with {@link AuthResult.Unavailable} anyway.
     */
    @Override
    public DirectoryCapabilities capabilities() {
        try {
            return directory.capabilities();
        } catch (IOException | UncheckedIOException e) {
            return DirectoryCapabilities.ALL;
        }
    }

    static AuthResult unavailable(Exception e) {
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

    private static byte[] hmacMd5(String key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacMD5"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacMD5 is missing from this JRE", e);
        }
    }
}
