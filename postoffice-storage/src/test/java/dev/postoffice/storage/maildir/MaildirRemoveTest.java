package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.byId;
import static dev.postoffice.storage.maildir.Fixtures.names;
import static dev.postoffice.storage.maildir.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirRemoveTest {
    static final String A = "1600000001.P1.host";
    static final String B = "1600000002.P1.host";
    static final String C = "1600000003.P1.host";

    @TempDir
    Path dataDir;
    Path maildir;
    MaildirStore store;

    @BeforeEach
    void setUp() throws Exception {
        maildir = Fixtures.maildir(dataDir);
        store = new MaildirStore(dataDir);
        put(maildir, "new", A, "a\n");
        put(maildir, "cur", B + ":2,S", "b\n");
        put(maildir, "new", C, "c\n");
    }

    private Maildrop open() throws Exception {
        return store.open(dev.postoffice.storage.MailboxRef.of(USER));
    }

    @Test
    void removesOnlyTheGivenMessages() throws Exception {
        try (Maildrop m = open()) {
            m.commit(List.of(byId(m, A), byId(m, B)), List.of(), java.time.Instant.now());
            assertThat(m.messages()).hasSize(3); // the snapshot itself never changes
        }
        assertThat(names(maildir.resolve("new"))).containsExactly(C);
        assertThat(names(maildir.resolve("cur"))).isEmpty();
        try (Maildrop m = open()) {
            assertThat(m.messages()).extracting(StoredMessage::id).containsExactly(C);
        }
    }

    @Test
    void aMessageWithACopyInBothNewAndCurIsRemovedEntirely() throws Exception {
        // Software that meant to move A to cur/ left the file in new/ as well: one message, two files.
        put(maildir, "cur", A + ":2,S", "a\n");
        try (Maildrop m = open()) {
            assertThat(m.messages()).extracting(StoredMessage::id).containsExactly(A, B, C);
            m.commit(List.of(byId(m, A)), List.of(), java.time.Instant.now());
        }
        assertThat(names(maildir.resolve("new"))).containsExactly(C);
        assertThat(names(maildir.resolve("cur"))).containsExactly(B + ":2,S");
        try (Maildrop m = open()) {
            assertThat(m.messages()).extracting(StoredMessage::id).containsExactly(B, C); // A does not come back
        }
    }

    @Test
    void removingNothingChangesNothing() throws Exception {
        try (Maildrop m = open()) {
            m.commit(List.of(), List.of(), java.time.Instant.now());
        }
        assertThat(names(maildir.resolve("new"))).containsExactly(A, C);
    }

    @Test
    void alreadyGoneCountsAsRemoved() throws Exception {
        try (Maildrop m = open()) {
            Files.delete(maildir.resolve("new").resolve(A));
            m.commit(List.of(byId(m, A), byId(m, C)), List.of(), java.time.Instant.now());
            m.commit(List.of(byId(m, A), byId(m, C)), List.of(), java.time.Instant.now()); // twice is harmless
        }
        assertThat(names(maildir.resolve("new"))).isEmpty();
        assertThat(names(maildir.resolve("cur"))).containsExactly(B + ":2,S");
    }

    @Test
    void removesAMessageOtherSoftwareMovedToCur() throws Exception {
        try (Maildrop m = open()) {
            Files.move(maildir.resolve("new").resolve(A), maildir.resolve("cur").resolve(A + ":2,S"));
            Files.move(maildir.resolve("cur").resolve(B + ":2,S"), maildir.resolve("cur").resolve(B + ":2,ST"));
            m.commit(List.of(byId(m, A), byId(m, B)), List.of(), java.time.Instant.now());
        }
        assertThat(names(maildir.resolve("cur"))).isEmpty();
        assertThat(names(maildir.resolve("new"))).containsExactly(C);
    }

    @Test
    void failedUnlinkIsReportedAndTheRestRemoved() throws Exception {
        try (Maildrop m = open()) {
            // Make B impossible to unlink, even for root: replace its file with a non-empty directory.
            Path b = maildir.resolve("cur").resolve(B + ":2,S");
            Files.delete(b);
            Files.createDirectory(b);
            Files.writeString(b.resolve("keep"), "x");

            assertThatThrownBy(() -> m.commit(m.messages(), List.of(), java.time.Instant.now()))
                    .isInstanceOfSatisfying(StorageException.class, e -> {
                        assertThat(e.temporary()).isTrue();
                        assertThat(e).hasMessageStartingWith("1 of 3 messages could not be removed");
                    });
            assertThat(names(maildir.resolve("new"))).isEmpty();
            assertThat(b.resolve("keep")).exists();
        }
        assertThat(Files.readAllLines(maildir.resolve(SizeCache.FILE_NAME))).containsExactly(B + " 3c");
    }

    @Test
    void removedMessageCannotBeOpened() throws Exception {
        try (Maildrop m = open()) {
            StoredMessage a = byId(m, A);
            m.commit(List.of(a), List.of(), java.time.Instant.now());
            assertThatThrownBy(() -> m.body(a).open())
                    .isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining("removed");
        }
    }

    @Test
    void messageOfAnotherSnapshotIsRefused() throws Exception {
        try (Maildrop m = open()) {
            assertThatThrownBy(() -> m.commit(List.of(new StoredMessage("1600000009.P1.host", "x", 1)), List.of(), java.time.Instant.now()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(names(maildir.resolve("new"))).containsExactly(A, C);
    }

    @Test
    void closedMaildropIsRefused() throws Exception {
        Maildrop m = open();
        StoredMessage a = byId(m, A);
        m.close();
        assertThatThrownBy(() -> m.commit(List.of(a), List.of(), java.time.Instant.now())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.body(a).open()).isInstanceOf(IllegalStateException.class);
        assertThat(names(maildir.resolve("new"))).containsExactly(A, C);
    }

    @Test
    void nothingIsDeletedWithoutRemove() throws Exception {
        try (Maildrop m = open()) {
            for (StoredMessage msg : m.messages()) {
                Fixtures.read(m, msg);
            }
        }
        assertThat(names(maildir.resolve("new"))).containsExactly(A, C);
        assertThat(names(maildir.resolve("cur"))).containsExactly(B + ":2,S");
    }
}
