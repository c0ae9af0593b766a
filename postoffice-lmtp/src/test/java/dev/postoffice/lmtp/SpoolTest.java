package dev.postoffice.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spools of all sessions together hold no more heap than their budget; past it, messages go to files. */
class SpoolTest {
    @TempDir
    Path dir;

    @Test
    void pastTheSharedBudgetMessagesGoToFilesAndTheirContentIsWhole() throws Exception {
        long before = Spool.reserved();
        byte[] message = new byte[600_000];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) ('a' + i % 26);
        }
        long budget = before + 3 * Spool.MEMORY_LIMIT;
        List<Spool> spools = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                Spool spool = new Spool(dir, budget);
                for (int off = 0; off < message.length; off += 4096) {
                    spool.write(message, off, Math.min(4096, message.length - off));
                }
                spool.finish();
                spools.add(spool);
                assertThat(Spool.reserved()).isLessThanOrEqualTo(budget);
                try (var in = spool.open()) {
                    assertThat(in.readAllBytes()).isEqualTo(message);
                }
            }
            // 600,000 octets take a 1 MiB array: three fit in the budget, the rest went to (unlinked) files
            assertThat(Spool.reserved() - before).isEqualTo(3L * (Spool.MEMORY_LIMIT - 8192));
            assertThat(Files.list(dir).count()).as("spool files are unlinked at once").isZero();
        } finally {
            for (Spool spool : spools) {
                spool.close();
            }
        }
        assertThat(Spool.reserved()).as("all given back").isEqualTo(before);
    }
}
