package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static dev.postoffice.storage.maildir.Fixtures.input;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirLockTest {
    @TempDir
    Path dataDir;

    private Maildrop open(MaildirStore store) throws Exception {
        return store.open(USER, Optional.empty());
    }

    @Test
    void secondOpenInTheSameJvmIsBusyUntilClose() throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        Maildrop first = open(store);
        assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);
        assertThatThrownBy(() -> open(new MaildirStore(dataDir))).isInstanceOf(MaildropBusyException.class);
        first.close();
        first.close(); // idempotent
        try (Maildrop again = open(store)) {
            assertThat(again.messages()).isEmpty();
        }
    }

    @Test
    void sameMaildirReachedThroughALinkIsBusy() throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        try (Maildrop first = open(store)) {
            assertThat(first.messages()).isEmpty();
            Path link = Files.createSymbolicLink(dataDir.resolve("alias-home"), dataDir.resolve("home").resolve(USER));
            assertThatThrownBy(() -> store.open("alias", Optional.of(link))).isInstanceOf(MaildropBusyException.class);
        }
    }

    @Test
    void otherUsersAreIndependent() throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        try (Maildrop alice = open(store); Maildrop bob = store.open("bob", Optional.empty())) {
            assertThat(alice.messages()).isEmpty();
            assertThat(bob.messages()).isEmpty();
        }
    }

    @Test
    void deliveryDoesNotWaitForTheLock() throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        try (Maildrop m = open(store)) {
            store.deliver(USER, Optional.empty(), input("x\n"));
            assertThat(m.messages()).isEmpty();
        }
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).hasSize(1);
        }
    }

    @Test
    void failureInsideOpenReleasesTheLock() throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        Path lockFile = Fixtures.maildir(dataDir).resolve(MaildirStore.LOCK_FILE);
        Files.createDirectory(lockFile);
        assertThatThrownBy(() -> open(store))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e).isNotInstanceOf(MaildropBusyException.class);
                    assertThat(e.temporary()).isTrue();
                });
        Files.delete(lockFile);
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
        }
    }

    @Test
    void lockHeldByAnotherProcessIsBusyAndFreedWhenItDies() throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        Process child = startHolder();
        try {
            assertThat(firstLine(child)).isEqualTo("LOCKED");
            assertThatThrownBy(() -> open(store)).isInstanceOf(MaildropBusyException.class);

            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            try (Maildrop m = open(store)) {
                assertThat(m.messages()).isEmpty();
            }
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void anotherProcessCannotOpenWhileThisOneHoldsTheLock() throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        try (Maildrop m = open(store)) {
            assertThat(m.messages()).isEmpty();
            Process child = startHolder();
            try {
                assertThat(firstLine(child)).isEqualTo("BUSY");
            } finally {
                child.destroyForcibly();
            }
        }
        Process child = startHolder();
        try {
            assertThat(firstLine(child)).isEqualTo("LOCKED");
            child.getOutputStream().close(); // the holder closes the maildrop and exits
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
    }

    private Process startHolder() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockHolderMain.class.getName(), dataDir.toString(), USER)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private static String firstLine(Process child) throws Exception {
        BufferedReader out = child.inputReader();
        return CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
    }
}
