package dev.postoffice.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Dovecot-compatible password schemes: secrets are stored as {@code {SCHEME}data}, e.g.
 * {@code {ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$...}, exactly as {@code doveadm pw} writes them.
 *
 * <p>Verified schemes (names are case-insensitive): ARGON2ID, ARGON2I; BLF-CRYPT, SHA512-CRYPT, SHA256-CRYPT,
 * MD5-CRYPT, DES-CRYPT and CRYPT, which like Dovecot all go through crypt(3)-style {@code $id$} detection
 * (a secret without a {@code {SCHEME}} prefix is CRYPT, Dovecot's passwd-file default); PLAIN, CLEAR and
 * CLEARTEXT; SSHA, SSHA256, SSHA512; SCRAM-SHA-1 and SCRAM-SHA-256 ({@code iterations,salt,StoredKey,ServerKey}
 * in base64, see {@link ScramSecret}). PLAIN-style and SSHA-style schemes take Dovecot's encoding suffixes
 * {@code .B64}, {@code .BASE64} and {@code .HEX} (SSHA defaults to base64, PLAIN to none).
 *
 * <p>Passwords are hashed as UTF-8. Derived values are compared in constant time. Nothing here logs.
 */
public final class PasswordSchemes {
    /** The scheme {@link #encode} callers should use unless told otherwise. */
    public static final String DEFAULT_SCHEME = "ARGON2ID";

    private static final Set<String> ENCODABLE = Collections.unmodifiableSet(new LinkedHashSet<>(
            List.of("ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-1")));

    private static final SecureRandom RANDOM = new SecureRandom();

    /** How a scheme's data is checked. */
    private enum Kind { CLEARTEXT, CRYPT, ARGON2, SALTED_DIGEST, SCRAM }

    /**
     * One verifiable scheme name.
     *
     * @param encoding the default encoding for raw-byte schemes, which also allows a suffix; null for schemes
     *                 whose data is text (crypt, Argon2) and takes no suffix
     * @param digest   the digest for {@link Kind#SALTED_DIGEST}, else null
     * @param scram    the algorithm for {@link Kind#SCRAM}, else null
     */
    private record Scheme(Kind kind, SecretEncoding encoding, SaltedDigest digest, ScramAlgorithm scram) {
        Scheme(Kind kind, SecretEncoding encoding, SaltedDigest digest) {
            this(kind, encoding, digest, null);
        }
    }

    private static final Map<String, Scheme> SCHEMES = Map.ofEntries(
            Map.entry("PLAIN", new Scheme(Kind.CLEARTEXT, SecretEncoding.NONE, null)),
            Map.entry("CLEAR", new Scheme(Kind.CLEARTEXT, SecretEncoding.NONE, null)),
            Map.entry("CLEARTEXT", new Scheme(Kind.CLEARTEXT, SecretEncoding.NONE, null)),
            Map.entry("CRYPT", new Scheme(Kind.CRYPT, null, null)),
            Map.entry("DES-CRYPT", new Scheme(Kind.CRYPT, null, null)),
            Map.entry("MD5-CRYPT", new Scheme(Kind.CRYPT, null, null)),
            Map.entry("SHA256-CRYPT", new Scheme(Kind.CRYPT, null, null)),
            Map.entry("SHA512-CRYPT", new Scheme(Kind.CRYPT, null, null)),
            Map.entry("BLF-CRYPT", new Scheme(Kind.CRYPT, null, null)),
            Map.entry("ARGON2I", new Scheme(Kind.ARGON2, null, null)),
            Map.entry("ARGON2ID", new Scheme(Kind.ARGON2, null, null)),
            Map.entry("SSHA", new Scheme(Kind.SALTED_DIGEST, SecretEncoding.BASE64, SaltedDigest.SSHA)),
            Map.entry("SSHA256", new Scheme(Kind.SALTED_DIGEST, SecretEncoding.BASE64, SaltedDigest.SSHA256)),
            Map.entry("SSHA512", new Scheme(Kind.SALTED_DIGEST, SecretEncoding.BASE64, SaltedDigest.SSHA512)),
            Map.entry("SCRAM-SHA-1", new Scheme(Kind.SCRAM, null, null, ScramAlgorithm.SHA_1)),
            Map.entry("SCRAM-SHA-256", new Scheme(Kind.SCRAM, null, null, ScramAlgorithm.SHA_256)));

    /** A stored secret split into its scheme, the encoding its suffix selects, and the data after the prefix. */
    private record Parsed(Scheme scheme, SecretEncoding encoding, String data) {}

    private PasswordSchemes() {}

    /**
     * Checks a password against a stored secret.
     *
     * @param password     the password as typed (hashed as UTF-8)
     * @param storedSecret {@code {SCHEME}data}, or crypt(3) data without a prefix
     * @return true when the password matches; false when it does not, when the scheme is unknown, when the data is
     *         malformed, or when either argument is null. Never throws.
     */
    public static boolean verify(String password, String storedSecret) {
        if (password == null || storedSecret == null) {
            return false;
        }
        try {
            Optional<Parsed> parsed = parse(storedSecret);
            if (parsed.isEmpty()) {
                return false;
            }
            Parsed p = parsed.get();
            byte[] pw = password.getBytes(StandardCharsets.UTF_8);
            return switch (p.scheme().kind()) {
                case CRYPT -> CryptHash.verify(pw, p.data());
                case ARGON2 -> Argon2Hash.verify(pw, p.data());
                case CLEARTEXT -> p.encoding().decode(p.data())
                        .map(stored -> MessageDigest.isEqual(pw, stored))
                        .orElse(false);
                case SALTED_DIGEST -> p.encoding().decode(p.data())
                        .map(stored -> p.scheme().digest().verify(pw, stored))
                        .orElse(false);
                case SCRAM -> ScramSecret.parse(p.scheme().scram(), p.data())
                        .map(stored -> stored.matches(password))
                        .orElse(false);
            };
        } catch (RuntimeException e) {
            // The primitives reject some malformed inputs by throwing; for the caller that is just "no match".
            return false;
        }
    }

    /**
     * Hashes a password for storage.
     *
     * <ul>
     *   <li>ARGON2ID: m=65536 KiB, t=3, p=1, 16-byte random salt, 32-byte hash, as {@code doveadm pw} writes.</li>
     *   <li>BLF-CRYPT: {@code $2y$}, cost 10 (Dovecot's own default of 5 is too cheap); only the first
     *       72 bytes of the password count, as with every bcrypt.</li>
     *   <li>SHA512-CRYPT, SHA256-CRYPT: 5000 rounds, 16-character random salt.</li>
     *   <li>PLAIN: {@code {PLAIN}password}; {@code {PLAIN.B64}base64} when the password contains {@code ':'} or a
     *       control character, which a passwd-file line cannot hold.</li>
     *   <li>SCRAM-SHA-256, SCRAM-SHA-1: {@value ScramSecret#DEFAULT_ITERATIONS} iterations, 16-byte random salt, as
     *       {@code doveadm pw} writes; the password is prepared with SASLprep first (RFC 5802's Normalize), and one
     *       with characters SASLprep prohibits is refused.</li>
     * </ul>
     *
     * @param scheme one of {@link #encodableSchemes()}, case-insensitive
     * @return {@code {SCHEME}data} with the scheme name in upper case
     * @throws IllegalArgumentException for any other scheme, or a password SCRAM cannot use
     */
    public static String encode(String scheme, String password) {
        if (scheme == null) {
            throw unsupported("null");
        }
        if (password == null) {
            throw new NullPointerException("password");
        }
        byte[] pw = password.getBytes(StandardCharsets.UTF_8);
        String name = scheme.toUpperCase(Locale.ROOT);
        return switch (name) {
            case "ARGON2ID" -> "{ARGON2ID}" + Argon2Hash.encode(pw, RANDOM);
            case "BLF-CRYPT" -> "{BLF-CRYPT}" + CryptHash.encodeBcrypt(pw, RANDOM);
            case "SHA512-CRYPT" -> "{SHA512-CRYPT}" + CryptHash.encodeSha512(pw, RANDOM);
            case "SHA256-CRYPT" -> "{SHA256-CRYPT}" + CryptHash.encodeSha256(pw, RANDOM);
            case "PLAIN" -> fitsOnPasswdLine(password)
                    ? "{PLAIN}" + password
                    : "{PLAIN.B64}" + Base64.getEncoder().encodeToString(pw);
            case "SCRAM-SHA-256", "SCRAM-SHA-1" -> ScramSecret.derive(ScramAlgorithm.forScheme(name).orElseThrow(),
                    password, randomSalt(), ScramSecret.DEFAULT_ITERATIONS).encode();
            default -> throw unsupported(scheme);
        };
    }

    private static byte[] randomSalt() {
        byte[] salt = new byte[ScramSecret.SALT_BYTES];
        RANDOM.nextBytes(salt);
        return salt;
    }

    /** The scheme names {@link #encode} accepts, in upper case, the default first. */
    public static Set<String> encodableSchemes() {
        return ENCODABLE;
    }

    /**
     * The cleartext of a PLAIN, CLEAR or CLEARTEXT secret (with any encoding suffix), as APOP and CRAM-MD5 need it.
     *
     * @return the password, or empty for hashed schemes, unknown schemes, malformed data, data that is not UTF-8,
     *         or null
     */
    public static Optional<String> plaintext(String storedSecret) {
        if (storedSecret == null) {
            return Optional.empty();
        }
        return parse(storedSecret)
                .filter(p -> p.scheme().kind() == Kind.CLEARTEXT)
                .flatMap(p -> p.encoding().decode(p.data()))
                .flatMap(PasswordSchemes::strictUtf8);
    }

    /**
     * The SCRAM credentials of a {@code {SCRAM-SHA-1}} or {@code {SCRAM-SHA-256}} secret.
     *
     * @param scheme {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256} (case-insensitive): the scheme the secret must have
     * @return the credentials, or empty when the secret is of another scheme, malformed, or null
     * @throws IllegalArgumentException if {@code scheme} is not a SCRAM scheme
     */
    public static Optional<ScramSecret> scram(String storedSecret, String scheme) {
        ScramAlgorithm algorithm = ScramAlgorithm.forScheme(scheme)
                .orElseThrow(() -> new IllegalArgumentException("Not a SCRAM scheme"));
        if (storedSecret == null) {
            return Optional.empty();
        }
        return parse(storedSecret)
                .filter(p -> p.scheme().scram() == algorithm)
                .flatMap(p -> ScramSecret.parse(algorithm, p.data()));
    }

    /**
     * Whether checking a password against this secret costs about one digest ({PLAIN}, {SSHA256}, ...), so little
     * that handing it to the hashing pool would cost more than the check: the caller may check it in place.
     */
    public static boolean cheap(String storedSecret) {
        try {
            return storedSecret != null && parse(storedSecret)
                    .map(p -> p.scheme().kind() == Kind.CLEARTEXT || p.scheme().kind() == Kind.SALTED_DIGEST)
                    .orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether a stored secret is in a scheme this server can check passwords against. */
    public static boolean verifiable(String storedSecret) {
        try {
            return storedSecret != null && parse(storedSecret).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Optional<Parsed> parse(String secret) {
        if (!secret.startsWith("{")) {
            return Optional.of(new Parsed(SCHEMES.get("CRYPT"), null, secret));
        }
        int close = secret.indexOf('}');
        if (close < 0) {
            return Optional.empty();
        }
        String name = secret.substring(1, close).toUpperCase(Locale.ROOT);
        String data = secret.substring(close + 1);
        int dot = name.indexOf('.');
        Scheme scheme = SCHEMES.get(dot < 0 ? name : name.substring(0, dot));
        if (scheme == null) {
            return Optional.empty();
        }
        if (dot < 0) {
            return Optional.of(new Parsed(scheme, scheme.encoding(), data));
        }
        if (scheme.encoding() == null) {
            return Optional.empty();
        }
        return SecretEncoding.fromSuffix(name.substring(dot + 1)).map(enc -> new Parsed(scheme, enc, data));
    }

    private static boolean fitsOnPasswdLine(String password) {
        return password.chars().noneMatch(c -> c == ':' || Character.isISOControl(c));
    }

    private static Optional<String> strictUtf8(byte[] bytes) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return Optional.of(chars.toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static IllegalArgumentException unsupported(String scheme) {
        return new IllegalArgumentException("Unsupported password scheme '" + scheme + "'; supported: "
                + String.join(", ", ENCODABLE));
    }
}
