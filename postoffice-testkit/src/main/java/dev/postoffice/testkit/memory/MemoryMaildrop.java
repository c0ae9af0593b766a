package dev.postoffice.testkit.memory;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.RetrievalHistory;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A session on one {@link MemoryStore} mailbox: the snapshot taken at open and the lease, identified by a token
 * the store's mailbox holds until the session closes or a test breaks the lease. Like every {@link Maildrop}, used
 * by one session; its state changes go through the store's monitor.
 */
final class MemoryMaildrop implements Maildrop, RetrievalHistory {
    private final MemoryStore store;
    private final MailboxRef ref;
    private final MemoryStore.Box box;
    private final Object token;
    private final List<StoredMessage> messages;
    private final Set<StoredMessage> inSnapshot;
    private final Set<String> removed = new HashSet<>();
    private boolean closed;

    MemoryMaildrop(MemoryStore store, MailboxRef ref, MemoryStore.Box box, Object token, List<StoredMessage> messages) {
        this.store = store;
        this.ref = ref;
        this.box = box;
        this.token = token;
        this.messages = messages;
        this.inSnapshot = Set.copyOf(messages);
    }

    @Override
    public MailboxRef ref() {
        return ref;
    }

    @Override
    public List<StoredMessage> messages() {
        return messages;
    }

    @Override
    public RetrievalHistory history() {
        return this;
    }

    @Override
    public MessageBody body(StoredMessage message) throws IOException {
        ensureOpen();
        check(message);
        String id = message.id();
        if (removed.contains(id)) {
            throw new IOException("message " + id + " was removed in this session");
        }
        if (store.bodyFails(id)) {
            throw new IOException("injected fault: cannot read message " + id);
        }
        MemoryStore.Stored stored;
        synchronized (store) {
            stored = box.messages.stream().filter(s -> s.message().id().equals(id)).findFirst().orElse(null);
        }
        if (stored == null) {
            throw new IOException("message " + id + " is no longer in the maildrop");
        }
        return new Body(stored.octets(), stored.form(), store.streamFailsAfter(id));
    }

    /** Canonical octets in memory; no channel for {@code sendfile}. */
    private record Body(byte[] octets, MessageForm form, long failAfter) implements MessageBody {
        @Override
        public long size() {
            return octets.length;
        }

        @Override
        public InputStream open() {
            return failAfter < 0 ? new ByteArrayInputStream(octets) : new FailingStream(octets, failAfter);
        }
    }

    /** Yields the first {@code limit} octets, then throws, as a disk error in the middle of a file would. */
    private static final class FailingStream extends InputStream {
        private final InputStream in;
        private long left;

        FailingStream(byte[] octets, long limit) {
            this.in = new ByteArrayInputStream(octets);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left <= 0) {
                throw new IOException("injected fault: the message stream failed");
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    @Override
    public void commit(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved, Instant now)
            throws LeaseLostException, StorageException {
        ensureOpen();
        deletions.forEach(this::check);
        retrieved.forEach(this::check);
        synchronized (store) {
            if (!deletions.isEmpty()) {
                if (box.lease != token) {
                    throw new LeaseLostException("the lease on the maildrop of " + ref.user() + " was lost");
                }
                List<String> failed = new ArrayList<>();
                for (StoredMessage m : deletions) {
                    if (removed.contains(m.id())) {
                        continue;
                    }
                    if (store.removalFails(m.id())) {
                        failed.add(m.id());
                    } else {
                        box.messages.removeIf(s -> s.message().id().equals(m.id()));
                        box.firstRetrieved.remove(m.id());
                        removed.add(m.id());
                    }
                }
                if (!failed.isEmpty()) {
                    throw new StorageException("injected fault: messages could not be removed: "
                            + String.join(" ", failed), true);
                }
            }
            record(retrieved, now);
        }
    }

    @Override
    public Optional<Instant> firstRetrieved(StoredMessage message) {
        ensureOpen();
        synchronized (store) {
            return Optional.ofNullable(box.firstRetrieved.get(message.id()));
        }
    }

    @Override
    public void recordRetrieved(Collection<StoredMessage> retrieved, Instant when) {
        ensureOpen();
        retrieved.forEach(this::check);
        synchronized (store) {
            record(retrieved, when);
        }
    }

    private void record(Collection<StoredMessage> retrieved, Instant when) {
        for (StoredMessage m : retrieved) {
            if (!removed.contains(m.id())) {
                box.firstRetrieved.putIfAbsent(m.id(), when);
            }
        }
    }

    @Override
    public Optional<Instant> lastLogin() {
        ensureOpen();
        synchronized (store) {
            return Optional.ofNullable(box.lastLogin);
        }
    }

    @Override
    public void recordLogin(Instant when) {
        ensureOpen();
        synchronized (store) {
            box.lastLogin = when;
        }
    }

    @Override
    public void close() {
        synchronized (store) {
            if (!closed) {
                closed = true;
                if (box.lease == token) {
                    box.lease = null; // a broken lease may belong to another session by now
                }
            }
        }
    }

    private void check(StoredMessage message) {
        if (!inSnapshot.contains(message)) {
            throw new IllegalArgumentException("message " + message.id() + " is not in this maildrop snapshot");
        }
    }

    private void ensureOpen() {
        synchronized (store) {
            if (closed) {
                throw new IllegalStateException("the maildrop of " + ref.user() + " is closed");
            }
        }
    }
}
