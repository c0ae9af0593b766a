package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.bytes;
import static dev.postoffice.storage.maildir.Fixtures.canonical;
import static dev.postoffice.storage.maildir.Fixtures.input;
import static dev.postoffice.storage.maildir.Fixtures.names;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MaildirDeliverTest {
    @TempDir
    Path dataDir;

    private MaildirStore store() {
        return new MaildirStore(dataDir);
    }

    private Path maildir() {
        return dataDir.resolve("home").resolve(USER).resolve("Maildir");
    }

    /** Delivers and checks the stored file: its name, its content and the S= and W= fields. */
    private void assertDelivered(MessageFormat.LineEnd lineEnd, String input, String stored) throws Exception {
        String id = new MaildirStore(dataDir, lineEnd).deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input(input)).id();

        assertThat(names(maildir().resolve("new"))).containsExactly(id);
        assertThat(names(maildir().resolve("tmp"))).isEmpty();
        assertThat(Files.readAllBytes(maildir().resolve("new").resolve(id))).isEqualTo(bytes(stored));
        assertThat(id).endsWith(",S=" + stored.length() + ",W=" + canonical(input));
        assertThat(canonical(stored)).isEqualTo(canonical(input));
    }

    /** input; stored with LF line ends; stored with CRLF line ends. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "Subject: hi\\r\\n\\r\\nbody\\r\\n | Subject: hi\\n\\nbody\\n | Subject: hi\\r\\n\\r\\nbody\\r\\n",
        "Subject: hi\\n\\nbody\\n | Subject: hi\\n\\nbody\\n | Subject: hi\\r\\n\\r\\nbody\\r\\n",
        "Subject: hi\\n\\nno newline | Subject: hi\\n\\nno newline\\n | Subject: hi\\r\\n\\r\\nno newline\\r\\n",
        "a\\r\\nb | a\\nb\\n | a\\r\\nb\\r\\n",
        "a\\rb\\r | a\\nb\\n | a\\r\\nb\\r\\n",
        "a\\rb | a\\nb\\n | a\\r\\nb\\r\\n",
        "a\\r\\r\\n\\n.b | a\\n\\n\\n.b\\n | a\\r\\n\\r\\n\\r\\n.b\\r\\n",
    })
    void everyLineEndBecomesTheStoresLineEnd(String input, String lf, String crlf) throws Exception {
        assertDelivered(MessageFormat.LineEnd.LF, unescape(input), unescape(lf));
        Files.delete(Files.list(maildir().resolve("new")).findFirst().orElseThrow());
        assertDelivered(MessageFormat.LineEnd.CRLF, unescape(input), unescape(crlf));
    }

    private static String unescape(String s) {
        return s.replace("\\r", "\r").replace("\\n", "\n");
    }

    @Test
    void byDefaultMessagesAreStoredInTheFormPop3SendsThem() throws Exception {
        String plain = store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("Subject: hi\n\nbody\n")).id();
        String dotted = store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("Subject: hi\n\n.body\n")).id();
        assertThat(plain).endsWith(",S=21,W=21");
        try (Maildrop m = store().open(dev.postoffice.storage.MailboxRef.of(USER))) {
            StoredMessage p = m.messages().stream().filter(x -> x.id().equals(plain)).findFirst().orElseThrow();
            StoredMessage d = m.messages().stream().filter(x -> x.id().equals(dotted)).findFirst().orElseThrow();
            Fixtures.CanonicalFile c = Fixtures.openCanonical(m, p).orElseThrow();
            assertThat(c.dotLines()).isFalse();
            try (FileChannel ch = c.file()) {
                ByteBuffer b = ByteBuffer.allocate(64);
                ch.read(b, 0);
                assertThat(new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII))
                        .isEqualTo("Subject: hi\r\n\r\nbody\r\n");
            }
            Fixtures.CanonicalFile dc = Fixtures.openCanonical(m, d).orElseThrow();
            dc.file().close();
            assertThat(dc.dotLines()).as("a line that needs byte-stuffing").isTrue();
        }
    }

    @Test
    void crlfSplitAcrossReadsIsCountedOnce() throws Exception {
        InputStream in = new SequenceInputStream(input("line\r"), input("\nnext\r\n"));
        String id = store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), in).id();
        assertThat(id).endsWith(",S=12,W=12");
    }

    @Test
    void nameFollowsTheMaildirSpecAndIsTheId() throws Exception {
        String id = store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("x\n")).id();
        String pid = Long.toString(ProcessHandle.current().pid());
        assertThat(id).matches("\\d{10,}\\.M\\d{1,6}P" + pid + "Q\\d+R[0-9a-f]{8}\\.[^/:]+,S=3,W=3");
        try (Maildrop m = store().open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).containsExactly(new StoredMessage(id, id, 3));
        }
    }

    @Test
    void namesAreUnique() throws Exception {
        MaildirStore store = store();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            ids.add(store.deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("m" + i + "\n")).id());
        }
        assertThat(ids).hasSize(200);
        assertThat(names(maildir().resolve("new"))).hasSize(200);
    }

    @Test
    void createsTheMaildirPrivately() throws Exception {
        store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("x\n"));
        for (Path dir : new Path[] {maildir(), maildir().resolve("new"), maildir().resolve("cur"), maildir().resolve("tmp")}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        }
        Path file = maildir().resolve("new").resolve(names(maildir().resolve("new")).get(0));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void givenHomeHoldsTheMaildir() throws Exception {
        Path home = Files.createDirectory(dataDir.resolve("users-alice"));
        String id = store().deliver(new dev.postoffice.storage.MailboxRef(USER, Optional.of(home.toString())), dev.postoffice.storage.Envelope.none(), input("x\n")).id();
        assertThat(home.resolve("Maildir").resolve("new").resolve(id)).exists();
        assertThat(dataDir.resolve("home")).doesNotExist();
    }

    @Test
    void missingHomeIsATemporaryFailure() {
        Path home = dataDir.resolve("not-mounted");
        assertThatThrownBy(() -> store().deliver(new dev.postoffice.storage.MailboxRef(USER, Optional.of(home.toString())), dev.postoffice.storage.Envelope.none(), input("x\n")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.temporary()).isTrue());
        assertThat(home).doesNotExist();
    }

    @Test
    void repairsMissingSubdirectories() throws Exception {
        Files.createDirectories(maildir().resolve("new"));
        store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("x\n"));
        assertThat(maildir().resolve("cur")).isDirectory();
        assertThat(maildir().resolve("tmp")).isDirectory();
    }

    @Test
    void emptyMessageIsAPermanentFailure() {
        assertThatThrownBy(() -> store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("")))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.temporary()).isFalse();
                    assertThat(e).hasMessage("empty message");
                });
        assertThat(maildir().resolve("tmp").toFile().list()).isEmpty();
        assertThat(maildir().resolve("new").toFile().list()).isEmpty();
    }

    @Test
    void failingInputIsTemporaryAndLeavesNoPartialFile() throws Exception {
        Path tmp = Fixtures.maildir(dataDir).resolve("tmp");
        Path foreign = Files.writeString(tmp.resolve("1700000000.P1.otherhost"), "someone else's delivery\n");
        InputStream failing = new SequenceInputStream(new ByteArrayInputStream(new byte[100_000]), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });

        assertThatThrownBy(() -> store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), failing))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.temporary()).isTrue());

        assertThat(names(tmp)).containsExactly("1700000000.P1.otherhost");
        assertThat(foreign).hasContent("someone else's delivery");
        assertThat(names(maildir().resolve("new"))).isEmpty();
    }

    @Test
    void unwritableMaildirIsTemporary() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        Files.delete(maildir.resolve("tmp"));
        Files.writeString(maildir.resolve("tmp"), "not a directory");
        assertThatThrownBy(() -> store().deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), input("x\n")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.temporary()).isTrue());
        assertThat(names(maildir.resolve("new"))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "../bob", "nul\0x"})
    void refusesUnsafeUserNames(String user) {
        assertThatThrownBy(() -> store().deliver(dev.postoffice.storage.MailboxRef.of(user), dev.postoffice.storage.Envelope.none(), input("x\n")))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.temporary()).isFalse());
        assertThatThrownBy(() -> store().open(dev.postoffice.storage.MailboxRef.of(user)))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.temporary()).isFalse());
        assertThat(dataDir.resolve("home")).doesNotExist();
    }
}
