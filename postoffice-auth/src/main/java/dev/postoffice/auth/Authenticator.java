package dev.postoffice.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks POP3 credentials (USER/PASS and APOP) against a {@link UserDirectory}.
 *
 * <p>Unknown users and wrong passwords give the same {@link AuthResult.Rejected} and cost about the same time:
 * for an unknown user the password is checked against a dummy secret of the {@linkplain
 * PasswordSchemes#DEFAULT_SCHEME default scheme}, computed once per JVM. (Users whose secret uses a cheaper or
 * dearer scheme take correspondingly less or more time.) Empty passwords are always rejected, as is APOP for a
 * user whose cleartext secret is empty. A failing directory gives {@link AuthResult.Unavailable}.
 */
public final class Authenticator implements AuthService {
    private static final int MD5_BYTES = 16;

    /** Holds the dummy secret, computed on first use of the class by {@link #Authenticator}. */
    private static final class Dummy {
        static final String SECRET;
        static final String CLEARTEXT;

        static {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            CLEARTEXT = HexFormat.of().formatHex(random);
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
        boolean matches = PasswordSchemes.verify(password, secret);
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
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(hexDigest, "hexDigest");
        Optional<UserRecord> record;
        try {
            record = directory.find(user);
        } catch (IOException | UncheckedIOException e) {
            return unavailable(e);
        }
        Optional<String> cleartext = record.flatMap(r -> PasswordSchemes.plaintext(r.secret()))
                .filter(s -> !s.isEmpty());
        byte[] expected = md5(timestamp + cleartext.orElse(Dummy.CLEARTEXT));
        Optional<byte[]> given = parseDigest(hexDigest);
        boolean matches = MessageDigest.isEqual(expected, given.orElseGet(() -> new byte[MD5_BYTES]));
        if (matches && given.isPresent() && cleartext.isPresent()) {
            return new AuthResult.Success(record.get().account());
        }
        return new AuthResult.Rejected();
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
