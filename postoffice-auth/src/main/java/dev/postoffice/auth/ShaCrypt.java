package dev.postoffice.auth;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * SHA-crypt ({@code $5$} SHA-256, {@code $6$} SHA-512) as Ulrich Drepper's specification "Unix crypt using SHA-256
 * and SHA-512" and glibc's crypt(3) define it: an optional {@code rounds=N$} (clamped to 1000..999999999; written
 * back whenever it was given, even for the default 5000), a salt of up to 16 bytes ending at the next {@code '$'} or
 * the end of the setting (longer salts are cut), and the hash in crypt's own base-64 alphabet and byte order.
 *
 * <p>Unlike commons-codec's {@code Sha2Crypt}, which asks for a new {@link MessageDigest} in every round, one
 * digest instance serves the whole computation ({@code digest(buf, off, len)} resets it), and the rounds loop
 * allocates nothing. The key is never modified; intermediate key material is zeroed before returning.
 */
final class ShaCrypt {
    static final int ROUNDS_DEFAULT = 5000;
    static final int ROUNDS_MIN = 1000;
    static final int ROUNDS_MAX = 999_999_999;
    static final int SALT_MAX_BYTES = 16;

    private static final byte[] ROUNDS_PREFIX = "rounds=".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ALPHABET =
            "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);

    /** The two variants: digest, size, and the order in which the final digest's bytes are encoded. */
    enum Variant {
        SHA256('5', "SHA-256", 32, new int[] {
                0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14,
                15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9, 19, 29}, new int[] {-1, 31, 30}, 3),
        SHA512('6', "SHA-512", 64, new int[] {
                0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48,
                28, 49, 7, 50, 8, 29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13,
                56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41},
                new int[] {-1, -1, 63}, 2);

        final byte id;
        final String algorithm;
        final int size;
        /** Byte indexes, three per group of four output characters (first byte most significant). */
        private final int[] order;
        /** The last, partial group (-1 stands for a zero byte) and how many characters it yields. */
        private final int[] tail;
        private final int tailChars;

        Variant(char id, String algorithm, int size, int[] order, int[] tail, int tailChars) {
            this.id = (byte) id;
            this.algorithm = algorithm;
            this.size = size;
            this.order = order;
            this.tail = tail;
            this.tailChars = tailChars;
        }

        /** Length of the encoded hash in characters: 43 or 86. */
        int encodedLength() {
            return (size * 8 + 5) / 6;
        }

        MessageDigest newDigest() {
            try {
                return MessageDigest.getInstance(algorithm);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(algorithm + " is missing from this JRE", e);
            }
        }
    }

    private ShaCrypt() {}

    /** The variant a setting or hash names ({@code $5$} or {@code $6$}), or null. */
    static Variant variant(byte[] setting) {
        if (setting.length < 3 || setting[0] != '$' || setting[2] != '$') {
            return null;
        }
        return switch (setting[1]) {
            case '5' -> Variant.SHA256;
            case '6' -> Variant.SHA512;
            default -> null;
        };
    }

    /**
     * crypt(3) of {@code key} with {@code setting}, e.g. {@code $6$rounds=10000$salt} or a complete hash (everything
     * after the salt is ignored), as a string.
     *
     * @throws IllegalArgumentException if the setting does not start with {@code $5$} or {@code $6$}
     */
    static String crypt(byte[] key, String setting) {
        return new String(crypt(key, setting.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /**
     * As {@link #crypt(byte[], String)}, on bytes: the result equals a hash's bytes exactly when the key is right
     * (and the hash is in canonical form: the form this method writes).
     */
    static byte[] crypt(byte[] key, byte[] setting) {
        Variant v = variant(setting);
        if (v == null) {
            throw new IllegalArgumentException("Not a SHA-crypt setting");
        }
        int pos = 3;
        int rounds = ROUNDS_DEFAULT;
        boolean customRounds = false;
        if (startsWith(setting, pos, ROUNDS_PREFIX)) {
            // As glibc: only "rounds=<digits>$" counts; anything else is part of the salt.
            int p = pos + ROUNDS_PREFIX.length;
            long n = 0;
            int digits = 0;
            while (p < setting.length && setting[p] >= '0' && setting[p] <= '9') {
                n = Math.min(n * 10 + (setting[p] - '0'), (long) ROUNDS_MAX + 1); // saturate, then clamp
                p++;
                digits++;
            }
            if (digits > 0 && p < setting.length && setting[p] == '$') {
                rounds = (int) Math.max(ROUNDS_MIN, Math.min(n, ROUNDS_MAX));
                customRounds = true;
                pos = p + 1;
            }
        }
        int saltEnd = pos;
        while (saltEnd < setting.length && setting[saltEnd] != '$' && saltEnd - pos < SALT_MAX_BYTES) {
            saltEnd++;
        }
        byte[] salt = Arrays.copyOfRange(setting, pos, saltEnd);
        byte[] hash = hash(v, key, salt, rounds);
        try {
            return format(v, customRounds ? rounds : -1, salt, hash);
        } finally {
            Arrays.fill(hash, (byte) 0);
        }
    }

    /** The raw digest after {@code rounds} rounds (steps 1 to 21 of the specification). */
    static byte[] hash(Variant v, byte[] key, byte[] salt, int rounds) {
        MessageDigest md = v.newDigest();
        int n = v.size;
        byte[] b = new byte[n];
        byte[] c = new byte[n];
        byte[] dp = new byte[n];
        byte[] p = new byte[key.length];
        byte[] s = new byte[salt.length];
        try {
            // Digest B: key, salt, key.
            md.update(key);
            md.update(salt);
            md.update(key);
            finish(md, b);

            // Digest A: key, salt, B for each full block of the key's length and part of it for the rest,
            // then per bit of the key's length (least significant first) B for a 1 and the key for a 0.
            md.update(key);
            md.update(salt);
            int cnt;
            for (cnt = key.length; cnt > n; cnt -= n) {
                md.update(b, 0, n);
            }
            md.update(b, 0, cnt);
            for (cnt = key.length; cnt > 0; cnt >>= 1) {
                if ((cnt & 1) != 0) {
                    md.update(b, 0, n);
                } else {
                    md.update(key);
                }
            }
            finish(md, c); // A, the start of the rounds

            // Digest DP: the key once per byte of the key; P is DP repeated to the key's length.
            for (int i = 0; i < key.length; i++) {
                md.update(key);
            }
            finish(md, dp);
            fillRepeating(p, dp);

            // Digest DS: the salt 16 + A[0] times; S is DS repeated to the salt's length.
            int saltTimes = 16 + (c[0] & 0xff);
            for (int i = 0; i < saltTimes; i++) {
                md.update(salt);
            }
            finish(md, b); // B is no longer needed: reuse it for DS
            fillRepeating(s, b);

            int pl = p.length;
            int sl = s.length;
            for (int r = 0; r < rounds; r++) {
                boolean odd = (r & 1) != 0;
                if (odd) {
                    md.update(p, 0, pl);
                } else {
                    md.update(c, 0, n);
                }
                if (r % 3 != 0) {
                    md.update(s, 0, sl);
                }
                if (r % 7 != 0) {
                    md.update(p, 0, pl);
                }
                if (odd) {
                    md.update(c, 0, n);
                } else {
                    md.update(p, 0, pl);
                }
                finish(md, c);
            }
            return c;
        } finally {
            Arrays.fill(b, (byte) 0);
            Arrays.fill(dp, (byte) 0);
            Arrays.fill(p, (byte) 0);
            Arrays.fill(s, (byte) 0);
        }
    }

    /** {@code $id$[rounds=N$]salt$hash}; {@code rounds} -1 leaves the rounds out. */
    private static byte[] format(Variant v, int rounds, byte[] salt, byte[] hash) {
        byte[] roundsPart = rounds < 0 ? new byte[0]
                : ("rounds=" + rounds + "$").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[3 + roundsPart.length + salt.length + 1 + v.encodedLength()];
        int o = 0;
        out[o++] = '$';
        out[o++] = v.id;
        out[o++] = '$';
        System.arraycopy(roundsPart, 0, out, o, roundsPart.length);
        o += roundsPart.length;
        System.arraycopy(salt, 0, out, o, salt.length);
        o += salt.length;
        out[o++] = '$';
        int[] order = v.order;
        for (int i = 0; i < order.length; i += 3) {
            o = b64(out, o, byteAt(hash, order[i]), byteAt(hash, order[i + 1]), byteAt(hash, order[i + 2]), 4);
        }
        int[] tail = v.tail;
        o = b64(out, o, byteAt(hash, tail[0]), byteAt(hash, tail[1]), byteAt(hash, tail[2]), v.tailChars);
        assert o == out.length;
        return out;
    }

    private static int byteAt(byte[] hash, int index) {
        return index < 0 ? 0 : hash[index] & 0xff;
    }

    /** Appends {@code chars} characters of the 24-bit group b2 b1 b0, least significant six bits first. */
    private static int b64(byte[] out, int o, int b2, int b1, int b0, int chars) {
        int w = (b2 << 16) | (b1 << 8) | b0;
        for (int i = 0; i < chars; i++) {
            out[o++] = ALPHABET[w & 0x3f];
            w >>>= 6;
        }
        return o;
    }

    private static void finish(MessageDigest md, byte[] into) {
        try {
            md.digest(into, 0, into.length); // also resets md
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void fillRepeating(byte[] target, byte[] source) {
        for (int i = 0; i < target.length; i += source.length) {
            System.arraycopy(source, 0, target, i, Math.min(source.length, target.length - i));
        }
    }

    private static boolean startsWith(byte[] bytes, int from, byte[] prefix) {
        if (bytes.length - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
