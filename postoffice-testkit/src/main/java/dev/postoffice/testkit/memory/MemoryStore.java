package dev.postoffice.testkit.memory;

import dev.postoffice.message.MessageForm;
import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Envelope;
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
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Maildrops kept in memory, for tests of everything above storage (POP3 handlers, the server) and as the reference
 * backend of the storage contract ({@code MaildropStoreContract}). Thread-safe: one monitor guards all mailboxes.
 *
 * <p>Behaves as a real store must: one lease per mailbox ({@link MaildropBusyException} for a second open); UIDLs
 * assigned once at delivery and never reused; messages ordered by delivery; the message list of a session is the
 * snapshot taken at open; bodies are stored in canonical form (CRLF, final CRLF) with their form ({@code WIRE} or
 * {@code DOTTED}) recorded at delivery; a delivery is visible whole or not at all; UPDATE is fenced by the lease.
 *
 * <p>For tests it can also break a lease ({@link #breakLease}), as a stale-lock breaker on another server would,
 * and inject faults: a body that cannot be opened ({@link #failBody}), a stream that fails part-way
 * ({@link #failStreamAfter}), a message that UPDATE cannot remove ({@link #failRemoval}). Faults are keyed by
 * message id ({@link StoredMessage#id()}, {@link DeliveryResult#id()}), unique in the store.
 */
public final class MemoryStore implements MaildropStore, MailDelivery {
    private static final int BUFFER_SIZE = 1 << 16;

    /** A delivered message: its canonical octets and the form they were found in at delivery. */
    record Stored(StoredMessage message, byte[] octets, MessageForm form) {}

    /** One mailbox. Guarded by the store's monitor. */
    static final class Box {
        final List<Stored> messages = new ArrayList<>();
        final Map<String, Instant> firstRetrieved = new HashMap<>();
        Instant lastLogin;
        /** The current lease holder's token, or null when no session holds the mailbox. */
        Object lease;
    }

    private final Map<MailboxRef, Box> boxes = new HashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Set<String> failingBodies = new HashSet<>();
    private final Map<String, Long> failingStreams = new HashMap<>();
    private final Set<String> failingRemovals = new HashSet<>();

    // ---- MaildropStore and MailDelivery ----

    @Override
    public Maildrop open(MailboxRef ref) throws MaildropBusyException, StorageException {
        checkUser(ref);
        synchronized (this) {
            Box box = box(ref);
            if (box.lease != null) {
                throw new MaildropBusyException("the maildrop of " + ref.user() + " is in use by another session");
            }
            Object token = new Object();
            box.lease = token;
            List<StoredMessage> snapshot = box.messages.stream().map(Stored::message).toList();
            return new MemoryMaildrop(this, ref, box, token, snapshot);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The message is read whole before anything is stored, so a stream that fails leaves no trace. The returned
     * id is also the message's UIDL.
     */
    @Override
    public DeliveryResult deliver(MailboxRef ref, Envelope envelope, InputStream message, Quota quota)
            throws StorageException {
        checkUser(ref);
        Objects.requireNonNull(quota, "quota");
        Objects.requireNonNull(message, "message");
        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        MessageFormat.LineEndConverter converter = new MessageFormat.LineEndConverter(MessageFormat.LineEnd.CRLF);
        ByteArrayOutputStream canonical = new ByteArrayOutputStream();
        byte[] buf = new byte[BUFFER_SIZE];
        byte[] out = new byte[MessageFormat.LineEndConverter.maxOutput(BUFFER_SIZE)];
        try {
            for (int n; (n = message.read(buf)) >= 0; ) {
                counter.update(buf, 0, n);
                canonical.write(out, 0, converter.convert(buf, 0, n, out));
            }
        } catch (IOException e) {
            throw new StorageException("cannot read the message: " + e.getMessage(), true, e);
        }
        canonical.write(out, 0, converter.finish(out));
        if (canonical.size() == 0) {
            throw new StorageException("empty message", false);
        }
        byte[] octets = canonical.toByteArray();
        MessageForm form = counter.hasDotLines() ? MessageForm.DOTTED : MessageForm.WIRE;
        String id = "m" + ids.incrementAndGet();
        Stored stored = new Stored(new StoredMessage(id, id, octets.length), octets, form);
        synchronized (this) {
            Usage before = usage(box(ref));
            if (!quota.admits(before, octets.length)) {
                throw new QuotaExceededException(before, quota, octets.length);
            }
            box(ref).messages.add(stored);
        }
        return new DeliveryResult(id, octets.length, form);
    }

    @Override
    public synchronized Usage usage(MailboxRef ref) throws StorageException {
        checkUser(ref);
        Box box = boxes.get(ref);
        return box == null ? Usage.EMPTY : usage(box);
    }

    private static Usage usage(Box box) {
        long bytes = 0;
        for (Stored s : box.messages) {
            bytes += s.octets().length;
        }
        return new Usage(bytes, box.messages.size());
    }

    // ---- conveniences for tests ----

    /** Delivers a message given as text (ISO-8859-1, so any octet can be written), without an envelope. */
    public DeliveryResult deliver(MailboxRef ref, String message) throws StorageException {
        return deliver(ref, Envelope.none(), new ByteArrayInputStream(message.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** The messages in a mailbox now, oldest first, as the next session would see them; takes no lease. */
    public synchronized List<StoredMessage> messages(MailboxRef ref) {
        Box box = boxes.get(ref);
        return box == null ? List.of() : box.messages.stream().map(Stored::message).toList();
    }

    /** A stored message's canonical octets, by id; takes no lease. */
    public synchronized Optional<byte[]> octets(MailboxRef ref, String id) {
        Box box = boxes.get(ref);
        return box == null ? Optional.empty()
                : box.messages.stream().filter(s -> s.message().id().equals(id)).findFirst()
                        .map(s -> s.octets().clone());
    }

    /** Whether a session holds the mailbox's lease. */
    public synchronized boolean leased(MailboxRef ref) {
        Box box = boxes.get(ref);
        return box != null && box.lease != null;
    }

    /**
     * Takes the lease away from the session that holds it, as another server breaking a stale lock would: that
     * session's commit then removes nothing and throws {@code LeaseLostException}, and a new session may open
     * the mailbox. Its close leaves the new holder's lease alone.
     */
    public synchronized void breakLease(MailboxRef ref) {
        Box box = boxes.get(ref);
        if (box != null) {
            box.lease = null;
        }
    }

    /** Makes {@code Maildrop.body} of the message throw an {@link IOException}, as for a file that vanished. */
    public synchronized void failBody(String id) {
        failingBodies.add(id);
    }

    /** Makes the message's body stream throw an {@link IOException} after {@code octets} octets were read. */
    public synchronized void failStreamAfter(String id, long octets) {
        failingStreams.put(id, octets);
    }

    /** Makes commit unable to remove the message: it stays, and commit throws a temporary StorageException. */
    public synchronized void failRemoval(String id) {
        failingRemovals.add(id);
    }

    /** Removes every injected fault. */
    public synchronized void clearFaults() {
        failingBodies.clear();
        failingStreams.clear();
        failingRemovals.clear();
    }

    // ---- for MemoryMaildrop, under the store's monitor ----

    private static void checkUser(MailboxRef ref) throws StorageException {
        if (ref.user().isEmpty()) {
            throw new StorageException("invalid user name", false);
        }
    }

    private Box box(MailboxRef ref) {
        return boxes.computeIfAbsent(ref, r -> new Box());
    }

    synchronized boolean bodyFails(String id) {
        return failingBodies.contains(id);
    }

    synchronized long streamFailsAfter(String id) {
        return failingStreams.getOrDefault(id, -1L);
    }

    synchronized boolean removalFails(String id) {
        return failingRemovals.contains(id);
    }
}
