package dev.postoffice.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mbox target's bookkeeping across crashes, simulated by leaving the files as a killed process would. */
class MboxTargetTest {
    @TempDir
    Path dir;

    static void deliver(MboxTarget t, String key, String body) throws Exception {
        Target.Delivery d = t.begin(key);
        OutputStream out = d.stream();
        out.write(body.getBytes(StandardCharsets.UTF_8));
        d.commit();
    }

    @Test
    void syncedButUnjournaledMessagesAreRecognisedAndAPartialTailOfOursIsCutOff() throws Exception {
        Path mbox = dir.resolve("mbox");
        MboxTarget t = new MboxTarget(mbox, true);
        deliver(t, "k1", "Subject: 1\n\nFrom me\n");
        t.sync();
        t.recorded();
        deliver(t, "k2", "Subject: 2\n\nbody\n");
        t.sync(); // synced, but the journal write never happened
        long afterTwo = Files.size(mbox);
        t.close();
        // A third message torn by the crash: our From_ line and id header, half a body, no record.
        Files.writeString(mbox, "From MAILER-DAEMON Wed Dec  2 21:00:00 2026\n" + MboxTarget.ID_HEADER + "k3\nSubj",
                StandardOpenOption.APPEND);
        try (MboxTarget again = new MboxTarget(mbox, true)) {
            assertThat(again.holds("k1")).isFalse(); // in the journal already; the target need not remember it
            assertThat(again.holds("k2")).isTrue();
            assertThat(again.holds("k3")).isFalse();
            assertThat(Files.size(mbox)).isEqualTo(afterTwo);
        }
        String text = Files.readString(mbox);
        assertThat(text).contains("\n>From me\n\n").contains("Subject: 2\n\nbody\n\n").doesNotContain("k3");
    }

    @Test
    void mailAppendedByOthersAfterACrashIsNeverCutOff() throws Exception {
        Path mbox = dir.resolve("mbox");
        try (MboxTarget t = new MboxTarget(mbox, true)) {
            deliver(t, "k1", "Subject: 1\n\nx\n");
            t.sync();
            t.recorded();
        }
        String foreign = "From MAILER-DAEMON Wed Dec  2 21:00:00 2026\n" + MboxTarget.ID_HEADER + "k2\nSubj"
                + "\nFrom someone@example.org Wed Dec  2 21:01:00 2026\nSubject: procmail\n\nhello\n\n";
        Files.writeString(mbox, foreign, StandardOpenOption.APPEND);
        long size = Files.size(mbox);
        new MboxTarget(mbox, true).close();
        assertThat(Files.size(mbox)).isEqualTo(size);
        assertThat(Files.exists(Path.of(mbox + ".lock"))).isFalse();
    }

    @Test
    void fromLinesAreQuotedTheMboxrdWay() throws Exception {
        Path mbox = dir.resolve("mbox");
        try (MboxTarget t = new MboxTarget(mbox, true)) {
            deliver(t, "k", "Subject: q\n\nFrom a\n>From b\n>>From c\nFro\n>Fr\nno final newline");
        }
        assertThat(Files.readString(mbox)).endsWith(
                "Subject: q\n\n>From a\n>>From b\n>>>From c\nFro\n>Fr\nno final newline\n\n");
    }
}
