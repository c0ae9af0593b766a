package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.input;
import static dev.postoffice.storage.maildir.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listing kept between sessions: used while {@code new/} and {@code cur/} are unchanged, dropped by any
 * delivery, removal or rename, and never kept for directories changed too recently to trust their mtimes.
 * The tests date the directories back instead of waiting.
 */
class MaildirSnapshotTest {
    static final String A = "1600000001.P1.host";
    static final String B = "1600000002.P1.host";

    @TempDir
    Path dataDir;
    Path maildir;
    MaildirStore store;

    @BeforeEach
    void setUp() throws Exception {
        maildir = Fixtures.maildir(dataDir);
        store = new MaildirStore(dataDir);
        put(maildir, "new", A, "Subject: a\n\na\n");
        put(maildir, "cur", B + ":2,S", "Subject: b\n\nb\n");
    }

    private List<String> ids() throws Exception {
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            return m.messages().stream().map(StoredMessage::id).toList();
        }
    }

    /** Sets the mtime of new/ and cur/ to an hour ago, as if the maildrop had been left alone since. */
    private FileTime settle() throws Exception {
        FileTime past = FileTime.from(Instant.now().minusSeconds(3600));
        Files.setLastModifiedTime(maildir.resolve("new"), past);
        Files.setLastModifiedTime(maildir.resolve("cur"), past);
        return past;
    }

    /** Adds a file behind the snapshot's back: the directory's mtime is put back as it was. */
    private void sneakIn(String name, FileTime mtime) throws Exception {
        put(maildir, "new", name, "Subject: sneaked\n\nx\n");
        Files.setLastModifiedTime(maildir.resolve("new"), mtime);
    }

    @Test
    void anUnchangedMaildropIsNotListedAgain() throws Exception {
        FileTime past = settle();
        assertThat(ids()).containsExactly(A, B);
        sneakIn("1600000003.P1.host", past);
        assertThat(ids()).as("the snapshot, since the directories look unchanged").containsExactly(A, B);
        Files.setLastModifiedTime(maildir.resolve("new"), FileTime.from(Instant.now()));
        assertThat(ids()).containsExactly(A, B, "1600000003.P1.host");
    }

    @Test
    void theListingIsKeptPerStoreInstanceNotPerJvm() throws Exception {
        FileTime past = settle();
        assertThat(ids()).containsExactly(A, B);
        sneakIn("1600000003.P1.host", past);
        store = new MaildirStore(dataDir); // a restart: nothing is remembered from the previous store
        assertThat(ids()).containsExactly(A, B, "1600000003.P1.host");
    }

    @Test
    void recentlyChangedDirectoriesAreAlwaysListed() throws Exception {
        FileTime recent = FileTime.from(Instant.now().minusMillis(500));
        Files.setLastModifiedTime(maildir.resolve("new"), recent);
        assertThat(ids()).containsExactly(A, B);
        sneakIn("1600000003.P1.host", recent); // a delivery within the same mtime tick
        assertThat(ids()).containsExactly(A, B, "1600000003.P1.host");
    }

    @Test
    void aDeliveryShowsInTheNextSession() throws Exception {
        settle();
        assertThat(ids()).hasSize(2);
        String id = store.deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("Subject: new\n\nnew\n")).id();
        assertThat(ids()).containsExactly(A, B, id);
    }

    @Test
    void removedMessagesStayRemovedAndNothingOfASessionLeaks() throws Exception {
        settle();
        assertThat(ids()).hasSize(2);
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            m.commit(List.of(m.messages().get(0)), List.of(), java.time.Instant.now());
        }
        assertThat(ids()).containsExactly(B);
        settle();
        assertThat(ids()).containsExactly(B);
        // Another program moves B to new/ with other flags: both directories change, the listing follows.
        Files.move(maildir.resolve("cur").resolve(B + ":2,S"), maildir.resolve("cur").resolve(B + ":2,RS"));
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).extracting(StoredMessage::id).containsExactly(B);
            m.body(m.messages().get(0)).open().close();
        }
    }

    @Test
    void aSessionOnTheKeptListingFollowsARenameAndRemovesTheRenamedFile() throws Exception {
        settle();
        assertThat(ids()).containsExactly(A, B); // listed and kept
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) { // served from the kept listing
            // A mail client moves both files while the session runs (as RFC 1939 allows no one to do, but some do).
            Files.move(maildir.resolve("new").resolve(A), maildir.resolve("cur").resolve(A + ":2,S"));
            Files.move(maildir.resolve("cur").resolve(B + ":2,S"), maildir.resolve("cur").resolve(B + ":2,RS"));
            try (var in = m.body(m.messages().get(0)).open()) {
                assertThat(new String(in.readAllBytes())).contains("Subject: a");
            }
            m.commit(List.of(m.messages().get(1)), List.of(), Instant.now());
        }
        assertThat(maildir.resolve("cur").resolve(B + ":2,RS")).doesNotExist();
        assertThat(maildir.resolve("cur").resolve(A + ":2,S")).exists();
        assertThat(ids()).containsExactly(A);
    }

    @Test
    void aReplacedDirectoryIsNotMistakenForTheOldOne() throws Exception {
        FileTime past = settle();
        assertThat(ids()).containsExactly(A, B);
        Path cur = maildir.resolve("cur");
        Path old = maildir.resolve("cur.old");
        Files.move(cur, old);
        Files.createDirectory(cur);
        Files.setLastModifiedTime(cur, past);
        Files.setLastModifiedTime(maildir.resolve("new"), past);
        assertThat(ids()).containsExactly(A);
    }
}
