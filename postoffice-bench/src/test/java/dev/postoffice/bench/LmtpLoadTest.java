package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.PasswdFile;
import dev.postoffice.lmtp.LmtpConfig;
import dev.postoffice.lmtp.LmtpServer;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Usage;
import dev.postoffice.storage.maildir.MaildirStore;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lmtp scenario against the real LMTP listener: every counted delivery is in a maildrop. */
class LmtpLoadTest {
    @TempDir
    Path dir;

    @Test
    void messagesHaveTheAskedSize() {
        for (int size : new int[] {64, 100, 4096, 10_000}) {
            byte[] m = LmtpLoad.message(size);
            assertThat(m).hasSize(size);
            assertThat(new String(m)).endsWith("\r\n").doesNotContain("\r\n.");
        }
    }

    @Test
    void deliveriesAreCountedAndStored() throws Exception {
        Files.writeString(dir.resolve("users"), "u1:{PLAIN}x\nu2:{PLAIN}x\n");
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (MaildirStore store = new MaildirStore(dir);
                LmtpServer server = LmtpServer.listen(new InetSocketAddress("127.0.0.1", 0),
                        LmtpConfig.defaults("bench.test", dir.resolve("spool")), new PasswdFile(dir.resolve("users")),
                        store, a -> false, scheduler)) {
            LmtpLoad load = new LmtpLoad(new LmtpLoad.Config(new InetSocketAddress("127.0.0.1", server.port()), 2,
                    Duration.ofSeconds(3), Duration.ZERO, 10_000, 1000));
            Map<String, Object> doc = load.run(List.of("u1", "u2"), null);
            long counted = ((Number) doc.get("deliveries")).longValue();
            assertThat(counted).isPositive();
            assertThat(doc.get("failures")).isEqualTo(0L);
            Usage u1 = store.usage(MailboxRef.of("u1"));
            Usage u2 = store.usage(MailboxRef.of("u2"));
            assertThat(u1.messages() + u2.messages()).as("warm-up none; the clients' last transactions may follow")
                    .isGreaterThanOrEqualTo(counted);
        } finally {
            scheduler.shutdownNow();
        }
    }
}
