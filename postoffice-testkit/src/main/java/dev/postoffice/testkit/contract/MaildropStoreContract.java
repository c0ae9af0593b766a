package dev.postoffice.testkit.contract;

import static dev.postoffice.testkit.contract.Octets.bytes;
import static dev.postoffice.testkit.contract.Octets.canonical;
import static dev.postoffice.testkit.contract.Octets.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.QuotaExceededException;
import dev.postoffice.storage.Usage;
import dev.postoffice.storage.StoredMessage;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link MaildropStore} and {@link MailDelivery} must do, whatever keeps the mail: canonical sizes, UIDL
 * rules, the lease, the fenced UPDATE, retrieval history, atomic delivery, the session snapshot and, where the
 * backend declares it, streaming without holding a message in memory. A backend's test extends this class, builds
 * a fresh, empty store for each test (a {@code @BeforeEach} or field initialiser) and answers the factory methods;
 * where backends legitimately differ, a capability method says so and the tests that need it are skipped.
 *
 * <p>Longer than 400 lines because it is one contract: every backend runs all of it through one set of factory
 * methods.
 */
public abstract class MaildropStoreContract {
    private static final Instant T1 = Instant.parse("2026-01-02T03:04:05Z");
    private static final Instant T2 = Instant.parse("2026-01-09T10:11:12Z");

    /** The store under test; the same instance for the whole test. */
    protected abstract MaildropStore store();

    /** Delivery into the same data as {@link #store()}. */
    protected abstract MailDelivery delivery();

    /**
     * Takes the lease away from the session holding the mailbox, as another server that judged it stale would,
     * leaving the mailbox free again: the session's commit must then throw {@link LeaseLostException}.
     */
    protected abstract void breakLease(MailboxRef ref) throws Exception;

    /** A new store instance on the same data (a restart, another server), or empty if the backend has none. */
    protected Optional<MaildropStore> reopen() throws Exception {
        return Optional.empty();
    }

    /** Whether delivery and {@link MessageBody#open()} stream without holding a whole message in memory. */
    protected boolean streamsWithoutBuffering() {
        return false;
    }

    /** The mailbox the tests use; a backend may give it a locator. */
    protected MailboxRef mailbox() {
        return MailboxRef.of("alice");
    }

    /** A second mailbox, separate from {@link #mailbox()}. */
    protected MailboxRef otherMailbox() {
        return MailboxRef.of("bob");
    }

    // ---- sizes and forms ----

    @ParameterizedTest
    @MethodSource("dev.postoffice.testkit.contract.Octets#samples")
    void sizesAreCanonicalOctetsForEveryForm(String message) throws Exception {
        byte[] expected = canonical(bytes(message));
        DeliveryResult delivered = delivery().deliver(mailbox(), Envelope.none(), Octets.input(bytes(message)));
        assertThat(delivered.size()).isEqualTo(expected.length);
        // The same message fed one octet at a time: line ends split across reads are the converter's hard case.
        delivery().deliver(mailbox(), Envelope.none(), Octets.trickle(bytes(message)));

        try (Maildrop drop = store().open(mailbox())) {
            assertThat(drop.messages()).hasSize(2);
            for (StoredMessage m : drop.messages()) {
                assertThat(m.size()).isEqualTo(expected.length);
                MessageBody body = drop.body(m);
                assertThat(body.size()).isEqualTo(expected.length);
                byte[] stored = bytes(Octets.read(body));
                assertThat(text(canonical(stored))).isEqualTo(text(expected));
                if (body.form().canonical()) {
                    assertThat(text(stored)).isEqualTo(text(expected));
                }
                if (body.form() == MessageForm.WIRE) {
                    assertThat(Octets.hasDotLine(expected)).as("a WIRE body has no line to byte-stuff").isFalse();
                }
                MessageBody again = drop.body(m);
                Optional<FileChannel> channel = again.openChannel();
                if (channel.isEmpty()) {
                    again.open().close();
                } else {
                    assertThat(body.form().canonical()).as("a channel is offered for canonical bodies only").isTrue();
                    try (FileChannel ch = channel.get()) {
                        assertThat(text(Octets.readAll(ch))).isEqualTo(text(expected));
                    }
                }
            }
        }
    }

    @Test
    void deliveryReportsTheStoredForm() throws Exception {
        DeliveryResult plain = delivery().deliver(mailbox(), Envelope.none(), Octets.input(bytes("a\nb\n")));
        DeliveryResult dotted = delivery().deliver(mailbox(), Envelope.none(), Octets.input(bytes("a\n.b\n")));

        assertThat(plain.form()).isIn(MessageForm.WIRE, MessageForm.RAW);
        assertThat(dotted.form()).isIn(MessageForm.DOTTED, MessageForm.RAW);
        try (Maildrop drop = store().open(mailbox())) {
            assertThat(drop.body(drop.messages().get(0)).form()).isEqualTo(plain.form());
            assertThat(drop.body(drop.messages().get(1)).form()).isEqualTo(dotted.form());
        }
    }

    // ---- UIDLs and order ----

    @Test
    void uidlsAreValidUniqueAndStable() throws Exception {
        List<String> first = deliverNumbered(mailbox(), "message", 20);
        List<String> uidls = uidls(mailbox());

        assertThat(uidls).hasSize(20).doesNotHaveDuplicates()
                .allSatisfy(u -> assertThat(u).matches("[\\x21-\\x7E]{1,70}"));
        assertThat(uidls(mailbox())).as("the same at the next open").isEqualTo(uidls);
        assertThat(bodies(mailbox())).as("in delivery order").isEqualTo(first);
    }

    @Test
    void uidlsSurviveARestart() throws Exception {
        Optional<MaildropStore> restarted = reopen();
        assumeThat(restarted).as("backend can reopen its data").isPresent();
        deliverNumbered(mailbox(), "message", 5);
        List<String> before = uidls(mailbox());

        try (Maildrop drop = restarted.get().open(mailbox())) {
            assertThat(drop.messages()).extracting(StoredMessage::uidl).isEqualTo(before);
        }
    }

    @Test
    void uidlsAreNeverReused() throws Exception {
        deliverNumbered(mailbox(), "message", 5);
        List<String> old = uidls(mailbox());
        try (Maildrop drop = store().open(mailbox())) {
            drop.commit(drop.messages(), List.of(), T1);
        }
        deliverNumbered(mailbox(), "message", 5);

        assertThat(uidls(mailbox())).hasSize(5).doesNotContainAnyElementsOf(old);
    }

    @Test
    void mailboxesAreSeparate() throws Exception {
        deliverNumbered(mailbox(), "message", 2);
        deliverNumbered(otherMailbox(), "message", 1);

        assertThat(uidls(mailbox())).hasSize(2);
        assertThat(uidls(otherMailbox())).hasSize(1);
    }

    // ---- the lease ----

    @Test
    void aSecondOpenIsBusyUntilTheFirstCloses() throws Exception {
        Maildrop first = store().open(mailbox());
        assertThatThrownBy(() -> store().open(mailbox())).isInstanceOf(MaildropBusyException.class);
        try (Maildrop other = store().open(otherMailbox())) {
            assertThat(other.messages()).isEmpty(); // another mailbox is not locked
        }
        first.close();
        first.close(); // idempotent

        store().open(mailbox()).close();
    }

    @Test
    void anotherStoreInstanceIsBusyToo() throws Exception {
        Optional<MaildropStore> reopened = reopen();
        assumeThat(reopened).as("backend can reopen its data").isPresent();
        MaildropStore second = reopened.get();
        try (Maildrop held = store().open(mailbox())) {
            assertThatThrownBy(() -> second.open(mailbox())).isInstanceOf(MaildropBusyException.class);
        }
        second.open(mailbox()).close();
    }

    @Test
    void aLostLeaseRemovesNothing() throws Exception {
        deliverNumbered(mailbox(), "message", 2);
        try (Maildrop drop = store().open(mailbox())) {
            breakLease(mailbox());
            assertThatThrownBy(() -> drop.commit(drop.messages(), List.of(), T1))
                    .isInstanceOf(LeaseLostException.class)
                    .satisfies(e -> assertThat(((StorageException) e).temporary()).isTrue());
        }
        assertThat(bodies(mailbox())).hasSize(2);
    }

    @Test
    void commitRemovesOnlyTheGivenMessagesAndMayBeRepeated() throws Exception {
        List<String> sent = deliverNumbered(mailbox(), "message", 4);
        try (Maildrop drop = store().open(mailbox())) {
            List<StoredMessage> ms = drop.messages();
            drop.commit(List.of(ms.get(0)), List.of(), T1); // EXPIRE at login
            drop.commit(List.of(ms.get(0), ms.get(2)), List.of(), T1); // UPDATE, the first one again
            drop.commit(List.of(ms.get(2)), List.of(), T1);

            assertThat(drop.messages()).as("the snapshot does not change").isEqualTo(ms);
            assertThat(Octets.read(drop.body(ms.get(1)))).isEqualTo(text(canonical(bytes(sent.get(1)))));
        }
        assertThat(bodies(mailbox())).containsExactly(sent.get(1), sent.get(3));
    }

    @Test
    void aMessageRemovedInThisSessionCannotBeRead() throws Exception {
        deliverNumbered(mailbox(), "message", 1);
        try (Maildrop drop = store().open(mailbox())) {
            StoredMessage m = drop.messages().get(0);
            drop.commit(List.of(m), List.of(), T1);
            assertThatThrownBy(() -> drop.body(m)).isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void quitsUpdateRemovesRecordsAndFreesTheMaildrop() throws Exception {
        List<String> sent = deliverNumbered(mailbox(), "message", 3);
        Maildrop drop = store().open(mailbox());
        List<StoredMessage> ms = drop.messages();
        drop.commitAndClose(List.of(ms.get(0)), List.of(ms.get(0), ms.get(1)), T1);
        drop.close(); // idempotent after it

        try (Maildrop next = store().open(mailbox())) { // not busy: the lease went with UPDATE
            assertThat(next.messages()).hasSize(2);
            assertThat(next.history().firstRetrieved(next.messages().get(0))).contains(T1);
            assertThat(next.history().firstRetrieved(next.messages().get(1))).isEmpty();
        }
        assertThat(bodies(mailbox())).containsExactly(sent.get(1), sent.get(2));
        assertThat(delivery().usage(mailbox())).isEqualTo(
                new Usage(bytes(sent.get(1)).length + bytes(sent.get(2)).length, 2));
    }

    @Test
    void quitsUpdateWithNothingToChangeFreesTheMaildrop() throws Exception {
        deliverNumbered(mailbox(), "message", 1);
        Maildrop drop = store().open(mailbox());
        drop.commitAndClose(List.of(), List.of(), T1);

        store().open(mailbox()).close();
        assertThat(uidls(mailbox())).hasSize(1);
    }

    @Test
    void quitsUpdateOnALostLeaseRemovesNothingAndLeavesTheNewHolderItsLease() throws Exception {
        deliverNumbered(mailbox(), "message", 2);
        Maildrop drop = store().open(mailbox());
        breakLease(mailbox());
        MaildropStore other = reopen().orElse(store());
        try (Maildrop taker = other.open(mailbox())) { // another server that judged the lease stale
            assertThatThrownBy(() -> drop.commitAndClose(drop.messages(), drop.messages(), T1))
                    .isInstanceOf(LeaseLostException.class);
            assertThatThrownBy(() -> other.open(mailbox()))
                    .as("the lost session's close must not free the taker's lease")
                    .isInstanceOf(MaildropBusyException.class);
            assertThat(taker.messages()).hasSize(2);
        }
        assertThat(bodies(mailbox())).hasSize(2);
    }

    // ---- retrieval history ----

    @Test
    void historyKeepsTheFirstRetrievalAndTheLastLogin() throws Exception {
        deliverNumbered(mailbox(), "message", 2);
        try (Maildrop drop = store().open(mailbox())) {
            assertThat(drop.history().lastLogin()).isEmpty();
            assertThat(drop.history().firstRetrieved(drop.messages().get(0))).isEmpty();
            drop.history().recordLogin(T1);
            drop.commit(List.of(), List.of(drop.messages().get(0)), T1);
        }
        try (Maildrop drop = store().open(mailbox())) {
            List<StoredMessage> ms = drop.messages();
            assertThat(drop.history().lastLogin()).contains(T1);
            assertThat(drop.history().firstRetrieved(ms.get(0))).contains(T1);
            assertThat(drop.history().firstRetrieved(ms.get(1))).isEmpty();
            drop.history().recordLogin(T2);
            drop.history().recordRetrieved(List.of(ms.get(0), ms.get(1)), T2);
        }
        MaildropStore later = reopen().orElse(store());
        try (Maildrop drop = later.open(mailbox())) {
            List<StoredMessage> ms = drop.messages();
            assertThat(drop.history().lastLogin()).contains(T2);
            assertThat(drop.history().firstRetrieved(ms.get(0))).as("keeps the first time").contains(T1);
            assertThat(drop.history().firstRetrieved(ms.get(1))).contains(T2);
        }
    }

    // ---- delivery ----

    @Test
    void aDeliveryThatFailsMidwayLeavesNothing() throws Exception {
        deliverNumbered(mailbox(), "message", 1);
        InputStream failing = Octets.failingAfter(bytes("Subject: half\n\n" + "x".repeat(200_000)));

        assertThatThrownBy(() -> delivery().deliver(mailbox(), Envelope.none(), failing))
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).temporary()).isTrue());
        assertThat(uidls(mailbox())).hasSize(1);
        try (Maildrop drop = reopen().orElse(store()).open(mailbox())) {
            assertThat(drop.messages()).hasSize(1);
        }
    }

    @Test
    void anEmptyMessageIsRefusedForGood() throws Exception {
        assertThatThrownBy(() -> delivery().deliver(mailbox(), Envelope.none(), Octets.input(new byte[0])))
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).temporary()).isFalse());
        assertThat(uidls(mailbox())).isEmpty();
    }

    @Test
    void anEmptyUserNameIsRefusedForGood() {
        MailboxRef nobody = MailboxRef.of("");
        assertThatThrownBy(() -> delivery().deliver(nobody, Envelope.none(), Octets.input(bytes("x\n"))))
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).temporary()).isFalse());
        assertThatThrownBy(() -> store().open(nobody).close())
                .isInstanceOf(StorageException.class)
                .satisfies(e -> assertThat(((StorageException) e).temporary()).isFalse());
    }

    @Test
    void mailDeliveredDuringASessionAppearsOnceInTheNext() throws Exception {
        List<String> before = deliverNumbered(mailbox(), "message", 3);
        int threads = 4;
        int each = 25;
        List<String> during = new ArrayList<>();
        try (Maildrop drop = store().open(mailbox())) {
            List<StoredMessage> snapshot = List.copyOf(drop.messages());
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<String>>> sent = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String prefix = "thread " + t;
                    sent.add(pool.submit(() -> deliverNumbered(mailbox(), prefix, each)));
                }
                for (Future<List<String>> f : sent) {
                    during.addAll(f.get());
                }
            } finally {
                pool.shutdown();
            }
            assertThat(drop.messages()).isEqualTo(snapshot);
            assertThat(Octets.read(drop.body(snapshot.get(2)))).isEqualTo(text(canonical(bytes(before.get(2)))));
            drop.commit(List.of(snapshot.get(0)), List.of(), T1);
        }
        List<String> next = bodies(mailbox());
        assertThat(next).hasSize(2 + threads * each).doesNotHaveDuplicates();
        assertThat(next.subList(0, 2)).containsExactly(before.get(1), before.get(2));
        assertThat(new HashSet<>(next.subList(2, next.size()))).isEqualTo(new HashSet<>(during));
    }

    // ---- streaming ----

    @Test
    void largeMessagesAreStreamedNotBuffered() throws Exception {
        assumeThat(streamsWithoutBuffering()).as("backend streams bodies").isTrue();
        long lines = (64L << 20) / (Octets.LARGE_LINE.length + 1); // about 64 MiB, LF line ends to be converted
        long budget = 8L << 20; // far below the message size: a few buffers, no whole copy

        long before = Octets.allocatedBytes();
        DeliveryResult delivered = delivery().deliver(mailbox(), Envelope.none(), Octets.largeMessage(lines));
        long deliveryAllocated = Octets.allocatedBytes() - before;
        long expected = lines * (Octets.LARGE_LINE.length + 2);
        assertThat(delivered.size()).isEqualTo(expected);
        assertThat(deliveryAllocated).as("allocated while delivering").isLessThan(budget);

        try (Maildrop drop = store().open(mailbox())) {
            StoredMessage m = drop.messages().get(0);
            assertThat(m.size()).isEqualTo(expected);
            before = Octets.allocatedBytes();
            MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
            try (InputStream in = drop.body(m).open()) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    counter.update(buf, 0, n);
                }
            }
            long readAllocated = Octets.allocatedBytes() - before;
            assertThat(counter.size()).isEqualTo(expected);
            assertThat(readAllocated).as("allocated while reading").isLessThan(budget);
        }
    }

    // ---- usage and quotas ----

    @Test
    void usageFollowsDeliveriesAndUpdate() throws Exception {
        assertThat(delivery().usage(mailbox())).isEqualTo(Usage.EMPTY);
        List<String> sent = deliverNumbered(mailbox(), "message", 3);
        delivery().deliver(mailbox(), Envelope.none(), Octets.input(bytes("a\nbare\rends\n")));
        long total = Octets.canonical(bytes("a\nbare\rends\n")).length;
        for (String s : sent) {
            total += bytes(s).length;
        }
        assertThat(delivery().usage(mailbox())).isEqualTo(new Usage(total, 4));
        try (Maildrop drop = store().open(mailbox())) {
            drop.commit(List.of(drop.messages().get(1)), List.of(), T1);
        }
        assertThat(delivery().usage(mailbox())).isEqualTo(new Usage(total - bytes(sent.get(1)).length, 3));
        assertThat(delivery().usage(otherMailbox())).isEqualTo(Usage.EMPTY);
    }

    @Test
    void aQuotaRefusesTheMessageThatWouldCrossIt() throws Exception {
        byte[] message = bytes("Subject: q\r\n\r\n" + "x".repeat(98) + "\r\n"); // 113 octets
        Quota twoAndAHalf = new Quota(message.length * 5L / 2, 0, false);
        delivery().deliver(mailbox(), Envelope.none(), Octets.input(message), twoAndAHalf);
        delivery().deliver(mailbox(), Envelope.none(), Octets.input(message), twoAndAHalf);
        assertThatThrownBy(() -> delivery().deliver(mailbox(), Envelope.none(), Octets.input(message), twoAndAHalf))
                .isInstanceOf(QuotaExceededException.class)
                .satisfies(e -> assertThat(((StorageException) e).temporary()).isFalse());
        assertThat(uidls(mailbox())).hasSize(2);

        Quota grace = new Quota(message.length * 5L / 2, 0, true);
        delivery().deliver(mailbox(), Envelope.none(), Octets.input(message), grace);
        assertThatThrownBy(() -> delivery().deliver(mailbox(), Envelope.none(), Octets.input(message), grace))
                .as("grace lets one message cross the limit, not more").isInstanceOf(QuotaExceededException.class);

        Quota twoMessages = new Quota(0, 2, false);
        delivery().deliver(otherMailbox(), Envelope.none(), Octets.input(message), twoMessages);
        delivery().deliver(otherMailbox(), Envelope.none(), Octets.input(message), twoMessages);
        assertThatThrownBy(() -> delivery().deliver(otherMailbox(), Envelope.none(), Octets.input(message), twoMessages))
                .isInstanceOf(QuotaExceededException.class);
        assertThat(delivery().usage(mailbox())).isEqualTo(new Usage(3L * message.length, 3));
    }

    @Test
    void concurrentDeliveriesNeverExceedTheQuota() throws Exception {
        byte[] message = bytes("Subject: c\r\n\r\nbody\r\n");
        Quota ten = new Quota(0, 10, false);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                results.add(pool.submit(() -> {
                    try {
                        delivery().deliver(mailbox(), Envelope.none(), Octets.input(message), ten);
                        return true;
                    } catch (QuotaExceededException e) {
                        return false;
                    }
                }));
            }
            int delivered = 0;
            for (Future<Boolean> f : results) {
                delivered += f.get() ? 1 : 0;
            }
            assertThat(delivered).isEqualTo(10);
        } finally {
            pool.shutdownNow();
        }
        assertThat(uidls(mailbox())).hasSize(10);
        assertThat(delivery().usage(mailbox())).isEqualTo(new Usage(10L * message.length, 10));
    }

    // ---- helpers ----

    /** Delivers {@code count} distinct messages in order and returns their texts. */
    private List<String> deliverNumbered(MailboxRef ref, String prefix, int count) throws StorageException {
        List<String> sent = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String text = "Subject: " + prefix + " " + i + "\r\n\r\nbody of " + prefix + " " + i + "\r\n";
            delivery().deliver(ref, Envelope.none(), Octets.input(bytes(text)));
            sent.add(text);
        }
        return sent;
    }

    private List<String> uidls(MailboxRef ref) throws StorageException {
        try (Maildrop drop = store().open(ref)) {
            return drop.messages().stream().map(StoredMessage::uidl).toList();
        }
    }

    /** The canonical texts of a mailbox's messages at a new open, in order. */
    private List<String> bodies(MailboxRef ref) throws Exception {
        try (Maildrop drop = store().open(ref)) {
            List<String> texts = new ArrayList<>();
            for (StoredMessage m : drop.messages()) {
                texts.add(text(canonical(bytes(Octets.read(drop.body(m))))));
            }
            return texts;
        }
    }
}
