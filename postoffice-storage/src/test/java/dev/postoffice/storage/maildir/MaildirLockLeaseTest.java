package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.maildir.lock.Owner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** UPDATE is fenced by the lease: a session whose lock file is no longer its own removes nothing. */
class MaildirLockLeaseTest {
    private static final String THEIRS =
            new Owner("elsewhere.example", 4242, Instant.now(), null, -1, Instant.now(), "feedfacefeedface").line();

    @TempDir
    Path dataDir;

    private MaildirStore store;

    @BeforeEach
    void openStore() {
        store = new MaildirStore(dataDir);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    /** The user's maildrop with two messages, opened. */
    private Maildrop openWithMail(MailboxRef ref) throws Exception {
        for (int i = 0; i < 2; i++) {
            store.deliver(ref, Envelope.none(), Fixtures.input("Subject: " + i + "\n\nbody\n"));
        }
        Maildrop m = store.open(ref);
        assertThat(m.messages()).hasSize(2);
        return m;
    }

    private Path maildir() {
        return dataDir.resolve("home").resolve(USER).resolve("Maildir");
    }

    private Path lock() {
        return maildir().resolve(MaildirStore.LOCK_FILE);
    }

    private void assertCommitFencedAndNothingRemoved(Maildrop m, Path maildir) throws Exception {
        assertThatThrownBy(() -> m.commit(m.messages(), List.of(), Instant.now()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(Fixtures.names(maildir.resolve("new"))).hasSize(2);
    }

    @Test
    void aHeldLeaseCommits() throws Exception {
        try (Maildrop m = openWithMail(MailboxRef.of(USER))) {
            store.locks().refresh();
            m.commit(m.messages(), List.of(), Instant.now());
        }
        assertThat(Fixtures.names(maildir().resolve("new"))).isEmpty();
    }

    @Test
    void aLockBrokenAndTakenByAnotherHostFencesTheCommit() throws Exception {
        try (Maildrop m = openWithMail(MailboxRef.of(USER))) {
            Files.delete(lock()); // as the other host broke it as stale, and took it
            Files.writeString(lock(), THEIRS);
            assertCommitFencedAndNothingRemoved(m, maildir());
        }
        assertThat(Files.readString(lock())).isEqualTo(THEIRS);
    }

    @Test
    void aVanishedLockFencesTheCommit() throws Exception {
        try (Maildrop m = openWithMail(MailboxRef.of(USER))) {
            Files.delete(lock());
            assertCommitFencedAndNothingRemoved(m, maildir());
        }
    }

    @Test
    void aSeparateLockFileTakenByAnotherFencesTheCommit() throws Exception {
        Path home = Files.createDirectory(dataDir.resolve("carol-home"));
        Path maildir = home.resolve("Maildir");
        try (Maildrop m = openWithMail(new MailboxRef("carol", Optional.of(home.toString())))) {
            Path lock = maildir.resolve(MaildirStore.LOCK_FILE);
            Files.delete(lock);
            Files.writeString(lock, THEIRS);
            assertCommitFencedAndNothingRemoved(m, maildir);
        }
    }

    @Test
    void theRefresherMarksALostLinkedLockAndTheLeaseFailsWithoutAFileCheck() throws Exception {
        try (Maildrop m = openWithMail(MailboxRef.of(USER))) {
            Path template = store.locks().template(dataDir.resolve("home"));
            Files.delete(lock());
            store.locks().refresh(); // notices
            // A link to our template back in place: a check of the file alone would find it ours again, but
            // another session may have held the maildrop meanwhile.
            Files.createLink(lock(), template);
            assertCommitFencedAndNothingRemoved(m, maildir());
        }
    }

    @Test
    void theRefresherMarksALostSeparateLockAndStopsTouchingIt() throws Exception {
        Path home = Files.createDirectory(dataDir.resolve("carol-home"));
        Path maildir = home.resolve("Maildir");
        try (Maildrop m = openWithMail(new MailboxRef("carol", Optional.of(home.toString())))) {
            Path lock = maildir.resolve(MaildirStore.LOCK_FILE);
            String ours = Files.readString(lock);
            Files.delete(lock);
            Files.writeString(lock, THEIRS);
            FileTime old = FileTime.from(Instant.now().minus(Duration.ofMinutes(11)));
            Files.setLastModifiedTime(lock, old);
            store.locks().refresh();
            assertThat(Files.getLastModifiedTime(lock)).as("another's lock is not ours to refresh").isEqualTo(old);
            Files.delete(lock);
            Files.writeString(lock, ours); // our own line back: lost all the same
            assertCommitFencedAndNothingRemoved(m, maildir);
        }
    }
}
