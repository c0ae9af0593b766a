package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our own files of a Maildir are read without ever waiting and within their bound, whatever the Maildir's owner
 * renamed over them between the check and the open.
 */
class NameValueFileTest {
    @TempDir
    Path dir;

    @Test
    void readsWhatItStored() throws Exception {
        try (MaildirDirs dirs = Fixtures.open(dir)) {
            NameValueFile.store(dirs, "postoffice-test", Map.of("a", 1L, "b c", 22L),
                    (out, v) -> out.write(v.toString()));
            assertThat(NameValueFile.load(dirs, "postoffice-test", 2, NameValueFile::parseNumber))
                    .isEqualTo(Map.of("a", 1L, "b c", 22L));
        }
    }

    @Test
    void aFifoInThePlaceOfOurFileOpensAndReadsAsEmptyAtOnce() throws Exception {
        // The check before the open sees a regular file; a FIFO renamed over it before the open used to make the
        // read-only open wait for a writer, holding the login (and the carrier its file I/O pins) for good.
        Path fifo = dir.resolve("postoffice-test");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            // (the handles belong to the thread that opened them: this one)
            try (MaildirDirs dirs = Fixtures.open(dir);
                    FileChannel ch = dirs.readOwn(MaildirDirs.ROOT, "postoffice-test");
                    InputStream in = Lines.upTo(ch, ch.size())) {
                assertThat(in.read()).isEqualTo(-1);
            }
        });
    }

    @Test
    void noMoreIsReadThanTheBoundNorAnyLineHeldPastItsLimit() throws Exception {
        try (MaildirDirs dirs = Fixtures.open(dir)) {
            Files.writeString(dir.resolve("postoffice-test"), "a 1\n" + "x".repeat(100_000) + " 2\n");
            assertThat(NameValueFile.load(dirs, "postoffice-test", 1000, NameValueFile::parseNumber))
                    .as("a line longer than any entry: corrupt").isEmpty();
        }
        Path file = Files.writeString(dir.resolve("data"), "0123456789");
        try (FileChannel ch = FileChannel.open(file); InputStream in = Lines.upTo(ch, 4)) {
            assertThat(in.readAllBytes()).isEqualTo("0123".getBytes());
        }
    }

    @Test
    void onAReadOnlyFileSystemOurFilesAreStillRead() throws Exception {
        // Opened read-write to never wait on a FIFO; where that is refused, read-only after checking the type again.
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        org.assertj.core.api.Assumptions.assumeThat(
                sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString())).as("mounting a tmpfs needs root")
                .isZero();
        try {
            Path maildir = mnt.resolve("Maildir");
            try (MaildirDirs dirs = Fixtures.open(maildir)) {
                NameValueFile.store(dirs, "postoffice-test", Map.of("a", 1L), (out, v) -> out.write(v.toString()));
            }
            assertThat(sh("mount", "-o", "remount,ro", mnt.toString())).isZero();
            try (MaildirDirs dirs =
                    MaildirDirs.open(maildir, MaildirGuard.check(maildir, java.util.Optional.empty()))) {
                assertThat(NameValueFile.load(dirs, "postoffice-test", 1, NameValueFile::parseNumber))
                        .isEqualTo(Map.of("a", 1L));
            }
        } finally {
            sh("umount", "-l", mnt.toString());
        }
    }

    private static int sh(String... command) throws Exception {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
    }
}
