package dev.postoffice.storage.maildir.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a lock file never waits, whatever a mail user renamed over it in their Maildir. */
class LockFilesTest {
    @TempDir
    Path dir;

    @Test
    void theOwnerLineIsRead() throws Exception {
        Owner owner = new Owner("mail1", 4242, Instant.parse("2026-01-02T03:04:05Z"), null, -1, null, "0123abcd");
        Path lock = Files.writeString(dir.resolve("postoffice-pop3.lock"), owner.line());
        assertThat(LockFiles.owner(lock)).isEqualTo(owner);
        assertThat(LockFiles.read(lock).owner()).isEqualTo(owner);
        Files.writeString(lock, "x".repeat(2000));
        assertThat(LockFiles.owner(lock)).as("longer than any owner line").isNull();
    }

    @Test
    void aFifoSwappedInAfterTheCheckIsOpenedAndReadWithoutWaiting() throws Exception {
        // The caller's check (lstat: a regular file) and the open are two steps: a FIFO renamed over the lock in
        // between used to block the read-only open until someone opened the FIFO for writing, on the refresher's
        // thread, which is the server's shared scheduler.
        Path fifo = dir.resolve("postoffice-pop3.lock");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThat(LockFiles.owner(fifo)).isNull());
        assertThatThrownBy(() -> LockFiles.read(fifo)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a regular file");
    }

    @Test
    void aLinkIsNotFollowed() throws Exception {
        Owner owner = new Owner("mail1", 1, null, null, -1, null, "ab");
        Path target = Files.writeString(dir.resolve("elsewhere"), owner.line());
        Path link = Files.createSymbolicLink(dir.resolve("postoffice-pop3.lock"), target);
        assertThatThrownBy(() -> LockFiles.owner(link)).isInstanceOf(IOException.class);
    }
}
