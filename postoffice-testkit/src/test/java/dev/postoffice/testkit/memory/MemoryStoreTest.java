package dev.postoffice.testkit.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What only the memory store has: its test conveniences and fault injection. The behaviour every store shares is
 * checked by {@code MemoryStoreContractTest}.
 */
class MemoryStoreTest {
    private static final MailboxRef ALICE = MailboxRef.of("alice");
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    private final MemoryStore store = new MemoryStore();

    @Test
    void storesCanonicalOctetsAndRecordsTheForm() throws Exception {
        DeliveryResult plain = store.deliver(ALICE, "a\nb");
        DeliveryResult dotted = store.deliver(ALICE, "a\r\n.b\r\n");

        assertThat(plain.form()).isEqualTo(MessageForm.WIRE);
        assertThat(plain.size()).isEqualTo(6);
        assertThat(new String(store.octets(ALICE, plain.id()).orElseThrow(), StandardCharsets.ISO_8859_1))
                .isEqualTo("a\r\nb\r\n");
        assertThat(dotted.form()).isEqualTo(MessageForm.DOTTED);
        try (Maildrop drop = store.open(ALICE)) {
            assertThat(drop.body(drop.messages().get(1)).form()).isEqualTo(MessageForm.DOTTED);
        }
    }

    @Test
    void mailboxesAreSeparate() throws Exception {
        store.deliver(ALICE, "to alice\n");
        MailboxRef bob = MailboxRef.of("bob");

        try (Maildrop a = store.open(ALICE); Maildrop b = store.open(bob)) {
            assertThat(a.messages()).hasSize(1);
            assertThat(b.messages()).isEmpty();
        }
    }

    @Test
    void leasedTellsWhetherASessionHoldsTheMailbox() throws Exception {
        Maildrop drop = store.open(ALICE);
        assertThat(store.leased(ALICE)).isTrue();
        drop.close();
        assertThat(store.leased(ALICE)).isFalse();
    }

    @Test
    void aBrokenLeaseLetsAnotherSessionInAndTheOldCloseLeavesItAlone() throws Exception {
        store.deliver(ALICE, "x\n");
        Maildrop old = store.open(ALICE);
        store.breakLease(ALICE);

        Maildrop fresh = store.open(ALICE);
        old.close();

        assertThat(store.leased(ALICE)).isTrue();
        assertThatThrownBy(() -> store.open(ALICE)).isInstanceOf(MaildropBusyException.class);
        fresh.close();
    }

    @Test
    void injectedBodyFaultThrowsIoExceptionForThatMessageOnly() throws Exception {
        DeliveryResult bad = store.deliver(ALICE, "bad\n");
        store.deliver(ALICE, "good\n");
        store.failBody(bad.id());

        try (Maildrop drop = store.open(ALICE)) {
            assertThatThrownBy(() -> drop.body(drop.messages().get(0))).isInstanceOf(IOException.class);
            assertThat(read(drop.body(drop.messages().get(1)))).isEqualTo("good\r\n");
        }
        store.clearFaults();
        try (Maildrop drop = store.open(ALICE)) {
            assertThat(read(drop.body(drop.messages().get(0)))).isEqualTo("bad\r\n");
        }
    }

    @Test
    void injectedStreamFaultFailsAfterTheGivenOctets() throws Exception {
        DeliveryResult d = store.deliver(ALICE, "0123456789\n");
        store.failStreamAfter(d.id(), 4);

        try (Maildrop drop = store.open(ALICE); InputStream in = drop.body(drop.messages().get(0)).open()) {
            byte[] got = new byte[4];
            assertThat(in.readNBytes(got, 0, 4)).isEqualTo(4);
            assertThat(new String(got, StandardCharsets.ISO_8859_1)).isEqualTo("0123");
            assertThatThrownBy(in::read).isInstanceOf(IOException.class);
        }
    }

    @Test
    void injectedRemovalFaultKeepsThatMessageAndRemovesTheOthers() throws Exception {
        DeliveryResult stuck = store.deliver(ALICE, "stuck\n");
        DeliveryResult gone = store.deliver(ALICE, "gone\n");
        store.failRemoval(stuck.id());

        try (Maildrop drop = store.open(ALICE)) {
            assertThatThrownBy(() -> drop.commit(drop.messages(), List.of(), NOW))
                    .isInstanceOf(StorageException.class)
                    .isNotInstanceOf(LeaseLostException.class)
                    .hasMessageContaining(stuck.id())
                    .satisfies(e -> assertThat(((StorageException) e).temporary()).isTrue());
        }
        assertThat(store.messages(ALICE)).extracting(StoredMessage::id).containsExactly(stuck.id());
        assertThat(store.messages(ALICE)).extracting(StoredMessage::id).doesNotContain(gone.id());
    }

    @Test
    void aClosedMaildropRefusesUse() throws Exception {
        store.deliver(ALICE, "x\n");
        Maildrop drop = store.open(ALICE);
        StoredMessage m = drop.messages().get(0);
        drop.close();

        assertThatThrownBy(() -> drop.body(m)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> drop.commit(List.of(m), List.of(), NOW)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aMessageOfAnotherSnapshotIsRefused() throws Exception {
        store.deliver(ALICE, "x\n");
        StoredMessage foreign = new StoredMessage("m999", "m999", 3);

        try (Maildrop drop = store.open(ALICE)) {
            assertThatThrownBy(() -> drop.body(foreign)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> drop.commit(List.of(foreign), List.of(), NOW))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static String read(MessageBody body) throws IOException {
        try (InputStream in = body.open()) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
