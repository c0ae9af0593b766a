package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.canonical;
import static dev.postoffice.storage.maildir.Fixtures.dovecotVirtualSize;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Large maildrops and large messages: correctness only, no timing assertions. */
class MaildirScaleTest {
    @TempDir
    Path dataDir;

    @Test
    void tenThousandMessages() throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        List<StoredMessage> expected = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            String content = "Subject: message " + i + "\n\n" + "line\n".repeat(i % 7) + (i % 3 == 0 ? "no newline" : "");
            String name;
            String subdir;
            if (i % 4 == 0) {
                name = (1_600_000_000L + i) + ".M" + i + "P1Q" + i + ".host,S=" + content.length() + ",W="
                        + dovecotVirtualSize(content);
                subdir = "new";
            } else if (i % 4 == 1) {
                name = (1_600_000_000L + i) + ".P" + i + ".host";
                subdir = "new";
            } else {
                name = (1_600_000_000L + i) + ".P" + i + ".host";
                subdir = "cur";
            }
            Fixtures.put(maildir, subdir, subdir.equals("cur") ? name + ":2,S" : name, content);
            expected.add(new StoredMessage(name, name, canonical(content)));
        }
        MaildirStore store = new MaildirStore(dataDir);

        try (Maildrop cold = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(cold.messages()).isEqualTo(expected);
        }
        assertThat(Files.readAllLines(maildir.resolve(SizeCache.FILE_NAME))).hasSize(10_000);
        try (Maildrop warm = store.open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(warm.messages()).isEqualTo(expected);
        }
    }

    @Test
    void messageOverOneHundredMegabytes() throws Exception {
        long lines = 1_700_000; // 64-byte LF lines: about 109 MB
        long raw = lines * 64 + "no final newline".length();
        String id = new MaildirStore(dataDir).deliver(dev.postoffice.storage.MailboxRef.of(USER), dev.postoffice.storage.Envelope.none(), new GeneratedMessage(lines)).id();

        Path file = dataDir.resolve("home").resolve(USER).resolve("Maildir").resolve("new").resolve(id);
        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = new GeneratedMessage(lines)) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                counter.update(buf, 0, n);
            }
        }
        assertThat(counter.size()).isEqualTo(raw + lines + 2);
        // Stored with CRLF line ends and a final one added: the canonical form itself.
        assertThat(Files.size(file)).isEqualTo(counter.size());
        assertThat(id).endsWith(",S=" + counter.size() + ",W=" + counter.size());
        try (Maildrop m = new MaildirStore(dataDir).open(dev.postoffice.storage.MailboxRef.of(USER))) {
            assertThat(m.messages()).extracting(StoredMessage::size).containsExactly(counter.size());
            Fixtures.openCanonical(m, m.messages().get(0)).orElseThrow().file().close();
        }
    }

    /** A message of {@code lines} 64-byte LF-terminated lines and then a last line without newline. */
    private static final class GeneratedMessage extends InputStream {
        private static final byte[] LINE = ("x".repeat(63) + "\n").getBytes(StandardCharsets.US_ASCII);
        private static final byte[] TAIL = "no final newline".getBytes(StandardCharsets.US_ASCII);
        private final long total;
        private long pos;

        GeneratedMessage(long lines) {
            this.total = lines * LINE.length + TAIL.length;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= total) {
                return -1;
            }
            int n = 0;
            long body = total - TAIL.length;
            while (n < len && pos < total) {
                b[off + n++] = pos < body ? LINE[(int) (pos % LINE.length)] : TAIL[(int) (pos - body)];
                pos++;
            }
            return n;
        }
    }
}
