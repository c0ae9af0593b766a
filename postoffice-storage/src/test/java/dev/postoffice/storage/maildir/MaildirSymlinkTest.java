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

    @Test
    void aMaildirLinkedToAnotherUsersMaildirIsRefused() throws Exception {
        Path bob = Files.createDirectories(dataDir.resolve("bob/Maildir"));
        for (String sub : List.of("new", "cur", "tmp")) {
            Files.createDirectories(bob.resolve(sub));
        }
        put(bob, "new", "1600000002.P2.host", "Subject: bob's\n\nmail\n");
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
    void aDirectorySwappedForALinkDuringTheSessionIsNotFollowed() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        put(maildir, "cur", "1600000001.P1.host", "Subject: mine\n\nmine\n");
        try (Maildrop drop = store.open(MailboxRef.of(USER))) {
            StoredMessage m = drop.messages().getFirst();
            Files.move(maildir.resolve("cur"), maildir.resolve("cur.old"));
            Files.createSymbolicLink(maildir.resolve("cur"), outside);
            assertThatThrownBy(() -> drop.body(m)).hasMessageContaining("replaced");
            assertThatThrownBy(() -> drop.commit(List.of(m), List.of(), Instant.now()))
                    .isInstanceOf(StorageException.class);
        }
        assertThat(outside.resolve("1600000001.P1.host")).exists();
    }
}
