package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SCRAM password schemes: derivation, Dovecot's format, SASLprep, and extraction for the SASL exchange. */
class ScramSecretTest {
    /** doveadm pw -s SCRAM-SHA-256 -p pencil */
    private static final String DOVEADM_SHA256 = "{SCRAM-SHA-256}4096,meN5UjicNyhHRB4DUWY5hw==,"
            + "4vEj3Exmc8JnB0TgDwDMsxNv7nQ8WrUoEfs8qnLgpUY=,EHMid7Qr2awRH3du1qDiexvOb7qBHeW8nqlOZUGCIuE=";
    /** doveadm pw -s SCRAM-SHA-1 -p pencil */
    private static final String DOVEADM_SHA1 = "{SCRAM-SHA-1}4096,c4RkZBSw6XifXum5L2itQg==,"
            + "xOXoSBqon3ClOstDnR+GHtmqbtk=,EN1x1CavmzJtlsbct297j4sc9gQ=";

    /**
     * The RFC examples' user/pencil exchanges: salt, AuthMessage and ClientProof. A StoredKey derived here from
     * "pencil" must accept the RFC's proof: H(ClientProof XOR HMAC(StoredKey, AuthMessage)) == StoredKey.
     */
    static Stream<Arguments> rfcExamples() {
        return Stream.of(
                Arguments.of(ScramAlgorithm.SHA_1, "QSXCR+Q6sek8bf92",
                        "n=user,r=fyko+d2lbbFgONRv9qkxdawL,"
                                + "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,"
                                + "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
                        "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "rmF9pqV8S7suAoZWja4dJRkFsKQ="),
                Arguments.of(ScramAlgorithm.SHA_256, "W22ZaJ0SNY7soEsUEjb6gQ==",
                        "n=user,r=rOprNGfwEbeRWgbNEkqO,"
                                + "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
                                + "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
                        "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    }

    @ParameterizedTest
    @MethodSource("rfcExamples")
    void derivedKeysCheckTheRfcProofAndGiveTheRfcServerSignature(ScramAlgorithm algorithm, String salt,
            String authMessage, String proof, String serverSignature) throws Exception {
        ScramSecret secret = ScramSecret.derive(algorithm, "pencil", Base64.getDecoder().decode(salt), 4096);
        String hmacName = algorithm == ScramAlgorithm.SHA_1 ? "HmacSHA1" : "HmacSHA256";
        byte[] message = authMessage.getBytes(StandardCharsets.UTF_8);
        byte[] clientKey = hmac(hmacName, secret.storedKey(), message);
        byte[] p = Base64.getDecoder().decode(proof);
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] ^= p[i];
        }
        String digest = algorithm == ScramAlgorithm.SHA_1 ? "SHA-1" : "SHA-256";
        assertThat(MessageDigest.getInstance(digest).digest(clientKey)).isEqualTo(secret.storedKey());
        assertThat(Base64.getEncoder().encodeToString(hmac(hmacName, secret.serverKey(), message)))
                .isEqualTo(serverSignature);
    }

    private static byte[] hmac(String algorithm, byte[] key, byte[] data) throws Exception {
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        return mac.doFinal(data);
    }

    @Test
    void reEncodingADoveadmSecretGivesItBack() {
        for (String secret : new String[] {DOVEADM_SHA256, DOVEADM_SHA1}) {
            String scheme = secret.substring(1, secret.indexOf('}'));
            ScramSecret parsed = PasswordSchemes.scram(secret, scheme).orElseThrow();
            assertThat(parsed.encode()).isEqualTo(secret);
            ScramSecret derived = ScramSecret.derive(ScramAlgorithm.forScheme(scheme).orElseThrow(), "pencil",
                    parsed.salt(), parsed.iterations());
            assertThat(derived).isEqualTo(parsed);
        }
    }

    @Test
    void scramExtractsOnlyTheRequestedHash() {
        ScramSecret sha256 = PasswordSchemes.scram(DOVEADM_SHA256, "scram-sha-256").orElseThrow();
        assertThat(sha256.scheme()).isEqualTo("SCRAM-SHA-256");
        assertThat(sha256.iterations()).isEqualTo(4096);
        assertThat(sha256.salt()).hasSize(16);
        assertThat(sha256.storedKey()).hasSize(32);
        assertThat(sha256.serverKey()).hasSize(32);
        assertThat(PasswordSchemes.scram(DOVEADM_SHA256, "SCRAM-SHA-1")).isEmpty();
        assertThat(PasswordSchemes.scram(DOVEADM_SHA1, "SCRAM-SHA-1").orElseThrow().storedKey()).hasSize(20);
        assertThat(PasswordSchemes.scram("{PLAIN}pencil", "SCRAM-SHA-256")).isEmpty();
        assertThat(PasswordSchemes.scram(null, "SCRAM-SHA-256")).isEmpty();
        assertThat(PasswordSchemes.scram("{SCRAM-SHA-256}4096,,,", "SCRAM-SHA-256")).isEmpty();
        assertThatThrownBy(() -> PasswordSchemes.scram(DOVEADM_SHA256, "PLAIN"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** RFC 5802 Normalize(): the password is SASLprep'ed before hashing, so U+00AD counts for nothing. */
    @Test
    void encodePreparesThePasswordWithSaslPrep() {
        String secret = PasswordSchemes.encode("SCRAM-SHA-256", DovecotVectors.SOFT_HYPHEN);
        ScramSecret parsed = PasswordSchemes.scram(secret, "SCRAM-SHA-256").orElseThrow();
        assertThat(ScramSecret.derive(ScramAlgorithm.SHA_256, "IX", parsed.salt(), 4096)).isEqualTo(parsed);
        assertThat(PasswordSchemes.verify("IX", secret)).isTrue();
        assertThat(PasswordSchemes.verify(DovecotVectors.SOFT_HYPHEN, secret)).isTrue();
        // Non-ASCII spaces map to a space.
        String spaced = PasswordSchemes.encode("SCRAM-SHA-1", "a\u00A0b");
        assertThat(PasswordSchemes.verify("a b", spaced)).isTrue();
    }

    /** Dovecot hashes the raw password; verify accepts that too, but only for the password itself. */
    @Test
    void verifyAcceptsDoveadmSecretsOfUnpreparedPasswords() {
        String doveadm = DovecotVectors.ALL.stream()
                .filter(v -> v.label().equals("SCRAM-SHA-256") && v.password().equals(DovecotVectors.SOFT_HYPHEN))
                .findFirst().orElseThrow().secret();
        assertThat(PasswordSchemes.verify(DovecotVectors.SOFT_HYPHEN, doveadm)).isTrue();
        assertThat(PasswordSchemes.verify("IX", doveadm)).isFalse();
    }

    @Test
    void encodeRefusesPasswordsSaslPrepProhibits() {
        for (String password : new String[] {"bell\u0007", "tab\there", "\u0627a"}) {
            assertThatThrownBy(() -> PasswordSchemes.encode("SCRAM-SHA-256", password))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("SASLprep")
                    .hasMessageNotContaining(password);
        }
    }

    /** Unassigned code points (Unicode 3.2 is SASLprep's) pass, as in a query string: emoji passwords work. */
    @Test
    void unassignedCodePointsAreAllowed() {
        String secret = PasswordSchemes.encode("SCRAM-SHA-256", "key \uD83D\uDD11");
        assertThat(PasswordSchemes.verify("key \uD83D\uDD11", secret)).isTrue();
    }

    @Test
    void toStringHidesTheKeys() {
        ScramSecret secret = PasswordSchemes.scram(DOVEADM_SHA256, "SCRAM-SHA-256").orElseThrow();
        assertThat(secret.toString()).isEqualTo("ScramSecret[SCRAM-SHA-256, 4096 iterations]");
    }
}
