package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache of successful password checks in {@link LoginCache#checkPassword}; work is counted, not timed. */
class LoginCacheTest {
    private static final String P1 = DovecotVectors.P1;
    /** doveadm pw -s SHA512-CRYPT -p 'correct horse battery staple' */
    private static final String SHA512 = DovecotVectors.ALL.stream()
            .filter(v -> v.label().equals("SHA512-CRYPT") && v.password().equals(P1))
            .findFirst().orElseThrow().secret();
    private static final Duration TTL = Duration.ofSeconds(60);

    /** A directory that can change while the cache uses it, and counts lookups. */
    private static final class MutableDirectory implements UserDirectory {
        final Map<String, UserRecord> users = new ConcurrentHashMap<>();
        final AtomicInteger finds = new AtomicInteger();

        MutableDirectory with(String name, String secret) {
            return with(name, secret, "/srv/mail/" + name);
        }

        MutableDirectory with(String name, String secret, String home) {
            users.put(name, new UserRecord(name, secret, Optional.of(Path.of(home)), Map.of()));
            return this;
        }

        @Override
        public Optional<UserRecord> find(String name) {
            finds.incrementAndGet();
            return Optional.ofNullable(users.get(name));
        }
    }

    private final MutableDirectory directory = new MutableDirectory()
            .with("alice", SHA512)
            .with("bob", "{PLAIN}bobs password")
            .with("empty", "{PLAIN}");
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Queue<String> verifiedSchemes = new ConcurrentLinkedQueue<>();
    private final LoginCache auth = cache(directory, TTL);

    /** A cache over a verifier that records the schemes it verifies in {@link #verifiedSchemes}. */
    private LoginCache cache(UserDirectory users, Duration ttl) {
        return new LoginCache(new CredentialVerifier(users, TestAuth.HASHING, Optional.empty(), verifiedSchemes::add),
                ttl, now::get);
    }

    private static AuthResult success(String name) {
        return success(name, "/srv/mail/" + name);
    }

    private static AuthResult success(String name, String home) {
        return new AuthResult.Success(TestAuth.account(name, Optional.of(Path.of(home))));
    }

    @Test
    void theDefaultTtlIsAMinute() {
        assertThat(LoginCache.DEFAULT_TTL).isEqualTo(Duration.ofSeconds(60));
        LoginCache byDefault = new LoginCache(new CredentialVerifier(directory, TestAuth.HASHING));
        byDefault.checkPassword("bob", "bobs password");
        byDefault.checkPassword("bob", "bobs password");
        assertThat(byDefault.verifications()).isEqualTo(1);
    }

    @Test
    void aRepeatedSuccessSkipsTheVerificationButNotTheLookup() {
        verifiedSchemes.clear();
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        assertThat(verifiedSchemes).containsExactly("{SHA512-CRYPT}");
        assertThat(auth.verifications()).isEqualTo(1);
        assertThat(directory.finds).hasValue(3);
        assertThat(auth.size()).isEqualTo(1);
    }

    @Test
    void aWrongPasswordAfterACachedSuccessIsVerifiedInFullAndRejected() {
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        verifiedSchemes.clear();
        assertThat(auth.checkPassword("alice", "wrong")).isEqualTo(new AuthResult.Rejected());
        assertThat(auth.checkPassword("alice", P1 + " ")).isEqualTo(new AuthResult.Rejected());
        assertThat(auth.checkPassword("alice", P1.toUpperCase())).isEqualTo(new AuthResult.Rejected());
        assertThat(verifiedSchemes).containsExactly("{SHA512-CRYPT}", "{SHA512-CRYPT}", "{SHA512-CRYPT}");
        // The wrong attempts did not evict the right password's entry.
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        assertThat(auth.verifications()).isEqualTo(4);
    }

    @Test
    void aChangedSecretIsNeverServedFromTheCache() {
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        directory.with("bob", "{PLAIN}new password");

        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(new AuthResult.Rejected());
        assertThat(auth.verifications()).isEqualTo(2);
        assertThat(auth.checkPassword("bob", "new password")).isEqualTo(success("bob"));
        assertThat(auth.checkPassword("bob", "new password")).isEqualTo(success("bob"));
        assertThat(auth.verifications()).isEqualTo(3);
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(new AuthResult.Rejected());
        assertThat(auth.verifications()).isEqualTo(4);
    }

    @Test
    void aRehashedSameSecretIsVerifiedAgain() {
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        directory.with("alice", PasswordSchemes.encode("SHA256-CRYPT", P1));
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        assertThat(auth.checkPassword("alice", P1)).isEqualTo(success("alice"));
        assertThat(auth.verifications()).isEqualTo(2);
    }

    @Test
    void aCachedSuccessGivesTheAccountAsTheDirectoryHasItNow() {
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        directory.with("bob", "{PLAIN}bobs password", "/srv/other/bob");
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob", "/srv/other/bob"));
        assertThat(auth.verifications()).isEqualTo(1);
    }

    @Test
    void aRemovedUserIsRejectedAfterTheDummyVerification() {
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        directory.users.remove("bob");
        verifiedSchemes.clear();
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(new AuthResult.Rejected());
        assertThat(verifiedSchemes).containsExactly("{" + PasswordSchemes.DEFAULT_SCHEME + "}");
    }

    @Test
    void entriesExpireAfterTheTtl() {
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        now.addAndGet(TTL.toNanos() - 1);
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        assertThat(auth.verifications()).isEqualTo(1);

        now.addAndGet(1);
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        assertThat(auth.verifications()).as("expired: verified again").isEqualTo(2);
        // ...and remembered again from then on.
        now.addAndGet(TTL.toNanos() - 1);
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        assertThat(auth.verifications()).isEqualTo(2);
    }

    @Test
    void expiredEntriesAreSweptOnLaterLogins() {
        auth.checkPassword("bob", "bobs password");
        auth.checkPassword("alice", P1);
        assertThat(auth.size()).isEqualTo(2);
        now.addAndGet(TTL.toNanos());
        auth.checkPassword("nobody", "whatever"); // any login after a TTL sweeps
        assertThat(auth.size()).isZero();
    }

    @Test
    void aZeroTtlDisablesTheCache() {
        LoginCache uncached = cache(directory, Duration.ZERO);
        for (int i = 0; i < 3; i++) {
            assertThat(uncached.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        }
        assertThat(uncached.verifications()).isEqualTo(3);
        assertThat(uncached.size()).isZero();
    }

    @Test
    void unknownUsersAreNeverCached() {
        for (int i = 0; i < 3; i++) {
            assertThat(auth.checkPassword("nobody", "pw")).isEqualTo(new AuthResult.Rejected());
        }
        assertThat(auth.verifications()).isEqualTo(3);
        assertThat(auth.size()).isZero();
    }

    @Test
    void wrongAndEmptyPasswordsAreNeverCached() {
        for (int i = 0; i < 2; i++) {
            assertThat(auth.checkPassword("bob", "wrong")).isEqualTo(new AuthResult.Rejected());
            assertThat(auth.checkPassword("empty", "")).isEqualTo(new AuthResult.Rejected());
            assertThat(auth.checkPassword("bob", "")).isEqualTo(new AuthResult.Rejected());
        }
        assertThat(auth.verifications()).isEqualTo(6);
        assertThat(auth.size()).isZero();
    }

    @Test
    void entriesArePerUser() {
        directory.with("carol", "{PLAIN}bobs password");
        assertThat(auth.checkPassword("bob", "bobs password")).isEqualTo(success("bob"));
        assertThat(auth.checkPassword("carol", "bobs password")).isEqualTo(success("carol"));
        assertThat(auth.checkPassword("carol", "bobs password")).isEqualTo(success("carol"));
        assertThat(auth.verifications()).isEqualTo(2);
        assertThat(auth.size()).isEqualTo(2);
    }

    /** Strings that UTF-8 encodes alike (an unpaired surrogate becomes '?') are still different passwords. */
    @Test
    void passwordsAreComparedExactly() {
        directory.with("q", "{PLAIN}a?");
        assertThat(auth.checkPassword("q", "a?")).isEqualTo(success("q"));
        auth.checkPassword("q", "a\uD800");
        assertThat(auth.verifications()).isEqualTo(2);
    }

    @Test
    void theCacheIsBounded() {
        int max = LoginCache.MAX_ENTRIES;
        for (int i = 0; i < max + 1; i++) {
            directory.with("u" + i, "{PLAIN}pw" + i);
        }
        for (int i = 0; i < max; i++) {
            assertThat(auth.checkPassword("u" + i, "pw" + i)).isEqualTo(success("u" + i));
        }
        assertThat(auth.size()).isEqualTo(max);

        // Full of live entries: one more user succeeds, but is not remembered; the others stay.
        String extra = "u" + max;
        assertThat(auth.checkPassword(extra, "pw" + max)).isEqualTo(success(extra));
        assertThat(auth.checkPassword(extra, "pw" + max)).isEqualTo(success(extra));
        assertThat(auth.verifications()).isEqualTo(max + 2);
        assertThat(auth.size()).isEqualTo(max);
        assertThat(auth.checkPassword("u0", "pw0")).isEqualTo(success("u0"));
        assertThat(auth.verifications()).isEqualTo(max + 2);

        // Once they expire, there is room again.
        now.addAndGet(TTL.toNanos());
        assertThat(auth.checkPassword(extra, "pw" + max)).isEqualTo(success(extra));
        assertThat(auth.checkPassword(extra, "pw" + max)).isEqualTo(success(extra));
        assertThat(auth.verifications()).isEqualTo(max + 3);
        assertThat(auth.size()).isEqualTo(1);
    }

    /** A passwd-file edit (`user passwd`) takes effect at the next login, cache or not. */
    @Test
    void passwdFileEditsTakeEffectAtOnce(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("users");
        PasswdFile file = new PasswdFile(path);
        file.add("dave", PasswordSchemes.encode("SHA256-CRYPT", "old"));
        LoginCache fileAuth = cache(new PasswdFile(path), TTL);
        assertThat(fileAuth.checkPassword("dave", "old")).isInstanceOf(AuthResult.Success.class);
        assertThat(fileAuth.checkPassword("dave", "old")).isInstanceOf(AuthResult.Success.class);
        assertThat(fileAuth.verifications()).isEqualTo(1);

        file.setSecret("dave", PasswordSchemes.encode("SHA256-CRYPT", "new"));
        assertThat(fileAuth.checkPassword("dave", "old")).isEqualTo(new AuthResult.Rejected());
        assertThat(fileAuth.checkPassword("dave", "new")).isInstanceOf(AuthResult.Success.class);

        Files.writeString(path, ""); // removed by hand
        assertThat(fileAuth.checkPassword("dave", "new")).isEqualTo(new AuthResult.Rejected());
    }

    @Test
    void badTtlsAreRefused() {
        assertThatThrownBy(() -> new LoginCache(new CredentialVerifier(directory, TestAuth.HASHING), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LoginCache(new CredentialVerifier(directory, TestAuth.HASHING), null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new LoginCache(null, TTL)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void hugeTtlsWork() {
        LoginCache forever = cache(directory, Duration.ofSeconds(Long.MAX_VALUE));
        forever.checkPassword("bob", "bobs password");
        now.addAndGet(Duration.ofDays(300).toNanos());
        forever.checkPassword("bob", "bobs password");
        assertThat(forever.verifications()).isEqualTo(1);
    }
}
