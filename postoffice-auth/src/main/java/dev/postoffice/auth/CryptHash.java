package dev.postoffice.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.regex.Pattern;

import org.apache.commons.codec.digest.Md5Crypt;
import org.apache.commons.codec.digest.UnixCrypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * The crypt(3) family: the hash names its algorithm with a {@code $id$} prefix ({@code $1$} MD5-crypt,
 * {@code $5$}/{@code $6$} SHA-crypt, {@code $2a$}/{@code $2b$}/{@code $2y$} bcrypt) or is a 13-character
 * traditional DES hash. Dovecot verifies CRYPT, MD5-CRYPT, SHA256-CRYPT, SHA512-CRYPT, BLF-CRYPT and DES-CRYPT
 * all through crypt(3), so the scheme name only matters for encoding; this class mirrors that.
 *
 * <p>SHA-crypt is {@link ShaCrypt} (glibc's rules, one reused digest per hash); MD5-crypt and DES come from
 * commons-codec, bcrypt from Bouncy Castle.
 */
final class CryptHash {
    /** bcrypt cost for {@link #encodeBcrypt}. Dovecot 2.3's default is 5, far too cheap today. */
    static final int BCRYPT_COST = 10;
    /** Salt length in characters for SHA-crypt, as glibc and Dovecot generate. */
    static final int SHA_CRYPT_SALT_CHARS = 16;

    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
    private static final Pattern DES = Pattern.compile("[./A-Za-z0-9]{13}");
    private static final String CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final int BCRYPT_SALT_BYTES = 16;

    private CryptHash() {}

    /** Checks {@code password} against a crypt(3) hash; false for unsupported or malformed hashes. */
    static boolean verify(byte[] password, String hash) {
        String computed;
        if (hash.startsWith("$1$")) {
            computed = Md5Crypt.md5Crypt(password.clone(), hash);
        } else if (hash.startsWith("$5$") || hash.startsWith("$6$")) {
            byte[] expected = hash.getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(ShaCrypt.crypt(password, expected), expected);
        } else if (BCRYPT.matcher(hash).matches()) {
            return OpenBSDBCrypt.checkPassword(hash, password);
        } else if (DES.matcher(hash).matches()) {
            computed = UnixCrypt.crypt(password.clone(), hash.substring(0, 2));
        } else {
            return false;
        }
        return MessageDigest.isEqual(computed.getBytes(StandardCharsets.US_ASCII),
                hash.getBytes(StandardCharsets.US_ASCII));
    }

    /** SHA512-CRYPT with the default 5000 rounds (written without {@code rounds=}) and a random 16-char salt. */
    static String encodeSha512(byte[] password, SecureRandom random) {
        return ShaCrypt.crypt(password, "$6$" + salt(random));
    }

    /** SHA256-CRYPT with the default 5000 rounds (written without {@code rounds=}) and a random 16-char salt. */
    static String encodeSha256(byte[] password, SecureRandom random) {
        return ShaCrypt.crypt(password, "$5$" + salt(random));
    }

    /** bcrypt {@code $2y$} with {@link #BCRYPT_COST}; like every bcrypt, only the first 72 bytes count. */
    static String encodeBcrypt(byte[] password, SecureRandom random) {
        byte[] salt = new byte[BCRYPT_SALT_BYTES];
        random.nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password, salt, BCRYPT_COST);
    }

    private static String salt(SecureRandom random) {
        StringBuilder sb = new StringBuilder(SHA_CRYPT_SALT_CHARS);
        for (int i = 0; i < SHA_CRYPT_SALT_CHARS; i++) {
            sb.append(CRYPT_ALPHABET.charAt(random.nextInt(CRYPT_ALPHABET.length())));
        }
        return sb.toString();
    }
}
