package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.Stream;

import org.apache.commons.codec.digest.Sha2Crypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ShaCrypt} against the specification's vectors and, as an oracle, commons-codec's {@code Sha2Crypt}. */
@Execution(ExecutionMode.CONCURRENT)
class ShaCryptTest {
    private static final String LONG_TEXT =
            "a very much longer text to encrypt.  This one even stretches over morethan one line.";
    private static final String SHORT_SALT_TEXT = "we have a short salt string but not a short password";
    private static final String ROUNDS_TEXT = "the minimum number is still observed";

    /** Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512", the test vectors at the end (as in glibc). */
    static Stream<Arguments> specification() {
        return Stream.of(
                Arguments.of("$5$saltstring", "Hello world!",
                        "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
                Arguments.of("$5$rounds=10000$saltstringsaltstring", "Hello world!",
                        "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"),
                Arguments.of("$5$rounds=5000$toolongsaltstring", "This is just a test",
                        "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"),
                Arguments.of("$5$rounds=1400$anotherlongsaltstring", LONG_TEXT,
                        "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"),
                Arguments.of("$5$rounds=77777$short", SHORT_SALT_TEXT,
                        "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"),
                Arguments.of("$5$rounds=123456$asaltof16chars..", "a short string",
                        "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"),
                Arguments.of("$5$rounds=10$roundstoolow", ROUNDS_TEXT,
                        "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"),
                Arguments.of("$6$saltstring", "Hello world!",
                        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
                Arguments.of("$6$rounds=10000$saltstringsaltstring", "Hello world!",
                        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
                Arguments.of("$6$rounds=5000$toolongsaltstring", "This is just a test",
                        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"),
                Arguments.of("$6$rounds=1400$anotherlongsaltstring", LONG_TEXT,
                        "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
                Arguments.of("$6$rounds=77777$short", SHORT_SALT_TEXT,
                        "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"),
                Arguments.of("$6$rounds=123456$asaltof16chars..", "a short string",
                        "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"),
                Arguments.of("$6$rounds=10$roundstoolow", ROUNDS_TEXT,
                        "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specification")
    void matchesTheSpecificationsVectors(String setting, String key, String expected) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        assertThat(ShaCrypt.crypt(k, setting)).isEqualTo(expected);
        assertThat(k).isEqualTo(key.getBytes(StandardCharsets.UTF_8)).as("key left alone");
    }

    /** The complete hash is the setting when verifying. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("specification")
    void verifiesTheSpecificationsHashes(String setting, String key, String expected) {
        assertThat(CryptHash.verify(key.getBytes(StandardCharsets.UTF_8), expected)).isTrue();
        assertThat(CryptHash.verify((key + "!").getBytes(StandardCharsets.UTF_8), expected)).isFalse();
    }

    /**
     * commons-codec's Sha2Crypt, which the server used before, agrees on random keys (arbitrary bytes, empty and
     * longer than one digest block included), salts of 1 to 20 characters (cut at 16) and round counts (default,
     * below the minimum, and explicit).
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void agreesWithCommonsCodec(int seed) {
        Random random = new Random(seed);
        String alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        for (int i = 0; i < 80; i++) {
            byte[] key = new byte[i % 10 == 0 ? random.nextInt(300) : random.nextInt(40)];
            random.nextBytes(key);
            StringBuilder salt = new StringBuilder();
            for (int j = 1 + random.nextInt(20); j > 0; j--) {
                salt.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String rounds = switch (random.nextInt(4)) {
                case 0 -> "";
                case 1 -> "rounds=" + random.nextInt(1000) + "$";
                default -> "rounds=" + (1000 + random.nextInt(2000)) + "$";
            };
            boolean sha512 = random.nextBoolean();
            String setting = (sha512 ? "$6$" : "$5$") + rounds + salt;
            String expected = sha512 ? Sha2Crypt.sha512Crypt(key.clone(), setting)
                    : Sha2Crypt.sha256Crypt(key.clone(), setting);
            assertThat(ShaCrypt.crypt(key, setting)).as(setting).isEqualTo(expected);
            assertThat(CryptHash.verify(key, expected)).as(expected).isTrue();
        }
    }

    @Test
    void encodeWritesDefaultRoundsWithoutRoundsAndCommonsCodecVerifiesIt() {
        byte[] key = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
        String sha512 = CryptHash.encodeSha512(key, new java.security.SecureRandom());
        String sha256 = CryptHash.encodeSha256(key, new java.security.SecureRandom());
        assertThat(sha512).matches("\\$6\\$[./A-Za-z0-9]{16}\\$[./A-Za-z0-9]{86}");
        assertThat(sha256).matches("\\$5\\$[./A-Za-z0-9]{16}\\$[./A-Za-z0-9]{43}");
        assertThat(Sha2Crypt.sha512Crypt(key.clone(), sha512)).isEqualTo(sha512);
        assertThat(Sha2Crypt.sha256Crypt(key.clone(), sha256)).isEqualTo(sha256);
    }

    @Test
    void roundsAreClampedAndWrittenBackWhenGiven() {
        byte[] key = "pw".getBytes(StandardCharsets.UTF_8);
        assertThat(ShaCrypt.crypt(key, "$5$rounds=0$salt")).startsWith("$5$rounds=1000$salt$");
        assertThat(ShaCrypt.crypt(key, "$5$rounds=999$salt")).startsWith("$5$rounds=1000$salt$");
        assertThat(ShaCrypt.crypt(key, "$5$rounds=1000$salt")).startsWith("$5$rounds=1000$salt$");
        assertThat(ShaCrypt.crypt(key, "$5$rounds=5000$salt"))
                .startsWith("$5$rounds=5000$salt$")
                .endsWith(ShaCrypt.crypt(key, "$5$salt").substring("$5$salt".length()));
        assertThat(ShaCrypt.crypt(key, "$5$rounds=01000$salt")).startsWith("$5$rounds=1000$salt$");
    }

    /** As glibc: "rounds=" without digits and a '$' is part of the salt, and the salt stops at 16 bytes or '$'. */
    @Test
    void saltRulesFollowGlibc() {
        byte[] key = "pw".getBytes(StandardCharsets.UTF_8);
        assertThat(ShaCrypt.crypt(key, "$6$rounds=x$rest")).startsWith("$6$rounds=x$").hasSize(3 + 8 + 1 + 86);
        assertThat(ShaCrypt.crypt(key, "$6$rounds=12")).startsWith("$6$rounds=12$").hasSize(3 + 9 + 1 + 86);
        assertThat(ShaCrypt.crypt(key, "$6$0123456789abcdefXYZ")).startsWith("$6$0123456789abcdef$");
        assertThat(ShaCrypt.crypt(key, "$6$ab$cd")).startsWith("$6$ab$").hasSize(3 + 2 + 1 + 86);
        assertThat(ShaCrypt.crypt(key, "$6$")).startsWith("$6$$").hasSize(3 + 1 + 86);
    }

    @Test
    void nonCanonicalHashesDoNotVerify() {
        byte[] key = "Hello world!".getBytes(StandardCharsets.UTF_8);
        String canonical = "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.";
        assertThat(CryptHash.verify(key, canonical)).isTrue();
        assertThat(CryptHash.verify(key, canonical.replace("rounds=10000", "rounds=010000"))).isFalse();
        assertThat(CryptHash.verify(key, canonical.replace("saltst$", "saltstring$"))).isFalse();
        assertThat(CryptHash.verify(key, canonical + "x")).isFalse();
        assertThat(CryptHash.verify(key, canonical.substring(0, canonical.length() - 1))).isFalse();
    }

    @Test
    void refusesOtherSettings() {
        byte[] key = new byte[1];
        for (String setting : new String[] {"", "$", "$5", "$7$salt", "$1$salt", "5$salt$", "$56$"}) {
            assertThatThrownBy(() -> ShaCrypt.crypt(key, setting)).as(setting)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
