package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import dev.postoffice.storage.Lease;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.RetrievalHistory;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.Usage;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A locked Maildir and the snapshot of its messages taken at open. Messages are looked up by base name,
 * so other software may move them from {@code new/} to {@code cur/} or change their flags meanwhile.
 * Listing is {@link MaildirListing}'s, measuring {@link MessageMeasurer}'s, the listing kept between sessions
 * {@link SnapshotCache}'s, removal {@link MaildirRemover}'s and the RFC 2449 history {@link MaildirHistory}'s;
 * nothing moves or deletes a file but the remover.
 */
final class MaildirMaildrop implements Maildrop {
    static final String NEW = "new";
    static final String CUR = "cur";
    static final String TMP = "tmp";

    private static final Logger log = LoggerFactory.getLogger(MaildirMaildrop.class);

    private final Path maildir;
    /** The Maildir's directories, held open during each operation; every file is used through them. */
    private final MaildirDirs dirs;
    private final List<StoredMessage> messages;
    private final SessionLocations locations;
    /** The size cache's entries as at open, shared with the kept listing: never changed. */
    private final Map<String, SizeCache.Measure> cachedSizes;
    /** The messages whose files are in canonical form, each with whether a line needs byte-stuffing. */
    private final Map<String, Boolean> canonical;
    private final Set<String> removed = new HashSet<>();
    private final MailboxRef ref;
    private final Lease lease;
    private final MaildirRemover remover;
    private final MaildirHistory history;
    private final MaildirUsage usage;
    private boolean closed;

    private MaildirMaildrop(Path maildir, MaildirDirs dirs, List<StoredMessage> messages, Map<String, Location> locations,
            Map<String, List<Location>> copies, Map<String, SizeCache.Measure> cachedSizes,
            Map<String, Boolean> canonical, MailboxRef ref, Lease lease, MaildirUsage usage) {
        this.usage = usage;
        this.maildir = maildir;
        this.dirs = dirs;
        this.messages = messages;
        this.locations = new SessionLocations(locations);
        this.cachedSizes = cachedSizes;
        this.canonical = canonical;
        this.ref = ref;
        this.lease = lease;
        this.remover = new MaildirRemover(dirs, this.locations, copies, removed);
        this.history = new MaildirHistory(dirs, this);
    }

    /**
     * Takes the snapshot of a Maildir whose lock the caller holds, and updates the size cache.
     *
     * @param maildir   the Maildir's real path: the key of its listing kept between sessions, and for messages
     * @param dirs      the Maildir opened; closed by {@link #close()}
     * @param lease     the lock (the lock file and the in-process lock); released once by {@link #close()}
     * @param snapshots the store's listings kept between sessions, used when still valid and updated
     * @param dovecotFormat how Dovecot formed the UIDLs of the messages in its {@code dovecot-uidlist}, or null to
     *                      read no uidlist (see {@link DovecotUidls})
     */
    static MaildirMaildrop open(MailboxRef ref, Path maildir, MaildirDirs dirs, Lease lease, SnapshotCache snapshots,
            UidlFormat dovecotFormat, MaildirUsage usage) throws IOException {
        try {
            return snapshot(ref, maildir, dirs, lease, snapshots, dovecotFormat, usage);
        } finally {
            dirs.release(); // an idle session holds no descriptor
        }
    }

    private static MaildirMaildrop snapshot(MailboxRef ref, Path maildir, MaildirDirs dirs, Lease lease,
            SnapshotCache snapshots, UidlFormat dovecotFormat, MaildirUsage usage) throws IOException {
        long listedAt = System.currentTimeMillis();
        SnapshotCache.DirState state = SnapshotCache.DirState.of(dirs);
        SnapshotCache.Snapshot known = snapshots.lookUp(maildir, state);
        if (known != null) {
            // Nothing was added, removed or renamed since: the listing and the measures still hold.
            return new MaildirMaildrop(maildir, dirs, known.messages(), known.locations(), known.copies(),
                    known.sizes(), known.canonical(), ref, lease, usage);
        }
        Map<String, List<Location>> copies = new HashMap<>();
        Map<String, Location> listed = MaildirListing.list(dirs, null, copies);
        Map<String, SizeCache.Measure> cache = SizeCache.load(dirs, listed.size());
        MessageMeasurer measurer = new MessageMeasurer(dirs, cache);

        List<MessageMeasurer.Entry> entries = new ArrayList<>(listed.size());
        Set<String> vanished = new HashSet<>();
        for (Map.Entry<String, Location> e : listed.entrySet()) {
            measurer.add(e.getKey(), e.getValue(), entries, vanished);
        }
        if (!vanished.isEmpty()) {
            // Renamed by other software (new -> cur, flag change) since the listing: find them once more.
            for (Map.Entry<String, Location> e : MaildirListing.list(dirs, vanished).entrySet()) {
                measurer.add(e.getKey(), e.getValue(), entries, null);
            }
        }
        entries.sort(MessageMeasurer.ORDER);
        // A Maildir Dovecot served keeps Dovecot's UIDLs and order for the messages it knew.
        List<DovecotUidls.Assigned> dovecot = DovecotUidls.assign(dirs, entries, dovecotFormat);

        List<StoredMessage> messages = new ArrayList<>(entries.size());
        Map<String, Location> locations = HashMap.newHashMap(entries.size());
        Map<String, SizeCache.Measure> sizes = LinkedHashMap.newLinkedHashMap(entries.size());
        Map<String, Boolean> canonical = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            MessageMeasurer.Entry e = dovecot == null ? entries.get(i) : dovecot.get(i).entry();
            String uidl = dovecot == null ? MaildirNames.uidl(e.base()) : dovecot.get(i).uidl();
            messages.add(new StoredMessage(e.base(), uidl, e.measure().size()));
            locations.put(e.base(), e.location());
            if (e.measure().form() == SizeCache.Form.WIRE || e.measure().form() == SizeCache.Form.DOTS) {
                canonical.put(e.base(), e.measure().form() == SizeCache.Form.DOTS);
            }
            if (SizeCache.storable(e.base())) {
                sizes.put(e.base(), e.measure());
            }
        }
        if (!sizes.equals(cache)) {
            storeCache(dirs, sizes);
        }
        SnapshotCache.Snapshot fresh = new SnapshotCache.Snapshot(state, Collections.unmodifiableList(messages),
                Map.copyOf(locations), Map.copyOf(copies), Collections.unmodifiableMap(sizes), Map.copyOf(canonical));
        snapshots.remember(maildir, listedAt, fresh);
        return new MaildirMaildrop(maildir, dirs, fresh.messages(), fresh.locations(), fresh.copies(), fresh.sizes(),
                fresh.canonical(), ref, lease, usage);
    }

    private static void storeCache(MaildirDirs dirs, Map<String, SizeCache.Measure> sizes) {
        try {
            SizeCache.store(dirs, sizes);
        } catch (IOException e) {
            log.warn("could not update the size cache of {}: {}", dirs.maildir(), e.toString());
        }
    }

    @Override
    public List<StoredMessage> messages() {
        return messages;
    }

    @Override
    public MailboxRef ref() {
        return ref;
    }

    @Override
    public RetrievalHistory history() {
        return history;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A message's form is learnt when it is first measured and kept in the size cache; {@code deliver}
     * stores messages in canonical form by default, so most of them offer a channel for {@code sendfile}. The
     * file is opened when the body is, so a message that cannot be read is found before anything is sent.
     */
    @Override
    public MessageBody body(StoredMessage message) throws IOException {
        Boolean dotLines = canonical.get(message.id());
        FileChannel ch;
        try {
            ch = openFile(message);
        } finally {
            dirs.keep(); // the next RETR is likely to follow at once; releaseIdle() closes them otherwise
        }
        MessageForm form;
        if (dotLines != null && ch.size() == message.size()) {
            form = dotLines ? MessageForm.DOTTED : MessageForm.WIRE;
        } else {
            // Not known canonical, or not the file that was measured: the converting path sends what it holds.
            form = MessageForm.RAW;
        }
        return new FileBody(ch, form, message.size());
    }

    @Override
    public void commit(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved, Instant now)
            throws LeaseLostException, StorageException {
        ensureOpen();
        try {
            if (!deletions.isEmpty()) {
                lease.verify();
                remove(deletions);
            }
        } finally {
            dirs.release();
        }
        if (!retrieved.isEmpty()) {
            try {
                history.recordRetrieved(retrieved, now);
            } catch (StorageException e) {
                // History is best effort: the removals above stand, and EXPIRE counts from a later retrieval.
                log.warn("cannot record retrievals in {}: {}", maildir, e.getMessage());
            }
        }
    }

    private void remove(Collection<StoredMessage> toRemove) throws StorageException {
        Map<String, Location> targets = new LinkedHashMap<>();
        for (StoredMessage m : toRemove) {
            Location location = location(m.id());
            if (!removed.contains(m.id())) {
                targets.put(m.id(), location);
            }
        }
        if (targets.isEmpty()) {
            return;
        }
        MaildirUsage.Held held = holdUsage();
        Usage before = null;
        try {
            before = held == null ? null : held.usage();
        } catch (IOException e) {
            log.warn("cannot read the usage of {}: {}", maildir, e.toString());
        }
        Set<String> removedBefore = Set.copyOf(removed);
        try {
            remover.remove(targets);
        } finally {
            if (!Collections.disjoint(cachedSizes.keySet(), removed)) {
                Map<String, SizeCache.Measure> left = new LinkedHashMap<>(cachedSizes);
                left.keySet().removeAll(removed);
                storeCache(dirs, left);
            }
            releaseUsage(held, before, removedBefore);
        }
    }

    private MaildirUsage.Held holdUsage() {
        try {
            return usage.hold(dirs);
        } catch (IOException e) {
            log.warn("cannot lock the usage of {}: {}", maildir, e.toString());
            return null;
        }
    }

    /**
     * Subtracts what this UPDATE removed from the usage and releases it; when the usage could not be held, read or
     * written, removes the usage file instead, so the next use counts it again rather than keep a figure that
     * still holds the removed messages (and refuse deliveries for it).
     */
    private void releaseUsage(MaildirUsage.Held held, Usage before, Set<String> removedBefore) {
        long bytes = 0;
        long count = 0;
        for (StoredMessage m : messages) {
            if (removed.contains(m.id()) && !removedBefore.contains(m.id())) {
                bytes += m.size();
                count++;
            }
        }
        if (held == null) {
            if (count > 0) {
                MaildirUsage.forget(dirs);
            }
            return;
        }
        try (held) {
            if (before != null) {
                held.recordOrForget(before.plus(-bytes, -count));
            } else if (count > 0) {
                MaildirUsage.forget(dirs);
            }
        } catch (IOException e) {
            log.warn("cannot release the usage of {}: {}", maildir, e.toString());
        }
    }

    private FileChannel openFile(StoredMessage message) throws IOException {
        ensureOpen();
        String id = message.id();
        Location location = location(id);
        if (removed.contains(id)) {
            throw gone(id, "it was removed in this session");
        }
        try {
            return open(location);
        } catch (NoSuchFileException e) {
            Location moved = MaildirListing.list(dirs, Set.of(id)).get(id);
            if (moved == null) {
                throw gone(id, "other software removed it");
            }
            locations.moved(id, moved);
            return open(moved);
        }
    }

    private FileChannel open(Location location) throws IOException {
        // Refuse anything but a regular file first: opening a FIFO planted in the Maildir would block.
        if (!dirs.attributes(location.dir(), location.name()).isRegularFile()) {
            throw new IOException("message file " + location.in(dirs) + " is not a regular file");
        }
        return dirs.read(location.dir(), location.name());
    }

    private static NoSuchFileException gone(String id, String why) {
        return new NoSuchFileException(null, null, "message " + id + " is no longer in the maildrop: " + why);
    }

    // ---- for MaildirHistory ----

    /** Where a message of this snapshot is. */
    Location location(String id) {
        Location location = locations.get(id);
        if (location == null) {
            throw new IllegalArgumentException("message " + id + " is not in this maildrop snapshot");
        }
        return location;
    }

    /** Whether a base name is a message of this snapshot. */
    boolean listed(String id) {
        return locations.contains(id);
    }

    /** Whether this session removed (or found gone) the message. */
    boolean removed(String id) {
        return removed.contains(id);
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("maildrop " + maildir + " is closed");
        }
    }

    /** The Maildir's directories (tests). */
    MaildirDirs dirs() {
        return dirs;
    }

    @Override
    public void releaseIdle() {
        dirs.releaseIfIdle();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        dirs.close();
        try {
            lease.close();
        } catch (RuntimeException e) {
            log.warn("error releasing the lock of {}: {}", maildir, e.toString());
        }
    }
}
