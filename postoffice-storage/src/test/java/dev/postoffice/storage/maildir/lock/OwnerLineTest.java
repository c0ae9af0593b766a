package dev.postoffice.storage.maildir.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OwnerLineTest {
    @Test
    void ownerLineRoundTripsAndProcStatParses() throws Exception {
        Owner owner = new Owner("mail1", 4242, Instant.parse("2026-01-02T03:04:05.670Z"),
                "0856b16a-e7cb-4651-b2e6-e8059bea4f43", 1215969, Instant.parse("2026-01-02T09:00:00Z"),
                "0123456789abcdef");
        assertThat(Owner.parse(owner.line())).isEqualTo(owner);
        Owner sparse = new Owner("mail1", 1, null, null, -1, null, "ab");
        assertThat(sparse.line()).isEqualTo(
                "postoffice-pop3-lock host=mail1 pid=1 start=- boot=- ticks=- created=- token=ab\n");
        assertThat(Owner.parse(sparse.line())).isEqualTo(sparse);
        assertThat(Owner.parse(sparse.line().replace("\n", " future=field\n"))).isEqualTo(sparse);

        ProcProbe.ProcStat stat = ProcProbe.ProcStat.parse(
                "25507 (a (strange) name) Z 25505 25505 15296 0 -1 4194304 96 0 0 0 0 0 0 0 20 0 1 0 1215969 3133440\n");
        assertThat(stat).isEqualTo(new ProcProbe.ProcStat('Z', 1215969));
        assertThatThrownBy(() -> ProcProbe.ProcStat.parse("25507 (cat) R 1 2")).isInstanceOf(IOException.class);
    }

    @Test
    void theLineOfEarlierVersionsIsUnchanged() {
        // Written byte for byte as docs/storage.md shows it, so that old and new servers share storage.
        String line = "postoffice-pop3-lock host=mail1 pid=4242 start=2026-01-02T03:04:05.670Z "
                + "boot=0856b16a-e7cb-4651-b2e6-e8059bea4f43 ticks=1215969 created=- token=9f8e7d6c5b4a3921\n";
        Owner owner = Owner.parse(line);
        assertThat(owner).isEqualTo(new Owner("mail1", 4242, Instant.parse("2026-01-02T03:04:05.670Z"),
                "0856b16a-e7cb-4651-b2e6-e8059bea4f43", 1215969, null, "9f8e7d6c5b4a3921"));
        assertThat(owner.line()).isEqualTo(line);
        assertThat(owner.process()).isEqualTo(new ProcessId("mail1", 4242, Instant.parse("2026-01-02T03:04:05.670Z"),
                "0856b16a-e7cb-4651-b2e6-e8059bea4f43", 1215969));
        assertThat(Owner.of(owner.process(), "ab", null)).isEqualTo(new Owner("mail1", 4242,
                owner.start(), owner.boot(), 1215969, null, "ab"));
    }

    @Test
    void hostNamesBecomeOneWord() {
        assertThat(ThisProcess.sanitize("mail 1\t")).isEqualTo("mail_1_");
        assertThat(ThisProcess.sanitize("")).isEqualTo("localhost");
        assertThat(ThisProcess.id("mail1").pid()).isEqualTo(ProcessHandle.current().pid());
    }
}
