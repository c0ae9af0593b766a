package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs its methods concurrently (see junit-platform.properties): Argon2 makes them slow one by one. */
@Execution(ExecutionMode.CONCURRENT)
class PasswordSchemesTest {
    private static final String P1 = DovecotVectors.P1;

    static final List<DovecotVectors.Vector> DOVECOT = DovecotVectors.ALL;
    static final List<DovecotVectors.Vector> VARIANTS = DovecotVectors.ACCEPTED_VARIANTS;

    /** The password with its first character changed: every scheme, truncating or not, must reject it. */
    private static String wrong(String password) {
        return (password.charAt(0) == 'X' ? "Y" : "X") + password.substring(1);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("DOVECOT")
    void acceptsWhatDoveadmWrote(DovecotVectors.Vector v) {
        assertThat(PasswordSchemes.verify(v.password(), v.secret())).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("DOVECOT")
    void rejectsWrongPasswordsForDoveadmVectors(DovecotVectors.Vector v) {
        assertThat(PasswordSchemes.verify(wrong(v.password()), v.secret())).isFalse();
        if (v.label().startsWith("ARGON2")) {
            return; // slow, and Argon2 has no truncation for the checks below to catch
        }
        assertThat(PasswordSchemes.verify("", v.secret())).isFalse();
        // an appended character: bcrypt ignores it past 72 bytes, DES past 8 characters (all vectors are longer)
        if (!v.label().contains("DES")) {
            assertThat(PasswordSchemes.verify(v.password() + "!", v.secret()))
                    .as("appended character")
                    .isEqualTo(v.label().startsWith("BLF-CRYPT") && v.password().equals(DovecotVectors.LONG));
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("VARIANTS")
    void acceptsVariantsDoveadmAccepts(DovecotVectors.Vector v) {
        assertThat(PasswordSchemes.verify(v.password(), v.secret())).isTrue();
        assertThat(PasswordSchemes.verify(wrong(v.password()), v.secret())).isFalse();
    }

    /** Dovecot's passwd-file defaults to CRYPT, so crypt-family data without a prefix verifies too. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"MD5-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT", "CRYPT", "DES-CRYPT"})
    void cryptDataWithoutPrefixIsCrypt(String scheme) {
        List<DovecotVectors.Vector> vectors = DOVECOT.stream().filter(v -> v.label().equals(scheme)).toList();
        assertThat(vectors).isNotEmpty();
        for (DovecotVectors.Vector v : vectors) {
            String bare = v.secret().substring(v.secret().indexOf('}') + 1);
            assertThat(PasswordSchemes.verify(v.password(), bare)).as(bare).isTrue();
            assertThat(PasswordSchemes.verify(wrong(v.password()), bare)).as(bare).isFalse();
        }
    }

    @Test
    void schemeNamesAreCaseInsensitive() {
        for (String secret : List.of(
                "{sha512-crypt}$6$C2LGKBCQ5pVbyFtF$fATRpwHq8kBCUkGoJHr8/cwrV0ZyhS15piJCJ7Xb04YEE1fMiaLz7BM/nfjCX4JQ4eFQi7eiDdiPZ1w7P6h8C0",
                "{Blf-Crypt}$2y$05$n4OQgpACmFcaFTR/pAUEgubsovfZOhDjtcNYIlBAyXapu0p51vUoy",
                "{ssha256}7DKug0E5BxgV/cp5ZQvZTWPOr6oFI+5PYCkJcXN0mBr2avRf",
                "{plain}correct horse battery staple",
                "{Plain.B64}Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==",
                "{clear}correct horse battery staple")) {
            assertThat(PasswordSchemes.verify(P1, secret)).as(secret).isTrue();
        }
    }

    /** doveadm pw -s SCRAM-SHA-256 -p pencil, without the prefix. */
    private static final String SCRAM_PENCIL = "4096,meN5UjicNyhHRB4DUWY5hw==,"
            + "4vEj3Exmc8JnB0TgDwDMsxNv7nQ8WrUoEfs8qnLgpUY=,EHMid7Qr2awRH3du1qDiexvOb7qBHeW8nqlOZUGCIuE=";

    static Stream<Arguments> malformed() {
        String ssha = "{SSHA}tstYvd5kOWldcqNwsw852OvqmNNzGcpz";
        String argon = "$argon2id$v=19$m=65536,t=3,p=1$1HbpJeLEPsO2OstfMtLxqA$FNQFwxRuErdseumUKaHvbnDEq+8dtGB/9h50r2Mn/lI";
        String bcrypt = "$2y$05$n4OQgpACmFcaFTR/pAUEgubsovfZOhDjtcNYIlBAyXapu0p51vUoy";
        String sha512 = "$6$C2LGKBCQ5pVbyFtF$fATRpwHq8kBCUkGoJHr8/cwrV0ZyhS15piJCJ7Xb04YEE1fMiaLz7BM/nfjCX4JQ4eFQi7eiDdiPZ1w7P6h8C0";
        byte[] digestOnly = Base64.getDecoder().decode(ssha.substring(6));
        return Stream.of(
                Arguments.of("empty", ""),
                Arguments.of("unknown scheme", "{NOPE}" + P1),
                Arguments.of("unsupported Dovecot scheme", "{PLAIN-MD5}" + "d8e1d9c1ccd8e6e0e8e2e7ac8ef8d1ad"),
                Arguments.of("empty scheme", "{}" + P1),
                Arguments.of("unclosed brace", "{PLAIN" + P1),
                Arguments.of("bare cleartext is CRYPT", P1),
                Arguments.of("unknown suffix", "{PLAIN.ROT13}" + P1),
                Arguments.of("two suffixes", "{PLAIN.B64.HEX}" + P1),
                Arguments.of("suffix on a crypt scheme", "{SHA512-CRYPT.HEX}" + sha512),
                Arguments.of("suffix on argon2", "{ARGON2ID.B64}" + argon),
                Arguments.of("invalid base64", "{PLAIN.B64}!!!" + P1),
                Arguments.of("invalid hex", "{PLAIN.HEX}zz"),
                Arguments.of("odd hex", "{SSHA.HEX}384fd6aa811f4200535cad9b05c9a58c0fb93dfcadcbf75"),
                Arguments.of("SSHA without salt", "{SSHA}" + Base64.getEncoder().encodeToString(
                        java.util.Arrays.copyOf(digestOnly, 20))),
                Arguments.of("SSHA truncated", ssha.substring(0, 20)),
                Arguments.of("SSHA not base64", "{SSHA}" + "%%%%"),
                Arguments.of("argon2 under a crypt scheme", "{CRYPT}" + argon),
                Arguments.of("argon2d", "{ARGON2ID}" + argon.replace("argon2id", "argon2d")),
                Arguments.of("argon2 wrong version", "{ARGON2ID}" + argon.replace("v=19", "v=18")),
                Arguments.of("argon2 params out of order", "{ARGON2ID}" + argon.replace("m=65536,t=3", "t=3,m=65536")),
                Arguments.of("argon2 zero iterations", "{ARGON2ID}" + argon.replace("t=3", "t=0")),
                Arguments.of("argon2 zero lanes", "{ARGON2ID}" + argon.replace("p=1", "p=0")),
                Arguments.of("argon2 too little memory", "{ARGON2ID}" + argon.replace("m=65536", "m=7")),
                Arguments.of("argon2 memory overflow", "{ARGON2ID}" + argon.replace("m=65536", "m=9999999999")),
                Arguments.of("argon2 short salt", "{ARGON2ID}" + argon.replace("1HbpJeLEPsO2OstfMtLxqA", "1Hbp")),
                Arguments.of("argon2 short hash", "{ARGON2ID}" + argon.substring(0, argon.length() - 30)),
                Arguments.of("argon2 without hash", "{ARGON2ID}" + argon.substring(0, argon.lastIndexOf('$'))),
                Arguments.of("argon2 trailing junk", "{ARGON2ID}" + argon + "$"),
                Arguments.of("argon2 bad base64", "{ARGON2ID}" + argon.replace("FNQF", "F*QF")),
                Arguments.of("argon2 padded base64 in salt", "{ARGON2ID}" + argon.replace("qA$", "qA==$")),
                Arguments.of("bcrypt $2x$", "{BLF-CRYPT}" + bcrypt.replace("$2y$", "$2x$")),
                Arguments.of("bcrypt $2$", "{BLF-CRYPT}" + bcrypt.replace("$2y$", "$2$")),
                Arguments.of("bcrypt cost too low", "{BLF-CRYPT}" + bcrypt.replace("$05$", "$03$")),
                Arguments.of("bcrypt cost too high", "{BLF-CRYPT}" + bcrypt.replace("$05$", "$99$")),
                Arguments.of("bcrypt truncated", "{BLF-CRYPT}" + bcrypt.substring(0, 50)),
                Arguments.of("bcrypt bad salt char", "{BLF-CRYPT}" + bcrypt.replace("n4OQ", "n4*Q")),
                Arguments.of("sha512-crypt without hash", "{SHA512-CRYPT}$6$C2LGKBCQ5pVbyFtF"),
                Arguments.of("sha512-crypt without salt", "{SHA512-CRYPT}$6$"),
                Arguments.of("sha512-crypt rounds below minimum", "{SHA512-CRYPT}$6$rounds=10$" + sha512.substring(3)),
                Arguments.of("md5-crypt without salt", "{MD5-CRYPT}$1$"),
                Arguments.of("apr1", "{CRYPT}$apr1$kR8cLm1d$NuFhhrPCE4CXraGF0gyOk1"),
                Arguments.of("yescrypt", "{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"),
                Arguments.of("DES too short", "{CRYPT}42NZlBLB7/nK"),
                Arguments.of("DES bad salt", "{CRYPT}**NZlBLB7/nKo"),
                Arguments.of("SCRAM five fields", "{SCRAM-SHA-256}" + SCRAM_PENCIL + ","),
                Arguments.of("SCRAM three fields", "{SCRAM-SHA-256}" + SCRAM_PENCIL.substring(0, SCRAM_PENCIL.lastIndexOf(','))),
                Arguments.of("SCRAM-SHA-256 data under SCRAM-SHA-1", "{SCRAM-SHA-1}" + SCRAM_PENCIL),
                Arguments.of("SCRAM below 4096 iterations", "{SCRAM-SHA-256}" + SCRAM_PENCIL.replace("4096,", "4095,")),
                Arguments.of("SCRAM iterations not a number", "{SCRAM-SHA-256}" + SCRAM_PENCIL.replace("4096,", "4k,")),
                Arguments.of("SCRAM iterations overflow", "{SCRAM-SHA-256}" + SCRAM_PENCIL.replace("4096,", "99999999999,")),
                Arguments.of("SCRAM empty salt", "{SCRAM-SHA-256}" + SCRAM_PENCIL.replace("meN5UjicNyhHRB4DUWY5hw==", "")),
                Arguments.of("SCRAM bad base64", "{SCRAM-SHA-256}" + SCRAM_PENCIL.replace("4vEj", "4v*j")),
                Arguments.of("SCRAM suffix", "{SCRAM-SHA-256.B64}" + SCRAM_PENCIL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedOrUnknownSecretsAreFalseAndNeverThrow(String label, String secret) {
        boolean[] result = new boolean[2];
        Throwable thrown = catchThrowable(() -> {
            result[0] = PasswordSchemes.verify(P1, secret);
            result[1] = PasswordSchemes.verify("", secret);
        });
        assertThat(thrown).isNull();
        assertThat(result).containsExactly(false, false);
    }

    @Test
    void nullsAreFalse() {
        assertThat(PasswordSchemes.verify(null, "{PLAIN}x")).isFalse();
        assertThat(PasswordSchemes.verify("x", null)).isFalse();
        assertThat(PasswordSchemes.plaintext(null)).isEmpty();
    }

    @Test
    void emptyPlainSecretMatchesOnlyTheEmptyPassword() {
        // As in Dovecot; CredentialVerifier refuses empty passwords on top of this.
        assertThat(PasswordSchemes.verify("", "{PLAIN}")).isTrue();
        assertThat(PasswordSchemes.verify(" ", "{PLAIN}")).isFalse();
    }

    @Test
    void plainComparesExactBytes() {
        assertThat(PasswordSchemes.verify("Secret", "{PLAIN}secret")).isFalse();
        assertThat(PasswordSchemes.verify("secret ", "{PLAIN}secret")).isFalse();
        assertThat(PasswordSchemes.verify("secre", "{PLAIN}secret")).isFalse();
        // NFC vs NFD: different bytes, so different passwords (no normalisation, as in Dovecot)
        assertThat(PasswordSchemes.verify("a\u0308", "{PLAIN}\u00e4")).isFalse();
    }

    @Test
    void passwordsAreHashedAsUtf8() {
        String latin1View = new String(DovecotVectors.P2.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String sha512 = DOVECOT.stream().filter(v -> v.label().equals("SHA512-CRYPT")
                && v.password().equals(DovecotVectors.P2)).findFirst().orElseThrow().secret();
        assertThat(PasswordSchemes.verify(DovecotVectors.P2, sha512)).isTrue();
        assertThat(PasswordSchemes.verify(latin1View, sha512)).isFalse();
    }

    // ---- encode ----

    static Stream<Arguments> encodings() {
        return Stream.of(
                Arguments.of("ARGON2ID",
                        "\\{ARGON2ID}\\$argon2id\\$v=19\\$m=65536,t=3,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}"),
                Arguments.of("BLF-CRYPT", "\\{BLF-CRYPT}\\$2y\\$10\\$[./A-Za-z0-9]{53}"),
                Arguments.of("SHA512-CRYPT", "\\{SHA512-CRYPT}\\$6\\$[./A-Za-z0-9]{16}\\$[./A-Za-z0-9]{86}"),
                Arguments.of("SHA256-CRYPT", "\\{SHA256-CRYPT}\\$5\\$[./A-Za-z0-9]{16}\\$[./A-Za-z0-9]{43}"),
                Arguments.of("PLAIN", "\\{PLAIN}" + DovecotVectors.P2),
                Arguments.of("SCRAM-SHA-256",
                        "\\{SCRAM-SHA-256}4096,[A-Za-z0-9+/]{22}==,[A-Za-z0-9+/]{43}=,[A-Za-z0-9+/]{43}="),
                Arguments.of("SCRAM-SHA-1",
                        "\\{SCRAM-SHA-1}4096,[A-Za-z0-9+/]{22}==,[A-Za-z0-9+/]{27}=,[A-Za-z0-9+/]{27}="));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encodings")
    void encodeWritesDovecotFormatThatVerifies(String scheme, String format) {
        String secret = PasswordSchemes.encode(scheme, DovecotVectors.P2);
        assertThat(secret).matches(format);
        assertThat(PasswordSchemes.verify(DovecotVectors.P2, secret)).isTrue();
        assertThat(PasswordSchemes.verify(wrong(DovecotVectors.P2), secret)).isFalse();
        assertThat(PasswordSchemes.verify("", secret)).isFalse();
    }

    @Test
    void argon2idEncodingDecodesToSixteenByteSaltAndThirtyTwoByteHash() {
        String secret = PasswordSchemes.encode("ARGON2ID", P1);
        String[] parts = secret.split("\\$");
        assertThat(Base64.getDecoder().decode(parts[4])).hasSize(16);
        assertThat(Base64.getDecoder().decode(parts[5])).hasSize(32);
        assertThat(parts[4] + parts[5]).doesNotContain("="); // unpadded, as libsodium writes
    }

    @ParameterizedTest
    @ValueSource(strings = {"ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "SCRAM-SHA-256", "SCRAM-SHA-1"})
    void encodeUsesFreshSalts(String scheme) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            seen.add(PasswordSchemes.encode(scheme, P1));
        }
        assertThat(seen).hasSize(3);
    }

    @Test
    void encodeSchemeIsCaseInsensitiveAndOutputIsUpperCase() {
        assertThat(PasswordSchemes.encode("sha256-crypt", P1)).startsWith("{SHA256-CRYPT}$5$");
        assertThat(PasswordSchemes.encode("Plain", P1)).isEqualTo("{PLAIN}" + P1);
    }

    @Test
    void bcryptEncodingCountsOnly72Bytes() {
        String secret = PasswordSchemes.encode("BLF-CRYPT", DovecotVectors.LONG);
        assertThat(PasswordSchemes.verify("0123456789".repeat(8), secret)).isTrue();
        assertThat(PasswordSchemes.verify("0123456789".repeat(7), secret)).isFalse();
    }

    @Test
    void plainFallsBackToBase64WhenThePasswordCannotSitOnAPasswdLine() {
        for (String password : List.of(DovecotVectors.P3, "line\nbreak", "tab\there", "nul\0")) {
            String secret = PasswordSchemes.encode("PLAIN", password);
            assertThat(secret).startsWith("{PLAIN.B64}").doesNotContain(":", "\n", "\t", "\0");
            assertThat(PasswordSchemes.verify(password, secret)).isTrue();
            assertThat(PasswordSchemes.plaintext(secret)).contains(password);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"MD5-CRYPT", "CRYPT", "SSHA", "ARGON2I", "PLAIN.B64", "CLEAR", "", "NOPE"})
    void encodeRejectsOtherSchemesListingTheSupportedOnes(String scheme) {
        assertThatThrownBy(() -> PasswordSchemes.encode(scheme, P1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + scheme + "'")
                .hasMessageContaining("ARGON2ID, BLF-CRYPT, SHA512-CRYPT, SHA256-CRYPT, PLAIN, SCRAM-SHA-256, SCRAM-SHA-1");
    }

    @Test
    void encodeRejectsNullScheme() {
        assertThatThrownBy(() -> PasswordSchemes.encode(null, P1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodableSchemesAreTheSevenWithTheDefaultFirstAndCannotBeChanged() {
        assertThat(PasswordSchemes.DEFAULT_SCHEME).isEqualTo("ARGON2ID");
        assertThat(PasswordSchemes.encodableSchemes()).containsExactly(
                "ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-1");
        assertThatThrownBy(() -> PasswordSchemes.encodableSchemes().add("X"))
                .isInstanceOf(UnsupportedOperationException.class);
        for (String scheme : PasswordSchemes.encodableSchemes()) {
            assertThat(PasswordSchemes.encode(scheme, "pw")).startsWith("{" + scheme + "}");
        }
    }

    // ---- plaintext ----

    static Stream<Arguments> plaintexts() {
        return Stream.of(
                Arguments.of("{PLAIN}" + P1, Optional.of(P1)),
                Arguments.of("{CLEAR}" + P1, Optional.of(P1)),
                Arguments.of("{cleartext}" + P1, Optional.of(P1)),
                Arguments.of("{PLAIN}", Optional.of("")),
                Arguments.of("{PLAIN.B64}cMOkc3N3w7ZyZCDimIMg8J+UkQ==", Optional.of(DovecotVectors.P2)),
                Arguments.of("{plain.base64}cGE6c3Mgd2Q=", Optional.of(DovecotVectors.P3)),
                Arguments.of("{PLAIN.HEX}70613a7373207764", Optional.of(DovecotVectors.P3)),
                Arguments.of("{PLAIN.B64}!!", Optional.empty()),
                Arguments.of("{PLAIN.B64}/w==", Optional.empty()), // 0xFF is not UTF-8
                Arguments.of("{PLAIN.ROT13}abc", Optional.empty()),
                Arguments.of("{SSHA}tstYvd5kOWldcqNwsw852OvqmNNzGcpz", Optional.empty()),
                Arguments.of("{BLF-CRYPT}$2y$05$n4OQgpACmFcaFTR/pAUEgubsovfZOhDjtcNYIlBAyXapu0p51vUoy", Optional.empty()),
                Arguments.of("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$1HbpJeLEPsO2OstfMtLxqA$FNQF", Optional.empty()),
                Arguments.of(P1, Optional.empty()),
                Arguments.of("{NOPE}" + P1, Optional.empty()),
                Arguments.of("{PLAIN" + P1, Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plaintexts")
    void plaintextOnlyForCleartextSchemes(String secret, Optional<String> expected) {
        assertThat(PasswordSchemes.plaintext(secret)).isEqualTo(expected);
    }

    // ---- cross-check with the real Dovecot, when installed ----

    /**
     * Runs {@code doveadm pw -t} on what {@link PasswordSchemes#encode} writes. Skipped where Dovecot is not
     * installed; the pinned vectors above cover the other direction everywhere.
     */
    @Test
    void doveadmAcceptsWhatEncodeWrites() throws Exception {
        Optional<Path> doveadm = Stream.of("/usr/bin/doveadm", "/usr/local/bin/doveadm", "/usr/sbin/doveadm")
                .map(Path::of).filter(Files::isExecutable).findFirst();
        Assumptions.assumeTrue(doveadm.isPresent(), "doveadm is not installed");
        List<String> failures = new ArrayList<>();
        for (String scheme : PasswordSchemes.encodableSchemes()) {
            for (String password : List.of(P1, DovecotVectors.P2)) {
                String secret = PasswordSchemes.encode(scheme, password);
                if (run(doveadm.get(), secret, password) != 0) {
                    failures.add(scheme + " rejected: " + secret);
                }
                if (run(doveadm.get(), secret, wrong(password)) == 0) {
                    failures.add(scheme + " accepted a wrong password: " + secret);
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    private static int run(Path doveadm, String secret, String password) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(doveadm.toString(), "pw", "-t", secret, "-p", password)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("doveadm timed out");
        }
        return p.exitValue();
    }
}
