package dev.postoffice.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What unknown users (and users whose secret cannot serve a mechanism) are checked against, so that they cost the
 * same work and look the same on the wire as real users: a random cleartext and its hash in the
 * {@linkplain PasswordSchemes#DEFAULT_SCHEME default scheme}, SCRAM salts derived from the user name, and SCRAM
 * credentials nobody can match. Everything is drawn at random once per process, except that a server loads the
 * key the SCRAM salts derive from from its data directory ({@link #useKeyFile}): salts that changed at a restart
 * for unknown users only would tell who exists. The hash is computed on first use.
 */
public final class Decoys {
    private Decoys() {}

    /** The per-process random values; the dummy hash costs one default-scheme hash, so it has its own holder. */
    private static final class Keys {
        static final byte[] KEY = new byte[32];
        static final String CLEARTEXT;

        static {
            SecureRandom random = new SecureRandom();
            random.nextBytes(KEY);
            byte[] bytes = new byte[24];
            random.nextBytes(bytes);
            CLEARTEXT = HexFormat.of().formatHex(bytes);
        }
    }

    private static final class Hash {
        static final String SECRET = PasswordSchemes.encode(PasswordSchemes.DEFAULT_SCHEME, Keys.CLEARTEXT);
    }

    /** The name of the key file in a server's data directory. */
    public static final String KEY_FILE = "decoy.key";

    /**
     * Takes the key SCRAM salts are derived from out of {@code file}, creating it (mode 0600, 32 random octets) if it
     * does not exist, so that salts stay the same across restarts. Call before the first login.
     *
     * @throws IOException if the file cannot be read or created, or does not hold exactly 32 octets
     */
    public static synchronized void useKeyFile(Path file) throws IOException {
        byte[] key;
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            key = new byte[Keys.KEY.length];
            new SecureRandom().nextBytes(key);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.write(tmp, key);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                Files.delete(tmp); // another process made it first: use theirs
                key = Files.readAllBytes(file);
            }
        } else {
            key = Files.readAllBytes(file);
        }
        if (key.length != Keys.KEY.length) {
            throw new IOException(file + " must hold exactly " + Keys.KEY.length + " octets, not " + key.length);
        }
        System.arraycopy(key, 0, Keys.KEY, 0, key.length);
    }

    /** A stored secret of the default scheme whose password nobody knows; for unknown users' password checks. */
    static String secret() {
        return Hash.SECRET;
    }

    /** A cleartext secret nobody knows; for unknown users' APOP, CRAM-MD5 and SCRAM derivation. */
    static String cleartext() {
        return Keys.CLEARTEXT;
    }

    /**
     * The salt of SCRAM credentials derived from a cleartext secret: stable for {@code user} and the hash while the
     * process runs, different for every user and hash, unpredictable to clients.
     */
    static byte[] scramSalt(ScramAlgorithm algorithm, String user) {
        return Arrays.copyOf(derive("salt", algorithm, user), ScramSecret.SALT_BYTES);
    }

    /**
     * SCRAM credentials for a user who has none: the iteration count and salt length of real ones, a stable salt,
     * keys nobody can match, so that the exchange proceeds like a real one and fails at the proof.
     *
     * @param scheme {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256}, case-insensitive
     * @throws IllegalArgumentException if {@code scheme} is not a SCRAM scheme
     */
    public static ScramSecret scram(String scheme, String user) {
        ScramAlgorithm algorithm = ScramAlgorithm.forScheme(scheme)
                .orElseThrow(() -> new IllegalArgumentException("Not a SCRAM scheme"));
        return new ScramSecret(algorithm.scheme, ScramSecret.DEFAULT_ITERATIONS, scramSalt(algorithm, user),
                Arrays.copyOf(derive("stored-key", algorithm, user), algorithm.length),
                Arrays.copyOf(derive("server-key", algorithm, user), algorithm.length));
    }

    private static byte[] derive(String purpose, ScramAlgorithm algorithm, String user) {
        byte[] input = (purpose + "\0" + algorithm.scheme + "\0" + user).getBytes(StandardCharsets.UTF_8);
        return ScramAlgorithm.SHA_256.hmac(Keys.KEY, input);
    }
}
