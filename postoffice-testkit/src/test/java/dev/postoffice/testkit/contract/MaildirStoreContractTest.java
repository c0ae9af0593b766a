package dev.postoffice.testkit.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.storage.maildir.MaildirStore;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.Maildrop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Maildir store keeps the storage contract. Its lease is broken as another server judging the lock stale would
 * leave it once that session ended: the lock file {@code Maildir/postoffice-pop3.lock} deleted.
 */
class MaildirStoreContractTest extends MaildropStoreContract {
    @TempDir
    Path dataDir;
    private MaildirStore store;

    @Override
    protected MaildropStore store() {
        if (store == null) {
            store = new MaildirStore(dataDir);
        }
        return store;
    }

    @Override
    protected MailDelivery delivery() {
        return (MailDelivery) store();
    }

    @Override
    protected void breakLease(MailboxRef ref) throws Exception {
        Files.delete(maildir(ref).resolve("postoffice-pop3.lock"));
    }

    @Override
    protected Optional<MaildropStore> reopen() {
        return Optional.of(new MaildirStore(dataDir));
    }

    @Override
    protected boolean streamsWithoutBuffering() {
        return true;
    }

    /**
     * A lock replaced by another server (another host's owner line in a new file, as a breaker that then took the
     * maildrop writes it) is no longer this session's: UPDATE removes nothing.
     */
    @Test
    void aLockTakenOverByAnotherHostRemovesNothing() throws Exception {
        MailboxRef ref = mailbox();
        delivery().deliver(ref, Envelope.none(), Octets.input(Octets.bytes("Subject: keep\n\nme\n")));
        Path lock = maildir(ref).resolve("postoffice-pop3.lock");
        try (Maildrop drop = store().open(ref)) {
            Files.delete(lock); // never edit a lock in place: it may be a link to the server's template
            Files.writeString(lock, "postoffice-pop3-lock host=elsewhere.example pid=4242"
                    + " start=2026-01-02T03:04:05.670Z boot=- ticks=- created=2026-01-02T03:04:06Z token=0123456789abcdef\n");

            assertThatThrownBy(() -> drop.commit(drop.messages(), List.of(), Instant.now()))
                    .isInstanceOf(LeaseLostException.class);
            assertThat(Files.list(maildir(ref).resolve("new")).count()).isEqualTo(1);
        }
        assertThat(lock).as("the other host's lock is left alone").exists();
    }

    /** The user's Maildir: under the home the locator names, else under the data directory. */
    Path maildir(MailboxRef ref) {
        return ref.locator().map(h -> Path.of(h).resolve("Maildir"))
                .orElseGet(() -> dataDir.resolve("home").resolve(ref.user()).resolve("Maildir"));
    }
}
