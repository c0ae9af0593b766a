package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.postoffice.storage.Usage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Maildir's usage is never waited for without end, and waiting for one Maildir's holds up no other. */
class MaildirUsageTest {
    @TempDir
    Path dataDir;

    private Path maildir(String user) throws IOException {
        try (MaildirDirs dirs = Fixtures.open(dataDir.resolve("home").resolve(user).resolve("Maildir"))) {
            return dirs.maildir();
        }
    }

    /** A Maildir's handles, for the calling thread only (they belong to the thread that opened them). */
    private static MaildirDirs open(Path maildir) throws Exception {
        return MaildirDirs.open(maildir, MaildirGuard.check(maildir, java.util.Optional.empty()));
    }

    /** Another process (the Maildir's owner, say) holding a POSIX lock on the usage file until it is killed. */
    private static Process lockedBySomeoneElse(Path file) throws IOException {
        Process p = new ProcessBuilder("python3", "-c", """
                import fcntl, sys, time
                f = open(sys.argv[1], 'a+')
                fcntl.lockf(f, fcntl.LOCK_EX)
                print('locked', flush=True)
                time.sleep(600)
                """, file.toString()).redirectErrorStream(true).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        assertThat(line).isEqualTo("locked");
        return p;
    }

    @Test
    void aUsageFileLockedElsewhereFailsAfterTheWaitAndHoldsUpNoOtherMaildir() throws Exception {
        Path a = maildir("owner");
        // Another Maildir that fell in the same stripe of the 64 in-process locks shared until 5 December 2026.
        Path b = null;
        for (int i = 0; b == null; i++) {
            Path candidate = dataDir.resolve("home").resolve("user" + i).resolve("Maildir");
            if (Math.floorMod(candidate.hashCode(), 64) == Math.floorMod(a.hashCode(), 64)) {
                b = maildir("user" + i);
            }
        }
        MaildirUsage usage = new MaildirUsage(Duration.ofSeconds(3));
        Process holder = lockedBySomeoneElse(a.resolve(MaildirUsage.FILE_NAME));
        try {
            var failed = new java.util.concurrent.atomic.AtomicReference<Throwable>();
            Thread first = Thread.ofPlatform().start(() -> {
                try (MaildirDirs dirs = open(a); MaildirUsage.Held h = usage.hold(dirs)) {
                    failed.set(new AssertionError("got a usage another process holds"));
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            // Until it sleeps between its tries for the file lock, holding the Maildir's in-process lock.
            for (long until = System.nanoTime() + 10_000_000_000L;
                    first.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until; ) {
                Thread.sleep(1);
            }
            assertThat(first.getState()).isEqualTo(Thread.State.TIMED_WAITING);
            Path other = b;
            assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
                try (MaildirDirs dirs = open(other); MaildirUsage.Held h = usage.hold(dirs)) {
                    assertThat(h.usage()).isEqualTo(new Usage(0, 0));
                    h.write(new Usage(10, 1));
                }
            }, "another Maildir's usage waits for nobody");
            assertThat(first.isAlive()).as("still waiting for the other process").isTrue();
            first.join(20_000);
            assertThat(failed.get()).isInstanceOf(IOException.class)
                    .hasMessageContaining("stayed locked by another process");
        } finally {
            holder.destroyForcibly().waitFor();
        }
        try (MaildirDirs dirs = open(a); MaildirUsage.Held h = usage.hold(dirs)) {
            assertThat(h.usage()).as("free again once the other process let go").isEqualTo(new Usage(0, 0));
        }
        assertThat(Files.readString(b.resolve(MaildirUsage.FILE_NAME))).isEqualTo("10 1\n");
    }

    @Test
    void anUpdateThatCannotHoldTheUsageRemovesTheFileSoItIsCountedAgain() throws Exception {
        // Leaving it would keep the removed messages in the usage for good, and refuse deliveries for them.
        MaildirStore store = new MaildirStore(dataDir);
        try {
            dev.postoffice.storage.MailboxRef ref = dev.postoffice.storage.MailboxRef.of("owner");
            for (int i = 0; i < 2; i++) {
                store.deliver(ref, dev.postoffice.storage.Envelope.none(), Fixtures.input("Subject: " + i + "\n\nx\n"));
            }
            Path file = dataDir.resolve("home/owner/Maildir").resolve(MaildirUsage.FILE_NAME);
            assertThat(Files.readString(file)).endsWith(" 2\n");
            Process holder = lockedBySomeoneElse(file);
            try (dev.postoffice.storage.Maildrop drop = store.open(ref)) {
                drop.commit(drop.messages(), java.util.List.of(), java.time.Instant.now()); // after the 10 s wait
            } finally {
                holder.destroyForcibly().waitFor();
            }
            assertThat(file).doesNotExist();
            assertThat(store.usage(ref)).isEqualTo(new Usage(0, 0));
        } finally {
            store.close();
        }
    }
}
