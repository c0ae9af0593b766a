package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.maildir.lock.Owner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock on a file system with no free inode: taken from a spare, still exclusive between stores, a stale lock
 * broken with a spare as its guard (docs/storage.md, "A full file system"). Mounts a tmpfs, so it needs root;
 * skipped with a message otherwise (it/full_disk_test.py covers the same end to end).
 */
class MaildirFullDiskTest {
    private static final String USER = "alice";

    @TempDir
    Path work;
    private Path mnt;
    private Path dataDir;
    private boolean mounted;

    @BeforeEach
    void mount() throws Exception {
        mnt = Files.createDirectory(work.resolve("tmpfs"));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m,nr_inodes=64", "tmpfs", mnt.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        mounted = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        assumeThat(mounted).as("mounting a tmpfs needs root; skipped: " + out.strip()).isTrue();
        dataDir = Files.createDirectory(mnt.resolve("data"));
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            new ProcessBuilder("umount", "-l", mnt.toString()).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
        }
    }

    /** Creates empty files until no inode is left. */
    private void useUpInodes() throws IOException {
        Path filler = Files.createDirectories(mnt.resolve("filler"));
        for (int i = 0; ; i++) {
            try {
                Files.createFile(filler.resolve("f" + System.nanoTime() + "-" + i));
            } catch (IOException e) {
                break;
            }
        }
        assertThatThrownBy(() -> Files.createFile(mnt.resolve("one-more"))).isInstanceOf(IOException.class);
    }

    private Path lock() {
        return dataDir.resolve("home").resolve(USER).resolve("Maildir").resolve(MaildirStore.LOCK_FILE);
    }

    private List<String> spares() throws IOException {
        try (Stream<Path> s = Files.list(dataDir.resolve("home"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".postoffice-spare-")).sorted()
                    .toList();
        }
    }

    @Test
    void withNoInodeLeftTheLockComesFromASpareAndStaysExclusive() throws Exception {
        try (MaildirStore a = new MaildirStore(dataDir); MaildirStore b = new MaildirStore(dataDir)) {
            a.open(MailboxRef.of(USER)).close(); // the store's template and spares, while there is room
            List<String> spares = spares();
            assertThat(spares).isNotEmpty();
            useUpInodes();

            try (Maildrop m = a.open(MailboxRef.of(USER))) {
                assertThat(m.messages()).isEmpty();
                assertThat(lock()).exists();
                assertThat(spares()).hasSize(spares.size() - 1);
                Owner owner = Owner.parse(Files.readString(lock(), StandardCharsets.US_ASCII));
                assertThat(owner).isNotNull();
                assertThat(owner.pid()).isEqualTo(ProcessHandle.current().pid());
                // Another store (as another process would) finds it held, and cannot take it from its spares.
                assertThatThrownBy(() -> b.open(MailboxRef.of(USER))).isInstanceOf(MaildropBusyException.class);
                assertThatThrownBy(() -> a.open(MailboxRef.of(USER))).isInstanceOf(MaildropBusyException.class);
            }
            assertThat(lock()).doesNotExist();
            assertThat(spares()).isEqualTo(spares); // back to its name, ready for the next login

            for (int i = 0; i < 3 * spares.size(); i++) { // any number of logins, one after the other
                a.open(MailboxRef.of(USER)).close();
            }
            assertThat(spares()).isEqualTo(spares);
        }
    }

    @Test
    void aStaleLockIsBrokenWithASpareAsItsGuard() throws Exception {
        try (MaildirStore a = new MaildirStore(dataDir)) {
            a.open(MailboxRef.of(USER)).close();
            // A lock of a process that is gone (an unreadable line older than the grace), made while there is room.
            Files.writeString(lock(), "garbage", StandardCharsets.US_ASCII);
            Files.setLastModifiedTime(lock(), java.nio.file.attribute.FileTime.from(
                    Instant.now().minus(Duration.ofMinutes(5))));
            useUpInodes();
            try (Maildrop m = a.open(MailboxRef.of(USER))) {
                assertThat(m.messages()).isEmpty();
                assertThat(Files.readString(lock(), StandardCharsets.US_ASCII)).startsWith(Owner.MAGIC);
            }
            assertThat(lock()).doesNotExist();
            assertThat(lock().resolveSibling(MaildirStore.LOCK_FILE + ".break")).doesNotExist();
        }
    }
}
