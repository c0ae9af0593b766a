package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Maildir that Dovecot served: its UIDLs and order, from a hand-written dovecot-uidlist. */
class MaildirDovecotTest {
    private static final String MSG = "Subject: x\r\n\r\nbody\r\n";
    // Postoffice would order these by their leading seconds: c, a, b; Dovecot numbered them a, b, c.
    private static final String A = "1700000300.M1P1.mail,S=21,W=21";
    private static final String B = "1700000200.M2P1.mail";
    private static final String C = "1700000100.M3P1.mail";
    private static final String LATER = "1700000050.M9P9.mail";

    @TempDir
    Path dataDir;
    Path maildir;

    @BeforeEach
    void setUp() throws Exception {
        maildir = Fixtures.maildir(dataDir);
        put(maildir, "cur", A + ":2,S", MSG);
        put(maildir, "new", B, MSG);
        put(maildir, "cur", C + ":2,", MSG);
        uidlist("3 V1700000000 N4 G4f0a1b2c3d4e5f60718293a4b5c6d7e8\n"
                + "1 W21 S21 :" + A + "\n"
                + "2 :" + B + "\n"
                + "3 :" + C + ":2,\n");
    }

    private void uidlist(String text) throws Exception {
        Files.writeString(maildir.resolve(DovecotUidList.FILE_NAME), text);
    }

    /** A fresh store each time, so no listing is kept between the sessions of a test. */
    private List<StoredMessage> list(UidlFormat format) throws Exception {
        try (Maildrop m = new MaildirStore(dataDir).dovecotUidlFormat(format).open(MailboxRef.of(USER))) {
            return m.messages();
        }
    }

    private List<StoredMessage> list() throws Exception {
        return list(UidlFormat.parse(UidlFormat.DEFAULT));
    }

    private static List<String> uidls(List<StoredMessage> messages) {
        return messages.stream().map(StoredMessage::uidl).toList();
    }

    private static List<String> ids(List<StoredMessage> messages) {
        return messages.stream().map(StoredMessage::id).toList();
    }

    @Test
    void servesDovecotsUidlsInDovecotsOrderAndOursAfter() throws Exception {
        put(maildir, "new", LATER, MSG);
        List<StoredMessage> messages = list();
        assertThat(ids(messages)).containsExactly(A, B, C, LATER);
        assertThat(uidls(messages)).containsExactly("000000016553f100", "000000026553f100", "000000036553f100", LATER);
        assertThat(messages.get(0).size()).isEqualTo(MSG.length());
    }

    @Test
    void otherFormatsAndSavedPop3Uidls() throws Exception {
        uidlist("3 V9 N5\n1 :" + A + "\n2 P :" + B + "\n3 Pmigrated-7 :" + C + "\n");
        assertThat(uidls(list(UidlFormat.parse("%v.%u")))).containsExactly("9.1", B, "migrated-7");
    }

    @Test
    void savedPop3OrderComesFirst() throws Exception {
        uidlist("3 V9 N5\n1 :" + A + "\n2 O2 :" + B + "\n3 O1 :" + C + "\n");
        assertThat(ids(list(UidlFormat.parse("%u")))).containsExactly(C, B, A);
    }

    @Test
    void aServedUidlNeverChanges() throws Exception {
        put(maildir, "new", LATER, MSG);
        List<String> first = uidls(list());
        long uidlistBytes = Files.size(maildir.resolve(DovecotUidList.FILE_NAME));
        assertThat(maildir.resolve(DovecotUidls.FILE_NAME)).exists();
        assertThat(Files.size(maildir.resolve(DovecotUidList.FILE_NAME))).isEqualTo(uidlistBytes);

        // Dovecot serves the Maildir again: it moves LATER to cur/ with flags, numbers it, and rebuilds its
        // uidlist with a new UIDVALIDITY; the operator changes the format setting too.
        Files.move(maildir.resolve("new").resolve(LATER), maildir.resolve("cur").resolve(LATER + ":2,S"));
        Files.move(maildir.resolve("new").resolve(B), maildir.resolve("cur").resolve(B + ":2,RS"));
        uidlist("3 V1800000000 N5\n1 :" + A + "\n2 :" + B + "\n3 :" + C + "\n4 :" + LATER + ":2,S\n");
        assertThat(uidls(list(UidlFormat.parse("%u")))).containsExactlyElementsOf(first);

        // and the uidlist goes away when the migration is over
        Files.delete(maildir.resolve(DovecotUidList.FILE_NAME));
        assertThat(uidls(list())).containsExactlyElementsOf(first);
    }

    @Test
    void aBaseNameEqualToADovecotUidlGetsItsDigestForm() throws Exception {
        put(maildir, "new", "2", MSG); // a file named like Dovecot's %u UIDL of B
        List<StoredMessage> messages = list(UidlFormat.parse("%u"));
        assertThat(uidls(messages)).startsWith("1", "2", "3");
        assertThat(messages.get(3).uidl()).isEqualTo(MaildirNames.derivedUidl("2"));
        assertThat(Set.copyOf(uidls(messages))).hasSize(4);
    }

    @Test
    void duplicateDovecotUidlsAreRenamedAsDovecotDoes() throws Exception {
        uidlist("3 V9 N5\n1 Psame :" + A + "\n2 Psame :" + B + "\n3 Psame-2 :" + C + "\n");
        List<String> uidls = uidls(list());
        assertThat(uidls).containsExactly("same", "same-2", "same-2-2");
        assertThat(Set.copyOf(uidls)).hasSize(3);
    }

    @Test
    void anUnusableUidlistMeansOurOwnUidls() throws Exception {
        uidlist("this is not Dovecot's\n1 :" + A + "\n");
        assertThat(uidls(list())).containsExactly(C, B, A);
        assertThat(maildir.resolve(DovecotUidls.FILE_NAME)).doesNotExist();
    }

    @Test
    void offReadsNoUidlist() throws Exception {
        assertThat(uidls(list(null))).containsExactly(C, B, A);
        assertThat(maildir.resolve(DovecotUidls.FILE_NAME)).doesNotExist();
    }

    @Test
    void aMaildirWithoutUidlistGetsNoFileOfOurs() throws Exception {
        Files.delete(maildir.resolve(DovecotUidList.FILE_NAME));
        assertThat(uidls(list())).containsExactly(C, B, A);
        try (var files = Files.list(maildir)) {
            assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()))
                    .doesNotContain(DovecotUidls.FILE_NAME);
        }
    }

    @Test
    void aDamagedRecordFallsBackToTheUidlist() throws Exception {
        List<String> first = uidls(list());
        Files.writeString(maildir.resolve(DovecotUidls.FILE_NAME), "garbage\n");
        assertThat(uidls(list())).containsExactlyElementsOf(first);
    }

    @Test
    void removedMessagesLeaveTheRecord() throws Exception {
        list();
        try (Maildrop m = new MaildirStore(dataDir).open(MailboxRef.of(USER))) {
            m.commit(List.of(m.messages().get(0)), List.of(), java.time.Instant.now());
        }
        list();
        assertThat(Files.readString(maildir.resolve(DovecotUidls.FILE_NAME))).doesNotContain(A).contains(B, C);
    }
}
