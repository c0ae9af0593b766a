package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.maildir.lock.HeldLock;
import dev.postoffice.storage.maildir.lock.Linker;
import dev.postoffice.storage.maildir.lock.Locks;
import dev.postoffice.storage.maildir.lock.Owner;
import dev.postoffice.storage.maildir.lock.ProcProbe;
import dev.postoffice.storage.maildir.lock.Staleness;
import dev.postoffice.storage.maildir.lock.ThisProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locks as hard links of a per-store template (see {@link Locks}), and the fallback to separate files. */
class MaildirLockLinkTest {
    private static final String OTHER_HOST = "elsewhere.example";
    private static final String HOST = ThisProcess.id(MaildirStore.Host.NAME).host();

    @TempDir
    Path dataDir;

    /** The store of the test (the only one taking locks here, unless a test says otherwise). */
    private MaildirStore store;

    @BeforeEach
    void openStore() {
        store = new MaildirStore(dataDir);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    /** The store of the test, its links made by {@code linker}. */
    private MaildirStore storeLinkingWith(Linker linker) {
        store.close();
        store = new MaildirStore(dataDir, MessageFormat.LineEnd.CRLF,
                new Locks(ThisProcess.id(MaildirStore.Host.NAME), new ProcProbe(), linker, null));
        return store;
    }

    @Test
    void locksAreHardLinksOfOneTemplateAndAllocateNoInode() throws Exception {
        try (Maildrop alice = store.open(dev.postoffice.storage.MailboxRef.of(USER)); Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) {
            assertThat(alice.messages()).isEmpty();
            assertThat(bob.messages()).isEmpty();
            Path template = template();
            assertThat(template.getParent()).isEqualTo(home());
            assertThat(template.getFileName().toString())
                    .startsWith(Locks.TEMPLATE_PREFIX + HOST + "-" + ProcessHandle.current().pid() + "-");
            Object key = key(template);
            assertThat(key(lock(USER))).isEqualTo(key);
            assertThat(key(lock("bob"))).isEqualTo(key);
            assertThat(links(template)).isEqualTo(3);

            // The owner line as before, readable by servers of the previous version: created is "-", the token
            // is the template's (it ends the template's name).
            String line = Files.readString(lock(USER), StandardCharsets.US_ASCII);
            assertThat(line).isEqualTo(Files.readString(template, StandardCharsets.US_ASCII));
            Owner owner = Owner.parse(line);
            assertThat(owner).isNotNull();
            assertThat(owner.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(owner.created()).isNull();
            assertThat(line).contains(" created=- token=" + owner.token() + "\n");
            assertThat(template.getFileName().toString()).endsWith("-" + owner.token());
            if (Files.getFileStore(template).supportsFileAttributeView("posix")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(template))).isEqualTo("rw-------");
            }
        }
        // Logins after the first allocate nothing: the same template again.
        Object key = key(template());
        for (int i = 0; i < 5; i++) {
            try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
                assertThat(m.messages()).isEmpty();
                assertThat(key(lock(USER))).isEqualTo(key);
            }
        }
    }

    @Test
    void releaseRemovesTheLockAndKeepsTheTemplate() throws Exception {
        Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER));
        Path template = template();
        assertThat(links(template)).isEqualTo(2);
        m.close();
        assertThat(lock(USER)).doesNotExist();
        assertThat(lock(USER).resolveSibling(MaildirStore.LOCK_FILE + Locks.BREAK_SUFFIX)).doesNotExist();
        assertThat(template).isRegularFile();
        assertThat(links(template)).isEqualTo(1);
        assertThat(template()).isEqualTo(template);
    }

    @Test
    void releaseNeverDeletesALockThatIsNotALinkOfOurTemplate() throws Exception {
        // The same owner line in another inode: a copy, not ours (as a lock another process created would be).
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).isEmpty();
            String ours = Files.readString(lock(USER));
            Files.delete(lock(USER));
            Files.writeString(lock(USER), ours);
        }
        assertThat(lock(USER)).exists();
        assertThat(key(lock(USER))).isNotEqualTo(key(template()));
        assertThat(links(template())).isEqualTo(1);

        // Another host's lock, created after ours was broken.
        String theirs = new Owner(OTHER_HOST, 4242, Instant.now(), null, -1, Instant.now(), "feedfacefeedface")
                .line();
        Files.delete(lock(USER));
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).isEmpty();
            Files.delete(lock(USER));
            Files.writeString(lock(USER), theirs);
        }
        assertThat(Files.readString(lock(USER))).isEqualTo(theirs);
        assertThat(template()).isRegularFile();
    }

    @Test
    void linkOfOurTemplateThatNoSessionHoldsIsALeftoverAndStale() throws Exception {
        try (Maildrop alice = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(alice.messages()).isEmpty();
            // As if a release had failed to unlink bob's lock.
            Path bobLock = store.maildir("bob", Optional.empty()).resolve(MaildirStore.LOCK_FILE);
            Files.createDirectories(bobLock.getParent());
            Files.createLink(bobLock, template());
            assertThat(store.locks().judge(bobLock).verdict()).isEqualTo(Staleness.Verdict.STALE);
            try (Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) {
                assertThat(bob.messages()).isEmpty();
                assertThat(key(bobLock)).isEqualTo(key(template()));
            }
            assertThat(bobLock).doesNotExist();

            // Alice's lock is held, also when reached through another path to its directory (as a bind mount).
            Path alias = Files.createSymbolicLink(dataDir.resolve("alias"), lock(USER).getParent());
            Path aliasLock = alias.resolve(MaildirStore.LOCK_FILE);
            assertThat(store.locks().judge(lock(USER)).verdict()).isEqualTo(Staleness.Verdict.HELD);
            assertThat(store.locks().judge(aliasLock).verdict()).isEqualTo(Staleness.Verdict.HELD);
            assertThatThrownBy(() -> store.locks().acquire(aliasLock, home())).isInstanceOf(MaildropBusyException.class);
            assertThatThrownBy(() -> store.locks().acquire(aliasLock, null)).isInstanceOf(MaildropBusyException.class);
            assertThat(key(lock(USER))).isEqualTo(key(template()));
        }
        assertThat(lock(USER)).doesNotExist();
    }

    @Test
    void failingLinksFallBackToSeparateFilesForGood() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        AtomicReference<Linker> linker = new AtomicReference<>((link, existing) -> {
            tries.incrementAndGet();
            throw new FileSystemException(link.toString(), existing.toString(), "Operation not permitted");
        });
        storeLinkingWith((link, existing) -> linker.get().link(link, existing));
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).isEmpty();
            assertSeparateFile(lock(USER));
        }
        assertThat(lock(USER)).doesNotExist();
        assertThat(tries).hasValue(1);

        // Refused on the template's own file system: not tried again, even once links would work.
        linker.set((link, existing) -> {
            tries.incrementAndGet();
            Files.createLink(link, existing);
        });
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).isEmpty();
            assertSeparateFile(lock(USER));
        }
        assertThat(tries).hasValue(1);
        assertThat(lock(USER)).doesNotExist();
    }

    @Test
    void templateThatCannotBeCreatedMeansSeparateFiles() throws Exception {
        // A template "directory" that is a file: creating the template fails, as in a directory not writable.
        Path notADir = Files.writeString(dataDir.resolve("not-a-directory"), "x");
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        HeldLock l = store.locks().acquire(lock, notADir);
        try {
            assertThat(l.linked()).isFalse();
            assertSeparateFile(lock);
            assertThat(store.locks().template(notADir)).isNull();
            assertThatThrownBy(() -> store.locks().acquire(lock, notADir)).isInstanceOf(MaildropBusyException.class);
        } finally {
            l.release();
        }
        assertThat(lock).doesNotExist();
    }

    @Test
    void usersWithAHomeOfTheirOwnGetSeparateFiles() throws Exception {
        Path home = Files.createDirectory(dataDir.resolve("somewhere-else"));
        try (Maildrop m = store.open(new dev.postoffice.storage.MailboxRef("carol", Optional.of(home.toString())))) {
            assertThat(m.messages()).isEmpty();
            assertSeparateFile(home.resolve("Maildir").resolve(MaildirStore.LOCK_FILE));
        }
        assertThat(home.resolve("Maildir").resolve(MaildirStore.LOCK_FILE)).doesNotExist();
        try (Stream<Path> s = Files.list(home)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("Maildir");
        }
    }

    @Test
    void maildirOnAnotherFileSystemThanTheTemplateGetsSeparateFiles() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeThat(Files.isDirectory(shm) && Files.isWritable(shm)).as("/dev/shm").isTrue();
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Path templateDir = Files.createTempDirectory(shm, "dotlock-test");
        try {
            assumeThat(Files.getAttribute(templateDir, "unix:dev")).isNotEqualTo(Files.getAttribute(dataDir, "unix:dev"));
            for (int i = 0; i < 2; i++) {
                HeldLock l = store.locks().acquire(lock, templateDir); // EXDEV, then remembered by device
                assertThat(l.linked()).isFalse();
                assertSeparateFile(lock);
                l.release();
                assertThat(lock).doesNotExist();
            }
            // A Maildir on the template's file system still links.
            Path there = Files.createDirectories(templateDir.resolve("u").resolve("Maildir"));
            HeldLock l = store.locks().acquire(there.resolve(MaildirStore.LOCK_FILE), templateDir);
            assertThat(l.linked()).isTrue();
            assertThat(key(there.resolve(MaildirStore.LOCK_FILE))).isEqualTo(key(store.locks().template(templateDir)));
            l.release();
        } finally {
            try (Stream<Path> s = Files.walk(templateDir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void oldFormatLocksAreJudgedAsBefore() throws Exception {
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Process other = new ProcessBuilder("sleep", "600").start();
        try {
            // A lock as the previous version wrote it (created and a per-lock token), by a live process.
            Files.writeString(lock, oldFormatLine(other));
            assertThat(store.locks().judge(lock).verdict()).isEqualTo(Staleness.Verdict.HELD);
            assertThatThrownBy(() -> store.open(dev.postoffice.storage.MailboxRef.of(USER))).isInstanceOf(MaildropBusyException.class);
            assertThat(Files.readString(lock)).isEqualTo(oldFormatLine(other));
        } finally {
            other.destroyForcibly();
        }
        assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // The same process dead: stale, broken, and replaced by a link.
        assertThat(store.locks().judge(lock).verdict()).isEqualTo(Staleness.Verdict.STALE);
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).isEmpty();
            assertThat(key(lock)).isEqualTo(key(template()));
        }
        assertThat(lock).doesNotExist();
    }

    @Test
    void refreshingTouchesTheTemplateAndSoEveryLinkedLock() throws Exception {
        try (Maildrop alice = store.open(dev.postoffice.storage.MailboxRef.of(USER)); Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) {
            assertThat(alice.messages()).isEmpty();
            assertThat(bob.messages()).isEmpty();
            Instant old = Instant.now().minus(Duration.ofMinutes(20));
            Files.setLastModifiedTime(template(), FileTime.from(old));
            assertThat(Files.getLastModifiedTime(lock(USER)).toInstant()).isEqualTo(old); // one inode
            assertThat(Files.getLastModifiedTime(lock("bob")).toInstant()).isEqualTo(old);
            store.locks().refresh();
            Instant after = old.plus(Duration.ofMinutes(19));
            assertThat(Files.getLastModifiedTime(template()).toInstant()).isAfter(after);
            assertThat(Files.getLastModifiedTime(lock(USER)).toInstant()).isAfter(after);
            assertThat(Files.getLastModifiedTime(lock("bob")).toInstant()).isAfter(after);
        }
    }

    @Test
    void locksOutliveTheirTemplate() throws Exception {
        Maildrop alice = store.open(dev.postoffice.storage.MailboxRef.of(USER));
        Path first = template();
        Object firstKey = key(first);
        Files.delete(first); // an operator, or the shutdown hook
        Instant old = Instant.now().minus(Duration.ofMinutes(20));
        Files.setLastModifiedTime(lock(USER), FileTime.from(old));
        store.locks().refresh(); // the template is gone: alice's lock is touched directly
        assertThat(Files.getLastModifiedTime(lock(USER)).toInstant()).isAfter(old.plus(Duration.ofMinutes(19)));
        assertThat(store.locks().judge(lock(USER)).verdict()).isEqualTo(Staleness.Verdict.HELD);

        // The next login makes a new template; alice's lock is still hers and released as such.
        try (Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) {
            assertThat(bob.messages()).isEmpty();
            assertThat(template()).isNotEqualTo(first);
            assertThat(key(lock("bob"))).isEqualTo(key(template())).isNotEqualTo(firstKey);
        }
        assertThat(key(lock(USER))).isEqualTo(firstKey);
        alice.close();
        assertThat(lock(USER)).doesNotExist();
    }

    @Test
    void withoutItsTemplateReleaseAlsoChecksTheOwnerLine() throws Exception {
        // Over NFS, an inode that every name of was deleted elsewhere may be reused although we keep it open.
        Maildrop alice = store.open(dev.postoffice.storage.MailboxRef.of(USER));
        Object key = key(lock(USER));
        Files.delete(template());
        store.locks().refresh(); // notices that the template is gone
        String theirs = new Owner(OTHER_HOST, 4242, Instant.now(), null, -1, Instant.now(), "feedfacefeedface")
                .line();
        Files.writeString(lock(USER), theirs); // the same inode with another owner line
        assertThat(key(lock(USER))).isEqualTo(key);
        alice.close();
        assertThat(Files.readString(lock(USER))).isEqualTo(theirs);
    }

    @Test
    void staleTemplatesAreRemovedWhenATemplateIsCreated() throws Exception {
        Process child = MaildirLockTest.startHolder(dataDir);
        Path childTemplate;
        try {
            assertThat(MaildirLockTest.firstLine(child)).isEqualTo("LOCKED");
            childTemplate = templateOf(child.pid());
            assertThat(key(lock(USER))).isEqualTo(key(childTemplate)); // the child's lock is a link too
            child.destroyForcibly(); // SIGKILL: neither its lock nor its template is removed
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(childTemplate).exists();
        String[] names = {
            Locks.TEMPLATE_PREFIX + OTHER_HOST + "-7-00000000000000a1",
            Locks.TEMPLATE_PREFIX + OTHER_HOST + "-8-00000000000000a2",
            Locks.TEMPLATE_PREFIX + "half-written",
            Locks.TEMPLATE_PREFIX + "just-created",
        };
        Path staleForeign = Files.writeString(home().resolve(names[0]), foreignLine(7, "00000000000000a1"));
        MaildirLockTest.setAge(staleForeign, Duration.ofMinutes(11));
        Path liveForeign = Files.writeString(home().resolve(names[1]), foreignLine(8, "00000000000000a2"));
        MaildirLockTest.setAge(liveForeign, Duration.ofMinutes(2));
        Path garbled = Files.writeString(home().resolve(names[2]), "postoffice-pop3-lock host=");
        MaildirLockTest.setAge(garbled, Duration.ofMinutes(1));
        Path empty = Files.writeString(home().resolve(names[3]), "");

        // This process's first lock under this data directory creates its template and looks around.
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) { // the child's lock is stale too
            assertThat(m.messages()).isEmpty();
            assertThat(key(lock(USER))).isEqualTo(key(template()));
        }
        assertThat(childTemplate).doesNotExist();
        assertThat(staleForeign).doesNotExist();
        assertThat(garbled).doesNotExist();
        assertThat(liveForeign).exists();
        assertThat(empty).exists(); // may be being written
        assertThat(template()).exists();
    }

    @Test
    void templatesOfLiveProcessesAreKeptAndTheirsGoesWhenTheyExit() throws Exception {
        Process child = MaildirLockTest.startHolder(dataDir);
        try {
            assertThat(MaildirLockTest.firstLine(child)).isEqualTo("LOCKED");
            Path childTemplate = templateOf(child.pid());
                try (Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) { // creates ours, looks around
                assertThat(bob.messages()).isEmpty();
                assertThatThrownBy(() -> store.open(dev.postoffice.storage.MailboxRef.of(USER))).isInstanceOf(MaildropBusyException.class);
            }
            store.locks().removeStaleTemplates(home());
            assertThat(childTemplate).exists();

            child.getOutputStream().close(); // the child closes the maildrop and exits normally
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(lock(USER)).doesNotExist();
            assertThat(childTemplate).doesNotExist(); // its shutdown hook
            assertThat(template()).exists();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void concurrentThreadsLinkingAStaleLockGetItOnce() throws Exception {
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        int threads = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 30; round++) {
                switch (round % 3) {
                    case 0 -> Files.writeString(lock, "");
                    case 1 -> Files.writeString(lock, foreignLine(99, "0000000000000" + round));
                    default -> Files.createLink(lock, templateOrCreate()); // our leftover
                }
                MaildirLockTest.setAge(lock, Duration.ofHours(1));
                List<HeldLock> winners = MaildirLockTest.race(pool, threads, () -> store.locks().acquire(lock, home()));
                if (round % 3 == 2) {
                    // A link of our own template counts as held while any thread of ours is taking that path (as
                    // it should for a bind mount; the in-process lock keeps sessions from this race): possibly
                    // none wins this round, but never two, and the leftover is broken by the next attempt.
                    assertThat(winners).as("round %d", round).hasSizeLessThanOrEqualTo(1);
                    if (winners.isEmpty()) {
                        winners.add(store.locks().acquire(lock, home()));
                    }
                }
                assertThat(winners).as("round %d", round).hasSize(1);
                assertThat(winners.get(0).linked()).isTrue();
                winners.get(0).release();
                assertThat(lock).doesNotExist();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private Path templateOrCreate() throws Exception {
        if (store.locks().template(home()) == null) {
            Path other = Fixtures.maildir(dataDir).resolveSibling("Other");
            Files.createDirectories(other);
            store.locks().acquire(other.resolve(MaildirStore.LOCK_FILE), home()).release();
        }
        return template();
    }

    private static void assertSeparateFile(Path lock) throws IOException {
        assertThat(links(lock)).isEqualTo(1);
        Owner owner = Owner.parse(Files.readString(lock, StandardCharsets.US_ASCII));
        assertThat(owner).isNotNull();
        assertThat(owner.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(owner.created()).isNotNull();
        assertThat(owner.token()).matches("[0-9a-f]{16}");
    }

    private Path home() {
        return dataDir.resolve("home");
    }

    private Path template() {
        Path t = store.locks().template(home());
        assertThat(t).as("this process's template in %s", home()).isNotNull();
        return t;
    }

    private Path templateOf(long pid) throws IOException {
        String prefix = Locks.TEMPLATE_PREFIX + HOST + "-" + pid + "-";
        try (Stream<Path> s = Files.list(home())) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
            assertThat(found).as("templates of pid %d", pid).hasSize(1);
            return found.get(0);
        }
    }

    private Path lock(String user) throws Exception {
        return store.maildir(user, Optional.empty()).resolve(MaildirStore.LOCK_FILE);
    }

    private static Object key(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    private static int links(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    }

    private static String oldFormatLine(Process p) throws IOException {
        long ticks = ThisProcess.BOOT_ID == null ? -1 : ProcProbe.ProcStat.read(p.pid()).startTicks();
        return new Owner(HOST, p.pid(), p.info().startInstant().orElse(null), ThisProcess.BOOT_ID,
                ticks, Instant.parse("2026-01-02T09:00:00.123Z"), "9f8e7d6c5b4a3921").line();
    }

    private static String foreignLine(long pid, String token) {
        return new Owner(OTHER_HOST, pid, Instant.parse("2026-01-02T03:04:05Z"), null, -1, null, token).line();
    }
}
