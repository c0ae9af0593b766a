package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.maildir.lock.HeldLock;
import dev.postoffice.storage.maildir.lock.Owner;
import dev.postoffice.storage.maildir.lock.Staleness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two stores in one JVM (tests, a restart, two nodes in one process): independent, and exclusive on disk. */
class MaildirLockStoresTest {
    @TempDir
    Path dataDir;

    private final List<MaildirStore> stores = new ArrayList<>();

    private MaildirStore newStore() {
        MaildirStore store = new MaildirStore(dataDir);
        stores.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        stores.forEach(MaildirStore::close);
    }

    private static Maildrop open(MaildirStore store) throws Exception {
        return store.open(MailboxRef.of(USER));
    }

    @Test
    void twoStoresOnOneDataDirectoryExcludeEachOther() throws Exception {
        MaildirStore a = newStore();
        MaildirStore b = newStore();
        Path lock = lockFile();
        try (Maildrop m = open(a)) {
            assertThat(m.messages()).isEmpty();
            assertThatThrownBy(() -> open(b)).isInstanceOf(MaildropBusyException.class);
            assertThat(b.locks().judge(lock).verdict()).isEqualTo(Staleness.Verdict.HELD);
            assertThat(a.locks().judge(lock).verdict()).isEqualTo(Staleness.Verdict.HELD);
            assertThat(key(lock)).isEqualTo(key(a.locks().template(home()))); // still a's: not broken by b
        }
        assertThat(lock).doesNotExist();
        try (Maildrop m = open(b)) {
            assertThat(m.messages()).isEmpty();
            assertThatThrownBy(() -> open(a)).isInstanceOf(MaildropBusyException.class);
            assertThat(key(lock)).isEqualTo(key(b.locks().template(home())));
        }

        // Separate lock files (a home of one's own) alike.
        Path home = Files.createDirectory(dataDir.resolve("carol-home"));
        MailboxRef carol = new MailboxRef("carol", Optional.of(home.toString()));
        try (Maildrop m = a.open(carol)) {
            assertThat(m.messages()).isEmpty();
            assertThatThrownBy(() -> b.open(carol)).isInstanceOf(MaildropBusyException.class);
        }
        try (Maildrop m = b.open(carol)) {
            assertThat(m.messages()).isEmpty();
            assertThatThrownBy(() -> a.open(carol)).isInstanceOf(MaildropBusyException.class);
        }
    }

    @Test
    void eachStoreHasItsOwnTemplateAndKeepsTheOthers() throws Exception {
        MaildirStore a = newStore();
        MaildirStore b = newStore();
        try (Maildrop alice = open(a); Maildrop bob = b.open(MailboxRef.of("bob"))) { // b's template looks around
            assertThat(alice.messages()).isEmpty();
            assertThat(bob.messages()).isEmpty();
            Path ta = a.locks().template(home());
            Path tb = b.locks().template(home());
            assertThat(ta).isNotEqualTo(tb);
            b.locks().removeStaleTemplates(home());
            assertThat(ta).exists();
            assertThat(b.locks().judge(ta).verdict()).isEqualTo(Staleness.Verdict.HELD);
        }
        Path ta = a.locks().template(home());
        Path tb = b.locks().template(home());
        a.close();
        assertThat(ta).doesNotExist();
        assertThat(tb).exists();
        assertThatThrownBy(() -> open(a)).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e).isNotInstanceOf(MaildropBusyException.class));
        a.close(); // idempotent
        try (Maildrop m = open(b)) {
            assertThat(m.messages()).isEmpty();
        }
    }

    @Test
    void aLeftoverOfThisStoreIsStaleButOneOfAnotherStoreOfThisProcessIsHeld() throws Exception {
        MaildirStore a = newStore();
        MaildirStore b = newStore();
        Path lock = lockFile();
        // As if the release of a separate lock file had failed: the line stays after the session.
        HeldLock l = a.locks().acquire(lock, null);
        String line = Files.readString(lock, StandardCharsets.US_ASCII);
        l.release();
        assertThat(lock).doesNotExist();
        Files.writeString(lock, line, StandardCharsets.US_ASCII);

        // b cannot tell it from a lock that a holds: this process is alive, and its stores release their locks.
        assertThat(b.locks().judge(lock).verdict()).isEqualTo(Staleness.Verdict.HELD);
        assertThatThrownBy(() -> open(b)).isInstanceOf(MaildropBusyException.class);
        // a knows it released it.
        assertThat(a.locks().judge(lock).verdict()).isEqualTo(Staleness.Verdict.STALE);
        try (Maildrop m = open(a)) {
            assertThat(m.messages()).isEmpty();
            assertThat(Owner.parse(Files.readString(lock)).token()).isNotEqualTo(Owner.parse(line).token());
        }
        assertThat(lock).doesNotExist();
    }

    @Test
    void theRefresherRunsOnTheGivenSchedulerUntilClose() throws Exception {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
        scheduler.setRemoveOnCancelPolicy(true);
        try {
            MaildirStore store = new MaildirStore(dataDir, MessageFormat.LineEnd.CRLF, scheduler);
            stores.add(store);
            store.deliver(MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), Fixtures.input("x\n"));
            assertThat(scheduler.getQueue()).as("nothing before the first lock").isEmpty();
            Path template;
            try (Maildrop m = open(store)) {
                assertThat(m.messages()).hasSize(1);
                assertThat(scheduler.getQueue()).hasSize(1);
                template = store.locks().template(home());
                Instant old = Instant.now().minus(Duration.ofMinutes(20));
                Files.setLastModifiedTime(template, FileTime.from(old));
                Runnable task = scheduler.getQueue().peek(); // not due for a minute
                assertThat(scheduler.getQueue().remove(task)).isTrue();
                task.run(); // what the scheduler does every minute (and it schedules itself again)
                assertThat(Files.getLastModifiedTime(lockFile()).toInstant()).isAfter(old.plus(Duration.ofMinutes(19)));
            }
            assertThat(scheduler.getQueue()).as("refreshing the template").hasSize(1);
            store.close();
            assertThat(scheduler.getQueue()).isEmpty();
            assertThat(scheduler.isShutdown()).as("not the store's to stop").isFalse();
            assertThat(template).doesNotExist();
        } finally {
            scheduler.shutdownNow();
        }
    }

    private Path home() {
        return dataDir.resolve("home");
    }

    private Path lockFile() throws Exception {
        return Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
    }

    private static Object key(Path p) throws Exception {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }
}
