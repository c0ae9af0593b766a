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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Maildir's usage is never waited for without end, and waiting for one Maildir's holds up no other. */
class MaildirUsageTest {
    @TempDir
    Path dataDir;

    private Path maildir(String user) throws IOException {
        return Fixtures.open(dataDir.resolve("home").resolve(user).resolve("Maildir")).maildir();
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
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)).readLine();
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
            CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
                try (MaildirDirs dirs = open(a); MaildirUsage.Held h = usage.hold(dirs)) {
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }, r -> Thread.ofPlatform().start(r));
            Thread.sleep(300); // the first is waiting for the file lock now, holding its in-process lock
            Path other = b;
            assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
                try (MaildirDirs dirs = open(other); MaildirUsage.Held h = usage.hold(dirs)) {
                    assertThat(h.usage()).isEqualTo(new Usage(0, 0));
                    h.write(new Usage(10, 1));
                }
            }, "another Maildir's usage waits for nobody");
            assertThat(waiting).as("still waiting for the other process").isNotDone();
            Throwable failed = waiting.get(20, TimeUnit.SECONDS);
            assertThat(failed).isInstanceOf(IOException.class).hasMessageContaining("stayed locked by another process");
        } finally {
            holder.destroyForcibly().waitFor();
        }
        try (MaildirDirs dirs = open(a); MaildirUsage.Held h = usage.hold(dirs)) {
            assertThat(h.usage()).as("free again once the other process let go").isEqualTo(new Usage(0, 0));
        }
        assertThat(Files.readString(b.resolve(MaildirUsage.FILE_NAME))).isEqualTo("10 1\n");
    }
}
