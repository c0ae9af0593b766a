package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A RETR keeps the Maildir's directory handles for the next one; {@code releaseIdle} (the watchdog, for a session
 * waiting for its client) closes them, but never while an operation is using them.
 */
class MaildirIdleReleaseTest {
    @TempDir
    Path dataDir;

    @Test
    void retrKeepsTheDirectoriesUntilReleasedWhenIdle() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        assumeThat(Files.isDirectory(fds)).as("Linux /proc").isTrue();
        Path maildir = Fixtures.maildir(dataDir);
        put(maildir, "new", "1600000001.P1.host", "Subject: one\n\none\n");
        put(maildir, "cur", "1600000002.P2.host:2,S", "Subject: two\n\ntwo\n");
        MaildirStore store = new MaildirStore(dataDir);
        try (Maildrop drop = store.open(MailboxRef.of(USER))) {
            long before = count(fds);
            List<StoredMessage> messages = drop.messages();
            assertThat(Fixtures.read(drop, messages.get(0))).isEqualTo("Subject: one\n\none\n");
            assertThat(Fixtures.read(drop, messages.get(1))).isEqualTo("Subject: two\n\ntwo\n");
            MaildirDirs dirs = ((MaildirMaildrop) drop).dirs();
            assertThat(dirs.holding()).isTrue();
            assertThat(count(fds)).isGreaterThan(before);

            drop.releaseIdle();
            assertThat(dirs.holding()).isFalse();
            assertThat(count(fds)).isLessThanOrEqualTo(before);

            // the next RETR opens (and verifies) them again, and UPDATE releases them as before
            assertThat(Fixtures.read(drop, messages.get(1))).isEqualTo("Subject: two\n\ntwo\n");
            drop.commit(List.of(messages.get(0)), List.of(), Instant.now());
            assertThat(dirs.holding()).isFalse();
            assertThat(maildir.resolve("new/1600000001.P1.host")).doesNotExist();
        }
    }

    @Test
    void releaseIdleLeavesHandlesInUseAlone() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        put(maildir, "cur", "1600000002.P2.host:2,S", "Subject: two\n\ntwo\n");
        try (MaildirDirs dirs = Fixtures.open(maildir)) {
            assertThat(dirs.names(MaildirDirs.CUR)).containsExactly("1600000002.P2.host:2,S"); // in use, not released
            CountDownLatch done = new CountDownLatch(1);
            boolean[] released = {true};
            Thread.ofPlatform().start(() -> {
                released[0] = dirs.releaseIfIdle();
                done.countDown();
            });
            done.await();
            assertThat(released[0]).isFalse();
            assertThat(dirs.holding()).isTrue();
            assertThat(dirs.names(MaildirDirs.CUR)).containsExactly("1600000002.P2.host:2,S");

            dirs.keep(); // the operation ends, the handles stay
            Thread other = Thread.ofPlatform().start(() -> released[0] = dirs.releaseIfIdle());
            other.join();
            assertThat(released[0]).isTrue();
            assertThat(dirs.holding()).isFalse();
            assertThat(dirs.names(MaildirDirs.CUR)).containsExactly("1600000002.P2.host:2,S");
        }
    }

    private static long count(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }
}
