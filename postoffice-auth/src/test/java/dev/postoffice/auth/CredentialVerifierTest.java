package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CredentialVerifierTest {
    /** RFC 1939, section 7. */
    private static final String RFC_TIMESTAMP = "<1896.697170952@dbc.mtview.ca.us>";
    private static final String RFC_SECRET = "tanstaaf";
    private static final String RFC_DIGEST = "c4c9334bac560ecc979e58001b3e22fb";

    /** doveadm pw -s SHA512-CRYPT -p 'correct horse battery staple' */
    private static final String SHA512 = DovecotVectors.ALL.stream()
            .filter(v -> v.label().equals("SHA512-CRYPT") && v.password().equals(DovecotVectors.P1))
            .findFirst().orElseThrow().secret();
    /** doveadm pw -s ARGON2ID -p 'correct horse battery staple' */
    private static final String ARGON2ID = DovecotVectors.ALL.stream()
            .filter(v -> v.label().equals("ARGON2ID") && v.password().equals(DovecotVectors.P1))
            .findFirst().orElseThrow().secret();

    private static final class MapDirectory implements UserDirectory {
        final Map<String, UserRecord> users = new HashMap<>();

        MapDirectory with(String name, String secret) {
            users.put(name, new UserRecord(name, secret, Optional.of(Path.of("/srv/mail", name)), Map.of()));
            return this;
        }

        @Override
        public Optional<UserRecord> find(String name) {
            return Optional.ofNullable(users.get(name));
        }
    }

    private final MapDirectory directory = new MapDirectory()
            .with("alice", SHA512)
            .with("argon", ARGON2ID)
            .with("rfc", "{PLAIN}" + RFC_SECRET)
            .with("rfc-clear", "{CLEAR}" + RFC_SECRET)
            .with("rfc-b64", "{PLAIN.B64}dGFuc3RhYWY=")
            .with("empty", "{PLAIN}")
            .with("hashed-rfc", PasswordSchemes.encode("SHA256-CRYPT", RFC_SECRET))
            .with("broken", "{NOPE}whatever");
    private final AuthService auth = TestAuth.service(directory);

    private static AuthResult success(String name) {
        return new AuthResult.Success(TestAuth.account(name, Optional.of(Path.of("/srv/mail", name))));
    }

    // ---- USER/PASS ----

    @Test
    void rightPasswordGivesTheAccount() {
        assertThat(auth.checkPassword("alice", DovecotVectors.P1)).isEqualTo(success("alice"));
        assertThat(auth.checkPassword("argon", DovecotVectors.P1)).isEqualTo(success("argon"));
        assertThat(auth.checkPassword("rfc", RFC_SECRET)).isEqualTo(success("rfc"));
    }

    /**
     * A cleartext or salted-digest secret is checked in the session's own thread: a refusing hashing pool (queue
     * of 0) still lets those users in, and still answers the slow schemes that need it with Unavailable.
     */
    @Test
    void cheapSecretsAreCheckedWithoutThePoolAndSlowOnesStillUseIt() {
        try (HashExecutor refusing = new HashExecutor(1, 0)) {
            AuthService pooled = new CredentialVerifier(directory, refusing);
            assertThat(pooled.checkPassword("rfc", RFC_SECRET)).isEqualTo(success("rfc"));
            assertThat(pooled.checkPassword("rfc-b64", RFC_SECRET)).isEqualTo(success("rfc-b64"));
            assertThat(pooled.checkPassword("rfc", "wrong")).isEqualTo(new AuthResult.Rejected());
            assertThat(pooled.checkPassword("alice", DovecotVectors.P1)).isInstanceOf(AuthResult.Unavailable.class);
            assertThat(pooled.checkPassword("nobody", RFC_SECRET)).isInstanceOf(AuthResult.Unavailable.class);
        }
        assertThat(PasswordSchemes.cheap("{PLAIN}x")).isTrue();
        assertThat(PasswordSchemes.cheap(PasswordSchemes.encode("SHA512-CRYPT", "x"))).isFalse();
        assertThat(PasswordSchemes.cheap(PasswordSchemes.encode("SCRAM-SHA-256", "x"))).isFalse();
        assertThat(PasswordSchemes.cheap("{NOPE}x")).isFalse();
        assertThat(PasswordSchemes.cheap(null)).isFalse();
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("alice", "wrong"),
                Arguments.of("alice", ""),
                Arguments.of("alice", DovecotVectors.P1 + " "),
                Arguments.of("Alice", DovecotVectors.P1),
                Arguments.of("nobody", DovecotVectors.P1),
                Arguments.of("", ""),
                Arguments.of("empty", ""),
                Arguments.of("broken", "whatever"),
                Arguments.of("broken", "{NOPE}whatever"));
    }

    @ParameterizedTest
    @MethodSource("rejected")
    void wrongPasswordsUnknownUsersEmptyPasswordsAndBrokenSecretsAreRejected(String user, String password) {
        assertThat(auth.checkPassword(user, password)).isEqualTo(new AuthResult.Rejected());
    }

    @Test
    void worksWithAPasswdFile(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("users");
        Files.writeString(path, "carol:" + PasswordSchemes.encode("BLF-CRYPT", "s3cret") + "::::/var/mail/carol\n");
        AuthService fileAuth = TestAuth.service(new PasswdFile(path));
        assertThat(fileAuth.checkPassword("carol", "s3cret"))
                .isEqualTo(new AuthResult.Success(TestAuth.account("carol", Optional.of(Path.of("/var/mail/carol")))));
        assertThat(fileAuth.checkPassword("carol", "S3cret")).isEqualTo(new AuthResult.Rejected());
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of(new AccessDeniedException("/etc/postoffice/users")),
                Arguments.of(new UncheckedIOException(new IOException("disk on fire"))));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void directoryFailuresAreUnavailableWithAReasonButNoSecret(Exception failure) {
        UserDirectory failing = name -> {
            if (failure instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) failure;
        };
        // The cache looks the user up itself: both it and the bare verifier.
        CredentialVerifier bare = new CredentialVerifier(failing, TestAuth.HASHING);
        for (AuthService failingAuth : new AuthService[] {new LoginCache(bare), bare}) {
            AuthResult pass = failingAuth.checkPassword("alice", "hunter2");
            AuthResult apop = failingAuth.checkApop("alice", RFC_TIMESTAMP, RFC_DIGEST);
            for (AuthResult result : new AuthResult[] {pass, apop}) {
                assertThat(result).isInstanceOf(AuthResult.Unavailable.class);
                String reason = ((AuthResult.Unavailable) result).reason();
                assertThat(reason).contains(failure.getClass().getSimpleName()).doesNotContain("hunter2");
            }
            assertThat(((AuthResult.Unavailable) pass).reason()).contains(failure.getMessage());
        }
    }

    @Test
    void otherRuntimeExceptionsFromTheDirectoryPropagate() {
        AuthService buggy = TestAuth.service(name -> {
            throw new IllegalStateException("bug");
        });
        assertThatThrownBy(() -> buggy.checkPassword("alice", "pw")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void nullsAreRefused() {
        assertThatThrownBy(() -> TestAuth.service(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> auth.checkPassword(null, "pw")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> auth.checkPassword("alice", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> auth.checkApop("alice", null, RFC_DIGEST)).isInstanceOf(NullPointerException.class);
    }

    /**
     * An unknown user must cost about what a wrong password for a real ARGON2ID user costs. Without the dummy
     * verification the unknown user takes microseconds against a hundred milliseconds or more, so the generous
     * factor below still catches a regression.
     */
    @Test
    void unknownUsersCostAsMuchAsWrongPasswords() {
        // Not timed (timing assertions flake under load): the unknown user must cost exactly one
        // verification with the default scheme's parameters, as a wrong password of a default-scheme user.
        Queue<String> verifiedSchemes = new ConcurrentLinkedQueue<>();
        AuthService observed = new LoginCache(new CredentialVerifier(directory, TestAuth.HASHING, Optional.empty(),
                verifiedSchemes::add));
        observed.checkPassword("argon", "wrong");
        observed.checkPassword("nobody", "wrong");
        assertThat(verifiedSchemes).containsExactly("{ARGON2ID}", "{ARGON2ID}");
    }

    // ---- APOP ----

    @ParameterizedTest
    @ValueSource(strings = {"rfc", "rfc-clear", "rfc-b64"})
    void apopMatchesRfc1939Example(String user) {
        assertThat(auth.checkApop(user, RFC_TIMESTAMP, RFC_DIGEST)).isEqualTo(success(user));
    }

    @Test
    void apopAcceptsUpperCaseHex() {
        assertThat(auth.checkApop("rfc", RFC_TIMESTAMP, RFC_DIGEST.toUpperCase())).isEqualTo(success("rfc"));
    }

    static Stream<Arguments> apopRejected() {
        return Stream.of(
                Arguments.of("wrong digest", "rfc", RFC_TIMESTAMP, "c4c9334bac560ecc979e58001b3e22fc"),
                Arguments.of("other timestamp", "rfc", "<1896.697170953@dbc.mtview.ca.us>", RFC_DIGEST),
                Arguments.of("timestamp without brackets", "rfc", "1896.697170952@dbc.mtview.ca.us", RFC_DIGEST),
                Arguments.of("short digest", "rfc", RFC_TIMESTAMP, RFC_DIGEST.substring(1)),
                Arguments.of("long digest", "rfc", RFC_TIMESTAMP, RFC_DIGEST + "0"),
                Arguments.of("non-hex digest", "rfc", RFC_TIMESTAMP, "g4c9334bac560ecc979e58001b3e22fb"),
                Arguments.of("empty digest", "rfc", RFC_TIMESTAMP, ""),
                Arguments.of("zero digest", "rfc", RFC_TIMESTAMP, "0".repeat(32)),
                Arguments.of("unknown user", "nobody", RFC_TIMESTAMP, RFC_DIGEST),
                Arguments.of("hashed secret, right password", "hashed-rfc", RFC_TIMESTAMP, RFC_DIGEST),
                Arguments.of("broken secret", "broken", RFC_TIMESTAMP, RFC_DIGEST),
                Arguments.of("user name case", "RFC", RFC_TIMESTAMP, RFC_DIGEST));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apopRejected")
    void apopRejects(String label, String user, String timestamp, String digest) {
        assertThat(auth.checkApop(user, timestamp, digest)).isEqualTo(new AuthResult.Rejected());
    }

    @Test
    void apopForAnEmptyCleartextIsRejectedEvenWithTheRightDigest() throws Exception {
        String digestOfTimestampAlone = HexFormat.of().formatHex(
                MessageDigest.getInstance("MD5").digest(RFC_TIMESTAMP.getBytes(StandardCharsets.UTF_8)));
        assertThat(auth.checkApop("empty", RFC_TIMESTAMP, digestOfTimestampAlone)).isEqualTo(new AuthResult.Rejected());
    }
}
