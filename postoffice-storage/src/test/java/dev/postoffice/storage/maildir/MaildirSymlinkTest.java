package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.input;
import static dev.postoffice.storage.maildir.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nothing outside a maildrop is read, renamed or deleted, whatever links its owner plants. */
class MaildirSymlinkTest {
    @TempDir
    Path dataDir;
    Path outside;
    MaildirStore store;

    @BeforeEach
    void setUp() throws Exception {
        outside = Files.createDirectories(dataDir.resolve("outside"));
        put(outside.getParent(), "outside", "1600000001.P1.host", "Subject: secret\n\nnot yours\n");
        store = new MaildirStore(dataDir);
    }

    private static MailboxRef home(Path home) {
        return new MailboxRef(USER, Optional.of(home.toString()));
    }

    private void assertRefused(MailboxRef ref) {
        assertThatThrownBy(() -> store.open(ref)).isInstanceOf(StorageException.class)
                .hasMessageContaining("symbolic link")
                .satisfies(e -> assertThat(((StorageException) e).temporary()).isFalse());
        assertThatThrownBy(() -> store.deliver(ref, Envelope.none(), input("Subject: x\n\nx\n")))
                .isInstanceOf(StorageException.class).hasMessageContaining("symbolic link");
        assertThat(outside.resolve("1600000001.P1.host")).exists();
    }

    @Test
    void aLinkedCurIsRefused() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        Files.delete(maildir.resolve("cur"));
        Files.createSymbolicLink(maildir.resolve("cur"), outside);
        assertRefused(MailboxRef.of(USER));
    }

    /** Another user's Maildir, with one message in {@code new/}, and empty {@code cur/} and {@code tmp/}. */
    private Path bobsMaildir() throws IOException {
        Path bob = emptyMaildir(dataDir.resolve("bob/Maildir"));
        put(bob, "new", "1600000002.P2.host", "Subject: bob's\n\nmail\n");
        return bob;
    }

    private static Path emptyMaildir(Path maildir) throws IOException {
        for (String sub : List.of("new", "cur", "tmp")) {
            Files.createDirectories(maildir.resolve(sub));
        }
        return maildir;
    }

    @Test
    void aMaildirLinkedToAnotherUsersMaildirIsRefused() throws Exception {
        Path bob = bobsMaildir();
        Path home = Files.createDirectories(dataDir.resolve("eve"));
        Files.createSymbolicLink(home.resolve("Maildir"), bob);
        assertRefused(home(home));
        assertThat(bob.resolve("new/1600000002.P2.host")).exists();
    }

    @Test
    void aDirectoryOwnedBySomeoneElseIsRefused() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(MaildirGuard.SERVER_UID == 0, "chown needs root");
        Path maildir = Fixtures.maildir(dataDir);
        Files.setAttribute(maildir.resolve("cur"), "unix:uid", 4242);
        assertThatThrownBy(() -> store.open(MailboxRef.of(USER))).isInstanceOf(StorageException.class)
                .hasMessageContaining("owned by uid 4242");
        // A home's owner may own the Maildir below it.
        Path home = Files.createDirectories(dataDir.resolve("carol"));
        Files.setAttribute(home, "unix:uid", 4242);
        for (String sub : List.of("Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp")) {
            Files.setAttribute(Files.createDirectories(home.resolve(sub)), "unix:uid", 4242);
        }
        store.open(home(home)).close();
    }

    /** Each directory, swapped for a link after a login whose approval the store remembers, is refused at the next. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"new", "cur", "tmp"})
    void aDirectoryLinkedAfterAnApprovedLoginIsRefusedAtTheNext(String sub) throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        put(maildir, "new", "1600000004.P4.host", "Subject: mine\n\nmine\n");
        store.open(MailboxRef.of(USER)).close();
        Files.move(maildir.resolve(sub), maildir.resolve(sub + ".old"));
        Files.createSymbolicLink(maildir.resolve(sub), outside);
        try (Warnings warnings = new Warnings()) {
            assertThatThrownBy(() -> store.open(MailboxRef.of(USER))).isInstanceOf(StorageException.class)
                    .hasMessageContaining("symbolic link")
                    .satisfies(e -> assertThat(((StorageException) e).temporary()).isFalse());
            assertThat(warnings.messages()).as("the operator learns why the remembered approval was dropped")
                    .singleElement().asString().contains("remembered approval of " + maildir).contains(sub);
        }
        assertThat(outside.resolve("1600000001.P1.host")).exists();
    }

    @Test
    void theMaildirLinkedAfterAnApprovedLoginIsRefusedAtTheNext() throws Exception {
        Path bob = bobsMaildir();
        Path home = Files.createDirectories(dataDir.resolve("eve"));
        Path maildir = emptyMaildir(home.resolve("Maildir"));
        store.open(home(home)).close();
        Files.move(maildir, home.resolve("Maildir.old"));
        Files.createSymbolicLink(maildir, bob);
        assertRefused(home(home));
        assertThat(bob.resolve("new/1600000002.P2.host")).exists();
    }

    @Test
    void aDirectoryRemovedAfterAnApprovedLoginIsMadeAgainAtTheNext() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        store.open(MailboxRef.of(USER)).close();
        Files.delete(maildir.resolve("tmp"));
        try (Warnings warnings = new Warnings(); Maildrop drop = store.open(MailboxRef.of(USER))) {
            assertThat(drop.messages()).isEmpty();
            assertThat(warnings.messages()).singleElement().asString().contains("remembered approval of " + maildir);
        }
        assertThat(maildir.resolve("tmp")).isDirectory();
        try (Warnings warnings = new Warnings()) {
            store.open(MailboxRef.of(USER)).close();
            assertThat(warnings.messages()).as("approved again: nothing to say").isEmpty();
        }
    }

    /**
     * What a class ({@link MaildirStore} by default) logs at WARN while open (postoffice-testkit's LogCapture depends
     * on this module).
     */
    private static final class Warnings implements AutoCloseable {
        private final ch.qos.logback.classic.Logger logger;
        private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
                new ch.qos.logback.core.read.ListAppender<>();

        Warnings() {
            this(MaildirStore.class);
        }

        Warnings(Class<?> of) {
            logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(of);
            appender.start();
            logger.addAppender(appender);
        }

        List<String> messages() {
            synchronized (appender) {
                return appender.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                        .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
            }
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
            appender.stop();
        }
    }

    /**
     * The owners are checked again once the remembered approval is a minute old ({@code approvalTtl}): a directory
     * whose owner root changed is used until then (its identity is the same), and refused after.
     */
    @Test
    void anOwnerChangedAfterAnApprovedLoginAppliesWhenTheApprovalExpires() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(MaildirGuard.SERVER_UID == 0, "chown needs root");
        Path maildir = Fixtures.maildir(dataDir);
        store.open(MailboxRef.of(USER)).close();
        Files.setAttribute(maildir.resolve("cur"), "unix:uid", 4242);
        store.open(MailboxRef.of(USER)).close(); // remembered: the same directories
        store.approvalTtl(java.time.Duration.ZERO);
        assertThatThrownBy(() -> store.open(MailboxRef.of(USER))).isInstanceOf(StorageException.class)
                .hasMessageContaining("owned by uid 4242");
    }

    @Test
    void aLinkedTmpIsRefusedForDelivery() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        Files.delete(maildir.resolve("tmp"));
        Files.createSymbolicLink(maildir.resolve("tmp"), outside);
        assertThatThrownBy(() -> store.deliver(MailboxRef.of(USER), Envelope.none(), input("Subject: x\n\nx\n")))
                .isInstanceOf(StorageException.class).hasMessageContaining("symbolic link");
        try (var s = Files.list(outside)) {
            assertThat(s.count()).isEqualTo(1);
        }
    }

    @Test
    void aLinkedMessageFileIsNeitherListedNorFollowedNorItsTargetDeleted() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        Files.createSymbolicLink(maildir.resolve("cur/1600000003.P3.host:2,S"), outside.resolve("1600000001.P1.host"));
        try (Maildrop drop = store.open(MailboxRef.of(USER))) {
            assertThat(drop.messages()).isEmpty();
        }
        assertThat(outside.resolve("1600000001.P1.host")).exists();
    }

    @Test
    void aMaildirLinkedToAnEmptyDirectoryGetsNothingCreatedThere() throws Exception {
        Path target = Files.createDirectories(dataDir.resolve("elsewhere"));
        Path maildir = dataDir.resolve("home").resolve(USER).resolve("Maildir");
        Files.createDirectories(maildir.getParent());
        Files.createSymbolicLink(maildir, target);
        assertRefused(MailboxRef.of(USER));
        assertThat(Fixtures.names(target)).as("no new/, cur/ or tmp/ made through the link").isEmpty();
        Files.delete(maildir);
        Files.createDirectories(maildir.resolve("new"));
        Files.createSymbolicLink(maildir.resolve("cur"), target);
        assertRefused(MailboxRef.of(USER));
        assertThat(Fixtures.names(target)).isEmpty();
    }

    @Test
    void aLinkedUsageFileIsNeitherFollowedNorWrittenThrough() throws Exception {
        // Every delivery and UPDATE rewrites postoffice-usage in place: through a planted link, that would truncate
        // and overwrite whatever file the server may write (another user's message, a system file).
        Path maildir = Fixtures.maildir(dataDir);
        Path victim = put(outside.getParent(), "outside", "victim", "precious\n");
        Path usageFile = maildir.resolve(MaildirUsage.FILE_NAME);
        Files.createSymbolicLink(usageFile, victim);
        try (Warnings warnings = new Warnings(MaildirUsage.class)) {
            store.deliver(MailboxRef.of(USER), Envelope.none(), input("Subject: x\n\nx\n"));
            assertThat(warnings.messages()).singleElement().asString()
                    .contains(usageFile.toString(), "is not a regular file");
        }
        assertThat(victim).hasContent("precious\n");
        assertThat(usageFile).isRegularFile();
        assertThat(store.usage(MailboxRef.of(USER)).messages()).isEqualTo(1);

        Files.delete(usageFile);
        Files.createSymbolicLink(usageFile, victim);
        try (Maildrop drop = store.open(MailboxRef.of(USER))) {
            drop.commit(drop.messages(), List.of(), Instant.now());
        }
        assertThat(victim).hasContent("precious\n");
        assertThat(store.usage(MailboxRef.of(USER)).messages()).isZero();

        Files.delete(usageFile);
        Files.createSymbolicLink(usageFile, victim);
        assertThat(store.usage(MailboxRef.of(USER)).messages()).isZero();
        assertThat(victim).hasContent("precious\n");
    }

    @Test
    void neitherTheUsageCountNorTheListingFollowsLinksOrOpensFifos() throws Exception {
        // Without a usage file the Maildir is listed and measured: a link is not a message of this maildrop (its
        // target may be anything, /dev/zero included), and opening a FIFO would wait for a writer forever.
        Path maildir = Fixtures.maildir(dataDir);
        put(maildir, "cur", "1600000002.P2.host:2,S", "Subject: mine\n\nmine\n");
        Files.createSymbolicLink(maildir.resolve("cur/1600000003.P3.host:2,S"), outside.resolve("1600000001.P1.host"));
        Files.createSymbolicLink(maildir.resolve("new/1600000004.P4.host"), Path.of("/dev/zero"));
        Process mkfifo = new ProcessBuilder("mkfifo", maildir.resolve("new/1600000005.P5.host").toString()).start();
        assertThat(mkfifo.waitFor()).isZero();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            dev.postoffice.storage.Usage usage = store.usage(MailboxRef.of(USER));
            assertThat(usage.messages()).isEqualTo(1);
            // no W= or S= in the name: the size on disk, taken without opening the file
            assertThat(usage.bytes()).isEqualTo("Subject: mine\n\nmine\n".length());
            try (Maildrop drop = store.open(MailboxRef.of(USER))) { // the session's listing skips them likewise
                assertThat(drop.messages()).singleElement().extracting(StoredMessage::size)
                        .isEqualTo(Fixtures.canonical("Subject: mine\n\nmine\n"));
            }
        });
    }

    /**
     * Opens a maildrop with one message in {@code sub}, lets {@code swap} replace a directory by a link to a
     * directory of the same layout outside holding a file of the same name, then reads and deletes the message:
     * the read fails or gives the session's own message, the deletion fails or removes the session's own file,
     * and nothing outside is read, written or deleted.
     */
    private void swappedAfterOpen(String sub, Swap swap) throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        String name = "1600000001.P1.host" + (sub.equals("cur") ? ":2,S" : "");
        put(maildir, sub, name, "Subject: mine\n\nmine\n");
        Path decoy = Files.createDirectories(dataDir.resolve("decoy"));
        for (String d : List.of("new", "cur", "tmp")) {
            Files.createDirectories(decoy.resolve(d));
        }
        Path theirs = put(decoy, sub, name, "Subject: secret\n\nnot yours\n");
        try (Maildrop drop = store.open(MailboxRef.of(USER))) {
            StoredMessage m = drop.messages().getFirst();
            Path moved = swap.apply(maildir, decoy);
            try {
                assertThat(Fixtures.read(drop, m)).isEqualTo("Subject: mine\n\nmine\n");
            } catch (IOException e) {
                assertThat(e).hasMessageNotContaining("not yours"); // refused: fine
            }
            try {
                drop.commit(List.of(m), List.of(m), Instant.now());
                assertThat(moved).doesNotExist(); // the session's own file went
            } catch (StorageException e) {
                assertThat(moved).exists(); // refused: nothing removed
            }
        }
        assertThat(theirs).exists().hasContent("Subject: secret\n\nnot yours\n");
        assertThat(Fixtures.names(decoy)).containsExactly("cur", "new", "tmp"); // no history or cache written there
        for (String d : List.of("new", "cur", "tmp")) {
            assertThat(Fixtures.names(decoy.resolve(d))).containsExactlyElementsOf(
                    d.equals(sub) ? List.of(name) : List.of());
        }
    }

    /** Replaces a directory by a link; returns where the session's message file is now. */
    private interface Swap {
        Path apply(Path maildir, Path decoy) throws Exception;
    }

    private static Path swapSub(Path maildir, Path decoy, String sub) throws Exception {
        Path name;
        try (var s = Files.list(maildir.resolve(sub))) {
            name = s.findFirst().orElseThrow().getFileName();
        }
        Files.move(maildir.resolve(sub), maildir.resolve(sub + ".old"));
        Files.createSymbolicLink(maildir.resolve(sub), decoy.resolve(sub));
        return maildir.resolve(sub + ".old").resolve(name);
    }

    @Test
    void curSwappedForALinkAfterOpenIsNotFollowed() throws Exception {
        swappedAfterOpen("cur", (maildir, decoy) -> swapSub(maildir, decoy, "cur"));
    }

    @Test
    void newSwappedForALinkAfterOpenIsNotFollowed() throws Exception {
        swappedAfterOpen("new", (maildir, decoy) -> swapSub(maildir, decoy, "new"));
    }

    @Test
    void theMaildirSwappedForALinkAfterOpenIsNotFollowed() throws Exception {
        swappedAfterOpen("cur", (maildir, decoy) -> {
            Path old = maildir.resolveSibling("Maildir.old");
            Files.move(maildir, old);
            Files.createSymbolicLink(maildir, decoy);
            try (var s = Files.list(old.resolve("cur"))) {
                return s.findFirst().orElseThrow();
            }
        });
    }

    @Test
    void withoutSecureStreamsASwappedDirectoryIsCaughtBeforeEachUse() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        put(maildir, "cur", "1600000001.P1.host", "Subject: mine\n\nmine\n");
        put(outside.getParent(), "outside", "1600000001.P1.host:2,S", "Subject: secret\n\nnot yours\n");
        try (MaildirDirs dirs = MaildirDirs.open(maildir, MaildirGuard.check(maildir, Optional.empty()), false)) {
            assertThat(dirs.secure()).isFalse();
            assertThat(dirs.names(MaildirDirs.CUR)).containsExactly("1600000001.P1.host");
            Files.move(maildir.resolve("cur"), maildir.resolve("cur.old"));
            Files.createSymbolicLink(maildir.resolve("cur"), outside);
            assertThatThrownBy(() -> dirs.read(MaildirDirs.CUR, "1600000001.P1.host"))
                    .hasMessageContaining("replaced");
            assertThatThrownBy(() -> dirs.names(MaildirDirs.CUR)).hasMessageContaining("replaced");
            assertThatThrownBy(() -> dirs.delete(MaildirDirs.CUR, "1600000001.P1.host"))
                    .hasMessageContaining("replaced");
        }
        assertThat(outside.resolve("1600000001.P1.host")).exists();
    }

    @Test
    void aDirectoryReplacedAfterTheCheckIsNotUsed() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        Object[] keys = MaildirGuard.check(maildir, Optional.empty());
        Files.move(maildir.resolve("cur"), maildir.resolve("cur.old"));
        Files.createSymbolicLink(maildir.resolve("cur"), outside);
        try (MaildirDirs dirs = MaildirDirs.open(maildir, keys)) {
            assertThat(dirs.secure()).isTrue();
            assertThatThrownBy(() -> dirs.names(MaildirDirs.CUR)).isInstanceOf(IOException.class); // a link
            Files.delete(maildir.resolve("cur"));
            Files.createDirectory(maildir.resolve("cur")); // another directory, not the one checked
            assertThatThrownBy(() -> dirs.names(MaildirDirs.CUR)).hasMessageContaining("replaced");
            assertThat(dirs.names(MaildirDirs.NEW)).isEmpty();
        }
        Files.move(maildir, maildir.resolveSibling("Maildir.old"));
        Files.createDirectories(maildir);
        assertThatThrownBy(() -> MaildirDirs.open(maildir, keys)).isInstanceOf(MaildirDirs.ReplacedException.class)
                .hasMessageContaining("replaced");
    }

    /**
     * Swaps {@code cur} for a link to a directory holding a file of the same name, and back, as fast as it can,
     * while the session reads the message again and again: whenever a read succeeds it is the session's own file.
     * A check of the directories before each use (what was done before they were held open) loses this race.
     */
    @Test
    void aSwapRacingTheReadsNeverReachesOutside() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        String name = "1600000001.P1.host:2,S";
        put(maildir, "cur", name, "Subject: mine\n\nmine\n");
        put(outside.getParent(), "outside", name, "Subject: secret\n\nnot yours\n");
        try (Maildrop drop = store.open(MailboxRef.of(USER))) {
            StoredMessage m = drop.messages().getFirst();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Path cur = maildir.resolve("cur");
            Path real = maildir.resolve("cur.real");
            Thread swapper = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        Files.move(cur, real);
                        Files.createSymbolicLink(cur, outside);
                        Files.delete(cur);
                        Files.move(real, cur);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int read = 0;
            try {
                // At least 3000 attempts, and on until one got through: the swapper leaves the real directory in
                // place only briefly, so on a fast machine the first few thousand can all be refused.
                for (int i = 0; i < 3000 || read == 0 && i < 300_000; i++) {
                    String text;
                    try {
                        text = Fixtures.read(drop, m);
                    } catch (IOException e) {
                        continue; // refusing is fine; reading the outside file is not
                    }
                    assertThat(text).doesNotContain("not yours");
                    read++;
                }
            } finally {
                stop.set(true);
                swapper.join();
            }
            assertThat(read).isPositive();
            drop.commit(List.of(m), List.of(), Instant.now());
        }
        assertThat(outside.resolve(name)).exists();
        assertThat(maildir.resolve("cur").resolve(name)).doesNotExist();
    }

    /**
     * Deletes many messages while {@code cur} is swapped for a link to a directory holding files of the same names
     * and back, as fast as it can: the UPDATE may fail, but no file outside is removed.
     */
    @Test
    void aSwapRacingTheUpdateNeverDeletesOutside() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        int n = 400;
        for (int i = 0; i < n; i++) {
            String name = (1600000000 + i) + ".P1.host:2,S";
            put(maildir, "cur", name, "Subject: mine\n\nmine\n");
            put(outside.getParent(), "outside", name, "Subject: secret\n\nnot yours\n");
        }
        try (Maildrop drop = store.open(MailboxRef.of(USER))) {
            assertThat(drop.messages()).hasSize(n);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CountDownLatch flipping = new java.util.concurrent.CountDownLatch(1);
            Path cur = maildir.resolve("cur");
            Path real = maildir.resolve("cur.real");
            Thread swapper = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        Files.move(cur, real);
                        Files.createSymbolicLink(cur, outside);
                        flipping.countDown();
                        Files.delete(cur);
                        Files.move(real, cur);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                flipping.await();
                drop.commit(drop.messages(), List.of(), Instant.now());
            } catch (StorageException e) {
                // refusing is fine; deleting outside is not
            } finally {
                stop.set(true);
                swapper.join();
            }
        }
        assertThat(Fixtures.names(outside)).hasSize(n + 1);
    }
}
