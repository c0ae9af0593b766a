package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.input;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.maildir.lock.HeldLock;
import dev.postoffice.storage.maildir.lock.Locks;
import dev.postoffice.storage.maildir.lock.Owner;
import dev.postoffice.storage.maildir.lock.Staleness;
import dev.postoffice.storage.maildir.lock.ThisProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MaildirLockTest {
    /** Someone else's lock: another host, which no process here can check. */
    private static final String OTHER_HOST = "elsewhere.example";
    private static final String HOST = ThisProcess.id(MaildirStore.Host.NAME).host();

    @TempDir
    Path dataDir;

    private final List<MaildirStore> stores = new ArrayList<>();

    /** A store on the data directory, closed after the test (two are two independent stores, as in two JVMs). */
    private MaildirStore newStore() {
        MaildirStore store = new MaildirStore(dataDir);
        stores.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        stores.forEach(MaildirStore::close);
    }

    private Maildrop open(MaildirStore store) throws Exception {
        return store.open(dev.postoffice.storage.MailboxRef.of(USER));
    }

    /**
     * The store remembers where a Maildir's path led (so a login resolves no links); when the path leads to another
     * directory since, the lock and the listing follow the directory opened, not the path remembered.
     */
    @Test
    void aHomeRepointedBetweenSessionsIsLockedAndListedWhereItNowLeads(@TempDir Path elsewhere) throws Exception {
        Path a = Fixtures.maildir(elsewhere.resolve("a"));
        Path b = Fixtures.maildir(elsewhere.resolve("b"));
        Fixtures.put(b, "new", "1700000000.P1.host,S=7", "Hello\r\n");
        Path home = dataDir.resolve("home").resolve(USER);
        Files.createDirectories(home.getParent());
        Files.createSymbolicLink(home, a.getParent());
        MaildirStore store = newStore();
        try (Maildrop first = open(store)) {
            assertThat(first.messages()).isEmpty();
            assertThat(a.resolve(MaildirStore.LOCK_FILE)).exists();
        }

        Files.delete(home);
        Files.createSymbolicLink(home, b.getParent());
        try (Maildrop second = open(store)) {
            assertThat(second.messages()).hasSize(1);
            assertThat(b.resolve(MaildirStore.LOCK_FILE)).exists();
            assertThat(a.resolve(MaildirStore.LOCK_FILE)).doesNotExist();
            // Another store, resolving afresh, finds the same lock taken.
            assertThatThrownBy(() -> open(newStore())).isInstanceOf(MaildropBusyException.class);
        }
        assertThat(b.resolve(MaildirStore.LOCK_FILE)).doesNotExist();
    }

    @Test
    void secondOpenInTheSameJvmIsBusyUntilClose() throws Exception {
        MaildirStore store = newStore();
        Maildrop first = open(store);
        assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);
        assertThatThrownBy(() -> open(newStore())).isInstanceOf(MaildropBusyException.class);
        first.close();
        first.close(); // idempotent
        try (Maildrop again = open(store)) {
            assertThat(again.messages()).isEmpty();
        }
    }

    @Test
    void sameMaildirReachedThroughALinkIsBusy() throws Exception {
        MaildirStore store = newStore();
        try (Maildrop first = open(store)) {
            assertThat(first.messages()).isEmpty();
            Path link = Files.createSymbolicLink(dataDir.resolve("alias-home"), dataDir.resolve("home").resolve(USER));
            assertThatThrownBy(() -> store.open(new dev.postoffice.storage.MailboxRef("alias", Optional.of(link.toString())))).isInstanceOf(MaildropBusyException.class);
        }
    }

    @Test
    void otherUsersAreIndependent() throws Exception {
        MaildirStore store = newStore();
        try (Maildrop alice = open(store); Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) {
            assertThat(alice.messages()).isEmpty();
            assertThat(bob.messages()).isEmpty();
        }
    }

    @Test
    void deliveryDoesNotWaitForTheLock() throws Exception {
        MaildirStore store = newStore();
        try (Maildrop m = open(store)) {
            store.deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("x\n"));
            assertThat(m.messages()).isEmpty();
        }
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).hasSize(1);
        }
    }

    @Test
    void failureInsideOpenReleasesTheLock() throws Exception {
        MaildirStore store = newStore();
        Path lockFile = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Files.createDirectory(lockFile);
        assertThatThrownBy(() -> open(store))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e).isNotInstanceOf(MaildropBusyException.class);
                    assertThat(e.temporary()).isTrue();
                });
        Files.delete(lockFile);
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
        }
    }

    @Test
    void lockHeldByAnotherProcessIsBusyAndFreedWhenItDies() throws Exception {
        MaildirStore store = newStore();
        Process child = startHolder();
        try {
            assertThat(firstLine(child)).isEqualTo("LOCKED");
            assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);

            child.destroyForcibly(); // SIGKILL: the child cannot remove its lock file
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(lockOwner().pid()).isEqualTo(child.pid()); // left behind, naming a dead pid
            try (Maildrop m = open(store)) {
                assertThat(m.messages()).isEmpty();
                assertThat(lockOwner().pid()).isEqualTo(ProcessHandle.current().pid());
            }
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void anotherProcessCannotOpenWhileThisOneHoldsTheLock() throws Exception {
        MaildirStore store = newStore();
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            Process child = startHolder();
            try {
                assertThat(firstLine(child)).isEqualTo("BUSY");
            } finally {
                child.destroyForcibly();
            }
        }
        Process child = startHolder();
        try {
            assertThat(firstLine(child)).isEqualTo("LOCKED");
            child.getOutputStream().close(); // the holder closes the maildrop and exits
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(lockFile()).doesNotExist();
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void lockFileNamesItsOwnerAndIsRemovedOnClose() throws Exception {
        MaildirStore store = newStore();
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            String line = Files.readString(lockFile(), StandardCharsets.US_ASCII);
            assertThat(line).startsWith(Owner.MAGIC + " host=").endsWith("\n");
            Owner owner = Owner.parse(line);
            assertThat(owner).isNotNull();
            assertThat(owner.host()).isEqualTo(HOST);
            assertThat(owner.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(owner.start()).isEqualTo(ProcessHandle.current().info().startInstant().orElse(null));
            assertThat(owner.token()).matches("[0-9a-f]{16}");
            if (Files.getFileStore(lockFile()).supportsFileAttributeView("posix")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lockFile())))
                        .isEqualTo("rw-------");
            }
        }
        assertThat(lockFile()).doesNotExist();
        assertThat(lockFile().resolveSibling(MaildirStore.LOCK_FILE + Locks.BREAK_SUFFIX)).doesNotExist();
    }

    @Test
    void closeLeavesALockFileThatIsNoLongerOurs() throws Exception {
        MaildirStore store = newStore();
        String theirs = ownerLine(OTHER_HOST, 4242, "feedfacefeedface");
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            // As another host that broke our lock would: delete it, create its own. (Not a write in place: our
            // lock is a hard link of this process's template, whose inode it shares.)
            Files.delete(lockFile());
            Files.writeString(lockFile(), theirs);
        }
        assertThat(Files.readString(lockFile())).isEqualTo(theirs);
    }

    @Test
    void lockNamingOurPidThatThisProcessDoesNotHoldIsStale() throws Exception {
        // An earlier process with the same pid (a server that is always pid 1 in its container) left it: it
        // started at another time. (A line of this very process that this store did not write is another
        // store's, held: see MaildirLockStoresTest.)
        assumeThat(ThisProcess.TICKS >= 0 || ThisProcess.START != null).as("this process's start is known").isTrue();
        Files.writeString(Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE),
                new Owner(HOST, ProcessHandle.current().pid(),
                        ThisProcess.START == null ? null : ThisProcess.START.minus(Duration.ofHours(1)),
                        ThisProcess.BOOT_ID, ThisProcess.TICKS < 0 ? -1 : ThisProcess.TICKS + 360_000, Instant.now(),
                        "0123456789abcdef").line());
        MaildirStore store = newStore();
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            assertThat(lockOwner().token()).isNotEqualTo("0123456789abcdef");
            // ... but a lock this process holds is not, even when reached by another path (no in-process entry).
            Owner ours = lockOwner();
            assertThat(store.locks().judge(lockFile()).verdict()).isEqualTo(Staleness.Verdict.HELD);
            assertThatThrownBy(() -> store.locks().acquire(lockFile(), null)).isInstanceOf(MaildropBusyException.class);
            assertThat(lockOwner()).isEqualTo(ours);
        }
    }

    @Test
    void lockOfALiveProcessIsHeldUnlessItsPidWasReused() throws Exception {
        Process child = startHolder();
        try {
            assertThat(firstLine(child)).isEqualTo("LOCKED");
            Owner child1 = lockOwner(); // alice's lock, written by the child
            assertThat(child1.pid()).isEqualTo(child.pid());
            MaildirStore store = newStore();
            Path bobLock = store.maildir("bob", Optional.empty()).resolve(MaildirStore.LOCK_FILE);
            Files.createDirectories(bobLock.getParent());

            // The live child, as it describes itself: held.
            Files.writeString(bobLock, withToken(child1, "00000000000000b0").line());
            assertThatThrownBy(() -> store.open(dev.postoffice.storage.MailboxRef.of("bob"))).isInstanceOf(MaildropBusyException.class);

            // The same pid but another process (started at another time): the pid was reused, stale.
            Instant earlier = child1.start() == null ? null : child1.start().minus(Duration.ofHours(1));
            Files.writeString(bobLock, new Owner(child1.host(), child1.pid(), earlier, child1.boot(),
                    child1.ticks() < 0 ? -1 : child1.ticks() + 360_000, child1.created(), "00000000000000b1").line());
            try (Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) {
                assertThat(bob.messages()).isEmpty();
            }

            // Written before a reboot (another boot id), though its pid and ticks match a live process: stale.
            if (child1.boot() != null) {
                Files.writeString(bobLock, new Owner(child1.host(), child1.pid(), child1.start(),
                        "00000000-0000-0000-0000-000000000000", child1.ticks(), child1.created(), "00000000000000b2")
                        .line());
                try (Maildrop bob = store.open(dev.postoffice.storage.MailboxRef.of("bob"))) {
                    assertThat(bob.messages()).isEmpty();
                }
            }
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void lockFromAnotherHostIsHeldUntilItsMtimeIsTenMinutesOld() throws Exception {
        MaildirStore store = newStore();
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        String theirs = ownerLine(OTHER_HOST, ProcessHandle.current().pid(), "00000000000000f0");
        Files.writeString(lock, theirs);
        setAge(lock, Duration.ofMinutes(9));
        assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class)
                .hasMessageContaining(OTHER_HOST);
        assertThat(Files.readString(lock)).isEqualTo(theirs);

        setAge(lock, Duration.ofMinutes(11));
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            assertThat(lockOwner().host()).isEqualTo(HOST);
        }
        assertThat(lock).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "garbage\n",
        "postoffice-pop3-lock host=a pid=12 start=- boot=- ticks=- created=- token=0123",
        "postoffice-pop3-lock host=a pid=x token=0123\n",
        "postoffice-pop3-lock host=a token=0123\n",
        "postoffice-pop3-lock host=a pid=12 start=yesterday token=0123\n",
        "postoffice-pop3-lock host=a pid=12 token=0123\nsecond line\n",
        "\u0000\u0001 binary",
    })
    void unreadableLockIsHeldForThirtySecondsThenStale(String content) throws Exception {
        MaildirStore store = newStore();
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Files.writeString(lock, content, StandardCharsets.ISO_8859_1);
        setAge(lock, Duration.ofSeconds(20)); // a creator may still be writing it
        assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);

        setAge(lock, Duration.ofSeconds(40));
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            assertThat(lockOwner().pid()).isEqualTo(ProcessHandle.current().pid());
        }
    }

    @Test
    void oversizedLockFileCountsAsUnreadable() throws Exception {
        MaildirStore store = newStore();
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Files.writeString(lock, ownerLine(OTHER_HOST, 7, "0123").repeat(100));
        assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);
        setAge(lock, Duration.ofMinutes(1));
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
        }
    }

    @Test
    void leftoverBreakGuardBlocksBreakingUntilItIsOld() throws Exception {
        MaildirStore store = newStore();
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Path guard = lock.resolveSibling(MaildirStore.LOCK_FILE + Locks.BREAK_SUFFIX);
        Files.writeString(lock, "");
        setAge(lock, Duration.ofMinutes(5)); // stale
        Files.writeString(guard, "");
        setAge(guard, Duration.ofSeconds(5)); // another process is breaking it right now
        assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);
        assertThat(lock).exists();
        assertThat(guard).exists();

        setAge(guard, Duration.ofMinutes(5)); // left by a breaker that died: removed, busy this once
        assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);
        assertThat(guard).doesNotExist();
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
        }
        assertThat(lock).doesNotExist();
    }

    @Test
    void openMaildropsHoldNoFileDescriptor() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        assumeThat(Files.isDirectory(fds)).as("Linux /proc").isTrue();
        MaildirStore store = newStore();
        try (Maildrop warm = store.open(dev.postoffice.storage.MailboxRef.of("warm-up"))) {
            assertThat(warm.messages()).isEmpty();
        }
        int n = 50;
        List<Maildrop> open = new ArrayList<>();
        long before = count(fds);
        try {
            for (int i = 0; i < n; i++) {
                open.add(store.open(dev.postoffice.storage.MailboxRef.of("user" + i)));
            }
            long during = count(fds);
            // One descriptor per maildrop would add 50; allow a few for whatever else the JVM opens meanwhile.
            assertThat(during - before).isLessThan(10);
        } finally {
            open.forEach(Maildrop::close);
        }
        for (int i = 0; i < n; i++) {
            assertThat(store.maildir("user" + i, Optional.empty()).resolve(MaildirStore.LOCK_FILE)).doesNotExist();
        }
    }

    @Test
    void refreshingTouchesTheLocksThisProcessHolds() throws Exception {
        MaildirStore store = newStore();
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            setAge(lockFile(), Duration.ofMinutes(20));
            FileTime old = Files.getLastModifiedTime(lockFile());
            store.locks().refresh();
            assertThat(Files.getLastModifiedTime(lockFile()).toInstant()).isAfter(old.toInstant().plus(Duration.ofMinutes(19)));
        }
    }

    @Test
    void concurrentProcessesBreakAStaleLockOnce() throws Exception {
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Files.writeString(lock, "half-writ");
        setAge(lock, Duration.ofMinutes(5));
        List<Process> children = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                children.add(startHolder("--wait-for-go"));
            }
            for (Process c : children) {
                assertThat(firstLine(c)).isEqualTo("READY");
            }
            for (Process c : children) {
                c.getOutputStream().write('\n');
                c.getOutputStream().flush();
            }
            List<String> results = new ArrayList<>();
            for (Process c : children) {
                results.add(firstLine(c));
            }
            assertThat(results).containsOnly("LOCKED", "BUSY").containsOnlyOnce("LOCKED");
        } finally {
            children.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void concurrentThreadsBreakAStaleLockOnce() throws Exception {
        // Threads calling the dot-lock directly, without the in-process lock, compete as processes would.
        MaildirStore store = newStore();
        Path lock = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        int threads = 6;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 40; round++) {
                Files.writeString(lock, round % 2 == 0 ? "" : ownerLine(OTHER_HOST, 99, "0000000000000" + round));
                setAge(lock, Duration.ofHours(1));
                List<HeldLock> winners = race(pool, threads, () -> store.locks().acquire(lock, null));
                assertThat(winners).as("round %d", round).hasSize(1);
                winners.get(0).release();
                assertThat(lock).doesNotExist();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Starts {@code threads} attempts at once and returns the locks they got (busy ones get none). */
    static List<HeldLock> race(ExecutorService pool, int threads, Callable<HeldLock> attempt) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HeldLock>> tries = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            tries.add(pool.submit(() -> {
                go.await();
                try {
                    return attempt.call();
                } catch (MaildropBusyException e) {
                    return null;
                }
            }));
        }
        go.countDown();
        List<HeldLock> winners = new ArrayList<>();
        for (Future<HeldLock> f : tries) {
            HeldLock l = f.get(60, TimeUnit.SECONDS);
            if (l != null) {
                winners.add(l);
            }
        }
        return winners;
    }

    private Path lockFile() throws IOException {
        return Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
    }

    private Owner lockOwner() throws IOException {
        Owner owner = Owner.parse(Files.readString(lockFile(), StandardCharsets.ISO_8859_1));
        assertThat(owner).isNotNull();
        return owner;
    }

    private static Owner withToken(Owner o, String token) {
        return new Owner(o.host(), o.pid(), o.start(), o.boot(), o.ticks(), o.created(), token);
    }

    private static String ownerLine(String host, long pid, String token) {
        return new Owner(host, pid, Instant.parse("2026-01-02T03:04:05Z"), null, -1, Instant.now(), token)
                .line();
    }

    static void setAge(Path file, Duration age) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(age)));
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private Process startHolder(String... options) throws Exception {
        return startHolder(dataDir, options);
    }

    /** A child JVM running {@link LockHolderMain} on the user's Maildir under {@code dataDir}. */
    static Process startHolder(Path dataDir, String... options) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                LockHolderMain.class.getName(), dataDir.toString(), USER));
        command.addAll(List.of(options));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    static String firstLine(Process child) throws Exception {
        BufferedReader out = child.inputReader();
        return CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
    }
}
