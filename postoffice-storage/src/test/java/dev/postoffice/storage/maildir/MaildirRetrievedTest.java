package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.byId;
import static dev.postoffice.storage.maildir.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.Maildrop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** First-retrieval times, which RFC 2449 EXPIRE counts from. */
class MaildirRetrievedTest {
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
        put(maildir, "new", A, "a\n");
        put(maildir, "cur", B + ":2,S", "b\n");
    }

    @Test
    void theLastLoginIsKeptAcrossSessionsAndStoreInstances() throws Exception {
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.history().lastLogin()).isEmpty();
            m.history().recordLogin(Instant.ofEpochMilli(1_700_000_000_123L));
            assertThat(m.history().lastLogin()).contains(Instant.ofEpochMilli(1_700_000_000_123L));
        }
        try (Maildrop m = new MaildirStore(dataDir).open(dev.postoffice.storage.MailboxRef.of(USER))) { // as after a restart
            assertThat(m.history().lastLogin()).contains(Instant.ofEpochMilli(1_700_000_000_123L));
            m.history().recordLogin(Instant.ofEpochMilli(1_700_000_600_000L));
        }
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.history().lastLogin()).contains(Instant.ofEpochMilli(1_700_000_600_000L));
            assertThat(m.messages()).hasSize(2); // the file is ours, not a message
        }
        Files.writeString(maildir.resolve(MaildirHistory.LAST_LOGIN_FILE), "garbage\n");
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.history().lastLogin()).isEmpty(); // a damaged file reads as no login
        }
    }

    @Test
    void theFirstRetrievalIsKeptAcrossSessions() throws Exception {
        Instant first = Instant.ofEpochSecond(1_700_000_000);
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.history().firstRetrieved(byId(m, A))).isEmpty();
            m.history().recordRetrieved(List.of(byId(m, A)), first);
        }
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.history().firstRetrieved(byId(m, A))).contains(first);
            assertThat(m.history().firstRetrieved(byId(m, B))).isEmpty();
            m.history().recordRetrieved(List.of(byId(m, A), byId(m, B)), first.plusSeconds(3600));
        }
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.history().firstRetrieved(byId(m, A))).contains(first);
            assertThat(m.history().firstRetrieved(byId(m, B))).contains(first.plusSeconds(3600));
        }
    }

    @Test
    void removedMessagesAreForgotten() throws Exception {
        Instant t = Instant.ofEpochSecond(1_700_000_000);
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            m.history().recordRetrieved(List.of(byId(m, A), byId(m, B)), t);
        }
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            m.commit(List.of(byId(m, A)), List.of(), java.time.Instant.now());
            m.history().recordRetrieved(List.of(), t);
        }
        assertThat(Files.readString(maildir.resolve(MaildirHistory.RETRIEVED_FILE))).doesNotContain(A).contains(B);
    }

    @Test
    void aCorruptFileReadsAsNoRetrievals() throws Exception {
        Files.writeString(maildir.resolve(MaildirHistory.RETRIEVED_FILE), "garbage without number\n");
        try (Maildrop m = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.history().firstRetrieved(byId(m, A))).isEmpty();
        }
    }
}
