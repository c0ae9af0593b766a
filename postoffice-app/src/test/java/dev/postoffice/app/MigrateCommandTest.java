package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import dev.postoffice.storage.maildir.MaildirStore;
import dev.postoffice.storage.pg.PgDatabase;
import dev.postoffice.storage.pg.PgStore;
import dev.postoffice.storage.pg.PgUrl;
import dev.postoffice.testkit.pg.TestPostgres;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code postoffice migrate} from a data directory to embedded PostgreSQL: UIDLs, sizes, bodies, first retrievals,
 * the last login and the users' fields carried over; a second run copies nothing; a maildrop in use is skipped and
 * copied by the next run, which copies only what is missing.
 */
class MigrateCommandTest {
    private static final Instant RETRIEVED = Instant.parse("2026-01-02T03:04:05Z");
    private static final Instant LOGIN = Instant.parse("2026-01-03T04:05:06Z");

    @TempDir
    Path dir;

    @Test
    void copiesEverythingAClientSeesOnceAndResumes() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("users"), "alice:{PLAIN}one::::::quota_messages=10 expire=7\nbob:{PLAIN}two\n");
        try (MaildirStore lf = new MaildirStore(data, MessageFormat.LineEnd.LF)) {
            deliver(lf, "alice", "Subject: a1\n\nlf line ends\n.dot\n");
            deliver(lf, "alice", "Subject: a2\r\n\r\ncrlf\r\n");
            deliver(lf, "bob", "Subject: b1\n\nfor bob\n");
        }
        List<StoredMessage> before;
        List<String> texts = new ArrayList<>();
        try (MaildirStore store = new MaildirStore(data); Maildrop drop = store.open(MailboxRef.of("alice"))) {
            before = drop.messages();
            drop.history().recordRetrieved(List.of(before.get(0)), RETRIEVED);
            drop.history().recordLogin(LOGIN);
            for (StoredMessage m : before) {
                texts.add(canonical(drop.body(m).open()));
            }
        }
        TestPostgres.Database db = TestPostgres.newDatabase();
        String[] migrate = {"migrate", "--from", "maildir:" + data, "--to", db.url(), "--migrate-schema"};

        MaildirStore holder = new MaildirStore(data);
        Maildrop bobInUse = holder.open(MailboxRef.of("bob"));
        String first = run(migrate);
        bobInUse.close();
        holder.close();
        assertThat(first).contains("users: 2 in", "2 copied").contains("alice: 2 messages, 2 copied")
                .contains("bob: in use");

        try (PgDatabase pgdb = PgDatabase.open(PgUrl.parse(db.url()), false); PgStore pg = new PgStore(pgdb, false)) {
            try (Maildrop drop = pg.open(MailboxRef.of("alice"))) {
                assertThat(drop.messages()).extracting(StoredMessage::uidl)
                        .containsExactlyElementsOf(before.stream().map(StoredMessage::uidl).toList());
                assertThat(drop.messages()).extracting(StoredMessage::size)
                        .containsExactlyElementsOf(before.stream().map(StoredMessage::size).toList());
                assertThat(canonical(drop.body(drop.messages().get(0)).open())).isEqualTo(texts.get(0));
                assertThat(canonical(drop.body(drop.messages().get(1)).open())).isEqualTo(texts.get(1));
                assertThat(drop.history().firstRetrieved(drop.messages().get(0))).contains(RETRIEVED);
                assertThat(drop.history().firstRetrieved(drop.messages().get(1))).isEmpty();
                assertThat(drop.history().lastLogin()).contains(LOGIN);
            }
            assertThat(pg.usage(MailboxRef.of("bob")).messages()).isZero();
        }

        try (MaildirStore lf = new MaildirStore(data)) {
            deliver(lf, "alice", "Subject: a3\r\n\r\nnew since\r\n");
        }
        String second = run(migrate);
        assertThat(second).contains("users: 2 in", "0 copied").contains("alice: 3 messages, 1 copied, 2 there already")
                .contains("bob: 1 messages, 1 copied").contains("done").doesNotContain("errors");
        assertThat(run(migrate)).contains("alice: 3 messages, 0 copied, 3 there already");

        try (DataDir target = new DataDir(dir.resolve("x")).store(db.url(), false)) {
            var alice = target.directory().find("alice").orElseThrow();
            assertThat(alice.secret()).isEqualTo("{PLAIN}one");
            assertThat(alice.extra()).containsEntry("quota_messages", "10").containsEntry("expire", "7");
            assertThat(target.pg(false).store().usage(MailboxRef.of("alice")).messages()).isEqualTo(3);
        }
        assertThat(runCode("migrate", "--from", "mbox:" + data, "--to", db.url())).isEqualTo(2);
    }

    private static void deliver(MaildirStore store, String user, String text) throws Exception {
        store.deliver(MailboxRef.of(user), Envelope.none(),
                new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String canonical(InputStream in) throws Exception {
        try (in) {
            byte[] raw = in.readAllBytes();
            MessageFormat.LineEndConverter c = new MessageFormat.LineEndConverter(MessageFormat.LineEnd.CRLF);
            byte[] out = new byte[MessageFormat.LineEndConverter.maxOutput(raw.length) + 2];
            int n = c.convert(raw, 0, raw.length, out);
            n += c.finish(java.util.Arrays.copyOfRange(out, n, out.length));
            return new String(out, 0, n, StandardCharsets.ISO_8859_1);
        }
    }

    private static int runCode(String... args) {
        PrintStream saved = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setErr(saved);
        }
    }

    /** Runs the command, expecting it to finish (exit 0 or 75), and returns stdout and stderr together. */
    private static String run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(out, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        try {
            int code = Main.run(args);
            assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isIn(0, 75);
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }
}
