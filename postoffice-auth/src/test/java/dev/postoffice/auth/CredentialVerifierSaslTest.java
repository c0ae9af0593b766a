package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the SASL adapter asks of {@link AuthService}: CRAM-MD5, SCRAM credentials, authorization, capabilities. */
class CredentialVerifierSaslTest {
    /** RFC 2195 section 2. */
    private static final String RFC_CHALLENGE = "<1896.697170952@postoffice.reston.mci.net>";
    private static final String RFC_DIGEST = "b913a602c7eda7a495b4e6e7334d3890";
    private static final String SCRAM_SHA256 = DovecotVectors.ALL.stream()
            .filter(v -> v.label().equals("SCRAM-SHA-256") && v.password().equals("pencil"))
            .findFirst().orElseThrow().secret();
    private static final String SHA512 = DovecotVectors.ALL.stream()
            .filter(v -> v.label().equals("SHA512-CRYPT") && v.password().equals(DovecotVectors.P1))
            .findFirst().orElseThrow().secret();

    private static final class MapDirectory implements UserDirectory {
        final Map<String, UserRecord> users = new HashMap<>();

        MapDirectory with(String name, String secret) {
            users.put(name, new UserRecord(name, secret, Optional.empty(), Map.of()));
            return this;
        }

        @Override
        public Optional<UserRecord> find(String name) {
            return Optional.ofNullable(users.get(name));
        }
    }

    private final MapDirectory directory = new MapDirectory()
            .with("tim", "{PLAIN}tanstaaftanstaaf")
            .with("tim-b64", "{PLAIN.B64}" + java.util.Base64.getEncoder()
                    .encodeToString("tanstaaftanstaaf".getBytes(StandardCharsets.UTF_8)))
            .with("hashed", PasswordSchemes.encode("SHA256-CRYPT", "tanstaaftanstaaf"))
            .with("empty", "{PLAIN}")
            .with("scram", SCRAM_SHA256)
            .with("crypt", SHA512);
    private final AuthService auth = TestAuth.service(directory);

    private static AuthResult success(String name) {
        return new AuthResult.Success(TestAuth.account(name, Optional.empty()));
    }

    // ---- CRAM-MD5 ----

    @Test
    void cramMd5MatchesRfc2195Example() {
        assertThat(auth.checkCramMd5("tim", RFC_CHALLENGE, RFC_DIGEST)).isEqualTo(success("tim"));
        assertThat(auth.checkCramMd5("tim-b64", RFC_CHALLENGE, RFC_DIGEST)).isEqualTo(success("tim-b64"));
    }

    static Stream<Arguments> cramRejected() {
        return Stream.of(
                Arguments.of("wrong digest", "tim", RFC_CHALLENGE, "b913a602c7eda7a495b4e6e7334d3891"),
                Arguments.of("other challenge", "tim", "<1896.697170953@postoffice.reston.mci.net>", RFC_DIGEST),
                Arguments.of("short digest", "tim", RFC_CHALLENGE, RFC_DIGEST.substring(1)),
                Arguments.of("non-hex digest", "tim", RFC_CHALLENGE, "x" + RFC_DIGEST.substring(1)),
                Arguments.of("unknown user", "nobody", RFC_CHALLENGE, RFC_DIGEST),
                Arguments.of("hashed secret, right password", "hashed", RFC_CHALLENGE, RFC_DIGEST),
                Arguments.of("SCRAM secret", "scram", RFC_CHALLENGE, RFC_DIGEST),
                Arguments.of("user name case", "Tim", RFC_CHALLENGE, RFC_DIGEST));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cramRejected")
    void cramMd5Rejects(String label, String user, String challenge, String digest) {
        assertThat(auth.checkCramMd5(user, challenge, digest)).isEqualTo(new AuthResult.Rejected());
    }

    @Test
    void cramMd5ForAnEmptyCleartextIsRejectedEvenWithTheRightDigest() throws Exception {
        Mac mac = Mac.getInstance("HmacMD5");
        mac.init(new SecretKeySpec(new byte[1], "HmacMD5"));
        String digest = HexFormat.of().formatHex(mac.doFinal(RFC_CHALLENGE.getBytes(StandardCharsets.UTF_8)));
        assertThat(auth.checkCramMd5("empty", RFC_CHALLENGE, digest)).isEqualTo(new AuthResult.Rejected());
    }

    // ---- SCRAM ----

    @Test
    void storedScramCredentialsAreReturnedAsStored() throws IOException {
        assertThat(auth.scram("scram", "SCRAM-SHA-256"))
                .isEqualTo(PasswordSchemes.scram(SCRAM_SHA256, "SCRAM-SHA-256"));
        assertThat(auth.scram("scram", "SCRAM-SHA-1")).isEmpty();
    }

    @Test
    void cleartextUsersGetCredentialsDerivedFromTheirPassword() throws IOException {
        for (String scheme : new String[] {"SCRAM-SHA-256", "SCRAM-SHA-1"}) {
            ScramSecret derived = auth.scram("tim", scheme).orElseThrow();
            ScramAlgorithm algorithm = ScramAlgorithm.forScheme(scheme).orElseThrow();
            assertThat(derived.iterations()).isEqualTo(4096);
            assertThat(derived.salt()).hasSize(16);
            assertThat(derived).isEqualTo(ScramSecret.derive(algorithm, "tanstaaftanstaaf", derived.salt(), 4096));
            assertThat(auth.scram("tim", scheme)).as("stable salt").contains(derived);
        }
    }

    @Test
    void derivedSaltsDifferPerUserAndHashButNotPerInstance() throws IOException {
        byte[] tim256 = auth.scram("tim", "SCRAM-SHA-256").orElseThrow().salt();
        byte[] tim1 = auth.scram("tim", "SCRAM-SHA-1").orElseThrow().salt();
        byte[] b64 = auth.scram("tim-b64", "SCRAM-SHA-256").orElseThrow().salt();
        assertThat(tim256).isNotEqualTo(tim1).isNotEqualTo(b64);
        assertThat(TestAuth.service(directory).scram("tim", "SCRAM-SHA-256").orElseThrow().salt()).isEqualTo(tim256);
    }

    @Test
    void noScramForUnknownHashedOrEmptyUsers() throws IOException {
        for (String user : new String[] {"nobody", "hashed", "crypt", "empty", "Tim"}) {
            assertThat(auth.scram(user, "SCRAM-SHA-256")).as(user).isEmpty();
        }
    }

    @Test
    void scramRefusesOtherSchemes() {
        assertThatThrownBy(() -> auth.scram("tim", "PLAIN")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scramPassesDirectoryFailuresOn() {
        AuthService failing = TestAuth.service(name -> {
            throw new AccessDeniedException("users");
        });
        assertThatThrownBy(() -> failing.scram("tim", "SCRAM-SHA-1")).isInstanceOf(AccessDeniedException.class);
        AuthService unchecked = TestAuth.service(name -> {
            throw new UncheckedIOException(new IOException("disk on fire"));
        });
        assertThatThrownBy(() -> unchecked.scram("tim", "SCRAM-SHA-1"))
                .isInstanceOf(IOException.class).hasMessage("disk on fire");
    }

    // ---- authorize ----

    @Test
    void authorizeLooksTheUserUpOnly() {
        assertThat(auth.authorize("crypt")).isEqualTo(success("crypt"));
        assertThat(auth.authorize("nobody")).isEqualTo(new AuthResult.Rejected());
        AuthResult failed = TestAuth.service(name -> {
            throw new AccessDeniedException("users");
        }).authorize("tim");
        assertThat(failed).isInstanceOf(AuthResult.Unavailable.class);
    }

    // ---- capabilities ----

    @Test
    void directoriesThatCannotEnumerateOfferEverything() {
        assertThat(auth.capabilities()).isEqualTo(DirectoryCapabilities.ALL);
    }

    @Test
    void capabilitiesOfAFailingDirectoryAreEverything() {
        UserDirectory failing = new UserDirectory() {
            @Override
            public Optional<UserRecord> find(String name) {
                return Optional.empty();
            }

            @Override
            public DirectoryCapabilities capabilities() throws IOException {
                throw new AccessDeniedException("users");
            }
        };
        assertThat(TestAuth.service(failing).capabilities()).isEqualTo(DirectoryCapabilities.ALL);
    }

    @Test
    void passwdFileCapabilitiesFollowTheFile(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("users");
        PasswdFile file = new PasswdFile(path);
        AuthService fileAuth = TestAuth.service(file);
        assertThat(fileAuth.capabilities()).usingRecursiveComparison().ignoringFields("coverage").isEqualTo(DirectoryCapabilities.NONE);

        file.add("crypt", SHA512);
        file.add("empty", "{PLAIN}");
        assertThat(fileAuth.capabilities()).usingRecursiveComparison().ignoringFields("coverage").isEqualTo(DirectoryCapabilities.NONE);

        file.add("scram", SCRAM_SHA256);
        assertThat(fileAuth.capabilities()).usingRecursiveComparison().ignoringFields("coverage").isEqualTo(new DirectoryCapabilities(false, false, true));
        assertThat(fileAuth.capabilities().scram("SCRAM-SHA-256")).isTrue();
        assertThat(fileAuth.capabilities().scram("scram-sha-1")).isFalse();
        assertThat(fileAuth.capabilities().cramMd5()).isFalse();

        file.add("tim", "{PLAIN}tanstaaftanstaaf");
        DirectoryCapabilities all = fileAuth.capabilities();
        assertThat(all).usingRecursiveComparison().ignoringFields("coverage").isEqualTo(new DirectoryCapabilities(true, false, true));
        assertThat(all.apop()).isTrue();
        assertThat(all.cramMd5()).isTrue();
        assertThat(all.scram("SCRAM-SHA-1")).isTrue();

        assertThat(all.coverage()).isEqualTo(new DirectoryCapabilities.Coverage(4, 1, 1, 2));
        assertThat(all.everyoneCan("SCRAM-SHA-256")).isFalse();
        assertThat(all.usersUnable("SCRAM-SHA-256")).isEqualTo(2);
        assertThat(all.usersUnable("CRAM-MD5")).isEqualTo(3);
        assertThat(all.usersUnable("PLAIN")).isZero();

        file.remove("tim");
        file.remove("scram");
        Files.writeString(path, "sha1:" + PasswordSchemes.encode("SCRAM-SHA-1", "pw") + "\n");
        assertThat(fileAuth.capabilities()).usingRecursiveComparison().ignoringFields("coverage").isEqualTo(new DirectoryCapabilities(false, true, false));
        assertThat(fileAuth.capabilities().everyoneCan("SCRAM-SHA-1")).isTrue();
        assertThat(fileAuth.capabilities().everyoneCan("SCRAM-SHA-256")).isFalse();
    }

    @Test
    void capabilitiesRefuseNonScramNames() {
        assertThatThrownBy(() -> DirectoryCapabilities.ALL.scram("PLAIN")).isInstanceOf(IllegalArgumentException.class);
    }
}
