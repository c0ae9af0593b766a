package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.message.MessageBody;
import dev.postoffice.message.MessageForm;
import dev.postoffice.storage.Lease;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.RetrievalHistory;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A locked Maildir and the snapshot of its messages taken at open. Messages are looked up by base name,
 * so other software may move them from {@code new/} to {@code cur/} or change their flags meanwhile.
 * Nothing here moves or deletes a file except {@link #remove}.
 */
final class MaildirMaildrop implements Maildrop, RetrievalHistory {
    static final String NEW = "new";
    static final String CUR = "cur";
    static final String TMP = "tmp";

    private static final int BUFFER_SIZE = 1 << 16;
    private static final Logger log = LoggerFactory.getLogger(MaildirMaildrop.class);

    /** Where a message's file is: index into {@link #dirs} (0 = new, 1 = cur) and the full file name. */
    private record Location(int dir, String name) {}

    /**
     * A listed message with its sort keys, parsed once (seconds, then microseconds within the second, then
     * the name), and its canonical size and stored form.
     */
    private record Entry(String base, Location location, long seconds, long micros, SizeCache.Measure measure) {
        Entry(String base, Location location, long seconds, SizeCache.Measure measure) {
            this(base, location, seconds, MaildirNames.micros(base), measure);
        }
    }

    /** Oldest first; compares the parsed keys, so sorting parses no name. */
    private static final Comparator<Entry> ORDER = (a, b) -> {
        int c = Long.compare(a.seconds(), b.seconds());
        if (c == 0) {
            c = Long.compare(a.micros(), b.micros());
        }
        return c != 0 ? c : a.base().compareTo(b.base());
    };

    private final Path maildir;
    private final Path[] dirs;
    private final List<StoredMessage> messages;
    private final Map<String, Location> locations;
    /** Further files of a base name listed twice at open (usually none); removed along with the message. */
    private final Map<String, List<Location>> copies;
    private final Map<String, SizeCache.Measure> cachedSizes;
    /** The messages whose files are in canonical form, each with whether a line needs byte-stuffing. */
    private final Map<String, Boolean> canonical;
    private final Set<String> removed = new HashSet<>();
    private final MailboxRef ref;
    private final Lease lease;
    private boolean closed;

    private MaildirMaildrop(Path maildir, Path[] dirs, List<StoredMessage> messages, Map<String, Location> locations,
            Map<String, List<Location>> copies, Map<String, SizeCache.Measure> cachedSizes,
            Map<String, Boolean> canonical, MailboxRef ref, Lease lease) {
        this.maildir = maildir;
        this.dirs = dirs;
        this.messages = messages;
        this.locations = locations;
        this.copies = copies;
        this.cachedSizes = cachedSizes;
        this.canonical = canonical;
        this.ref = ref;
        this.lease = lease;
    }

    /**
     * Takes the snapshot of a Maildir whose lock the caller holds, and updates the size cache.
     *
     * @param lease the lock (the lock file and the in-process lock); released once by {@link #close()}
     */
    static MaildirMaildrop open(MailboxRef ref, Path maildir, Lease lease) throws IOException {
        Path[] dirs = {maildir.resolve(NEW), maildir.resolve(CUR)};
        long listedAt = System.currentTimeMillis();
        DirState state = DirState.of(dirs);
        Snapshot known = SNAPSHOTS.get(maildir);
        if (known != null && known.state().equals(state)) {
            // Nothing was added, removed or renamed since: the listing and the measures still hold.
            return new MaildirMaildrop(maildir, dirs, known.messages(), new HashMap<>(known.locations()),
                    known.copies(), new LinkedHashMap<>(known.sizes()), known.canonical(), ref, lease);
        }
        Map<String, List<Location>> copies = new HashMap<>();
        Map<String, Location> listed = list(dirs, null, copies);
        Map<String, SizeCache.Measure> cache = SizeCache.load(maildir, listed.size());
        Measurer measurer = new Measurer(dirs, cache);

        List<Entry> entries = new ArrayList<>(listed.size());
        Set<String> vanished = new HashSet<>();
        for (Map.Entry<String, Location> e : listed.entrySet()) {
            measurer.add(e.getKey(), e.getValue(), entries, vanished);
        }
        if (!vanished.isEmpty()) {
            // Renamed by other software (new -> cur, flag change) since the listing: find them once more.
            for (Map.Entry<String, Location> e : list(dirs, vanished).entrySet()) {
                measurer.add(e.getKey(), e.getValue(), entries, null);
            }
        }
        entries.sort(ORDER);

        List<StoredMessage> messages = new ArrayList<>(entries.size());
        Map<String, Location> locations = HashMap.newHashMap(entries.size());
        Map<String, SizeCache.Measure> sizes = LinkedHashMap.newLinkedHashMap(entries.size());
        Map<String, Boolean> canonical = new HashMap<>();
        for (Entry e : entries) {
            messages.add(new StoredMessage(e.base(), MaildirNames.uidl(e.base()), e.measure().size()));
            locations.put(e.base(), e.location());
            if (e.measure().form() == SizeCache.Form.WIRE || e.measure().form() == SizeCache.Form.DOTS) {
                canonical.put(e.base(), e.measure().form() == SizeCache.Form.DOTS);
            }
            if (SizeCache.storable(e.base())) {
                sizes.put(e.base(), e.measure());
            }
        }
        if (!sizes.equals(cache)) {
            storeCache(maildir, sizes);
        }
        List<StoredMessage> list = Collections.unmodifiableList(messages);
        remember(maildir, state, listedAt, new Snapshot(state, list, Map.copyOf(locations), Map.copyOf(copies),
                Collections.unmodifiableMap(new LinkedHashMap<>(sizes)), Map.copyOf(canonical)));
        return new MaildirMaildrop(maildir, dirs, list, locations, copies, sizes, canonical, ref, lease);
    }

    // ---- the snapshot kept between sessions ----

    /**
     * How old the newest change to {@code new/} and {@code cur/} must be, when they are listed, for the listing to
     * be kept: a file added within the same tick of the directory's mtime as an earlier change would not change
     * it again, so only listings taken well after the last change are trusted.
     */
    static final long SETTLED_MILLIS = 2_000;
    /** At most this many messages are kept in snapshots across all Maildirs (a few hundred octets each). */
    static final int MAX_CACHED_MESSAGES = 200_000;

    /** The identity and mtime of {@code new/} and {@code cur/}: what any delivery, removal or rename changes. */
    private record DirState(Object newKey, long newMtime, Object curKey, long curMtime) {
        static DirState of(Path[] dirs) throws IOException {
            BasicFileAttributes n = Files.readAttributes(dirs[0], BasicFileAttributes.class);
            BasicFileAttributes c = Files.readAttributes(dirs[1], BasicFileAttributes.class);
            return new DirState(n.fileKey(), n.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                    c.fileKey(), c.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        }

        long newestMillis() {
            return TimeUnit.NANOSECONDS.toMillis(Math.max(newMtime, curMtime));
        }
    }

    /** A Maildir's messages as listed and measured when its directories were in {@code state}. Immutable. */
    private record Snapshot(DirState state, List<StoredMessage> messages, Map<String, Location> locations,
            Map<String, List<Location>> copies, Map<String, SizeCache.Measure> sizes, Map<String, Boolean> canonical) {}

    /**
     * Snapshots by Maildir (its real path), so that a login to an unchanged maildrop costs two stats instead of
     * listing both directories and reading the size cache. Shared by the store instances of the JVM; validity
     * is checked against the directories at every open, so sharing is safe.
     */
    private static final Map<Path, Snapshot> SNAPSHOTS = new ConcurrentHashMap<>();
    private static final AtomicLong CACHED_MESSAGES = new AtomicLong();

    private static void remember(Path maildir, DirState state, long listedAt, Snapshot snapshot) {
        if (state.newestMillis() > listedAt - SETTLED_MILLIS || state.newestMillis() > System.currentTimeMillis()) {
            SNAPSHOTS.remove(maildir); // changed too recently to trust the mtimes (or a clock in the past)
            return;
        }
        if (CACHED_MESSAGES.addAndGet(snapshot.messages().size()) > MAX_CACHED_MESSAGES) {
            // Over the bound: start afresh rather than track ages; the busiest maildrops come back first.
            SNAPSHOTS.clear();
            CACHED_MESSAGES.set(snapshot.messages().size());
        }
        Snapshot old = SNAPSHOTS.put(maildir, snapshot);
        if (old != null) {
            CACHED_MESSAGES.addAndGet(-old.messages().size());
        }
    }

    /** Forgets every snapshot (tests, and a store that knows its files were changed behind its back). */
    static void forgetSnapshots() {
        SNAPSHOTS.clear();
        CACHED_MESSAGES.set(0);
    }

    /** Measures listed messages, using the size cache where it can. */
    private static final class Measurer {
        private final Path[] dirs;
        private final Map<String, SizeCache.Measure> cache;
        private byte[] buffer;

        Measurer(Path[] dirs, Map<String, SizeCache.Measure> cache) {
            this.dirs = dirs;
            this.cache = cache;
        }

        /**
         * Adds the entry for one message, skips it if it is not a readable regular file, or notes it in
         * {@code vanished} (when given) if its file is gone.
         */
        void add(String base, Location location, List<Entry> entries, Set<String> vanished) {
            SizeCache.Measure previous = cache.get(base);
            SizeCache.Measure cached = known(base, previous);
            long seconds = MaildirNames.leadingSeconds(base);
            if (cached != null && seconds >= 0) {
                entries.add(new Entry(base, location, seconds, cached));
                return;
            }
            Path path = dirs[location.dir()].resolve(location.name());
            try {
                BasicFileAttributes attrs =
                        Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!attrs.isRegularFile()) {
                    return;
                }
                if (seconds < 0) {
                    seconds = attrs.lastModifiedTime().to(TimeUnit.SECONDS);
                }
                SizeCache.Measure measure = cached != null ? cached
                        : previous != null && previous.size() != attrs.size()
                                ? new SizeCache.Measure(previous.size(), SizeCache.Form.CONVERT)
                                : measure(path, base, attrs.size());
                entries.add(new Entry(base, location, seconds, measure));
            } catch (NoSuchFileException e) {
                if (vanished != null) {
                    vanished.add(base);
                }
            } catch (IOException e) {
                log.warn("skipping unreadable message {}: {}", path, e.toString());
            }
        }

        /**
         * A cached measure whose form is known, or one completed from the name; null if the file must be
         * looked at. An entry cached before forms were recorded is settled by the stored size (the name's
         * {@code ,S=} here, else the file's, in {@link #add}) when that differs from the canonical size: the file
         * then cannot be its wire form. Only files of the canonical size are read again.
         */
        private static SizeCache.Measure known(String base, SizeCache.Measure cached) {
            if (cached == null || cached.form() != SizeCache.Form.UNKNOWN) {
                return cached;
            }
            long s = MaildirNames.sizeField(base, 'S');
            return s >= 0 && s != cached.size() ? new SizeCache.Measure(cached.size(), SizeCache.Form.CONVERT) : null;
        }

        /**
         * The canonical size and form of a message file. A {@code ,W=} field in the name gives the size from one
         * byte: W counts LF as CRLF but adds no final CRLF, which the canonical form has when the last byte is
         * not a line break. A size that differs from the file's means the file needs converting; otherwise (or
         * when the name says nothing, or its {@code ,S=} disagrees with the file's size) the file is read once.
         */
        private SizeCache.Measure measure(Path path, String base, long rawSize) throws IOException {
            long w = MaildirNames.sizeField(base, 'W');
            if (w >= 0 && rawSize > 0) {
                long s = MaildirNames.sizeField(base, 'S');
                if (s < 0 || s == rawSize) {
                    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                        ByteBuffer last = ByteBuffer.allocate(1);
                        if (ch.read(last, rawSize - 1) == 1) {
                            byte b = last.get(0);
                            long size = b == '\n' || b == '\r' ? w : w + 2;
                            if (size != rawSize) {
                                return new SizeCache.Measure(size, SizeCache.Form.CONVERT);
                            }
                        }
                    }
                }
            }
            return scan(path);
        }

        private SizeCache.Measure scan(Path path) throws IOException {
            if (buffer == null) {
                buffer = new byte[BUFFER_SIZE];
            }
            MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
            try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    counter.update(buffer, 0, n);
                }
            }
            SizeCache.Form form = !counter.isCanonical() ? SizeCache.Form.CONVERT
                    : counter.hasDotLines() ? SizeCache.Form.DOTS : SizeCache.Form.WIRE;
            return new SizeCache.Measure(counter.size(), form);
        }
    }

    /**
     * Lists the messages in {@code new/} and {@code cur/} by base name, skipping dotfiles. A base name
     * found in both keeps its {@code cur/} file.
     *
     * @param wanted if not null, only these base names are returned
     */
    private static Map<String, Location> list(Path[] dirs, Set<String> wanted) throws IOException {
        return list(dirs, wanted, null);
    }

    /**
     * Lists {@code new/} and {@code cur/}: every message's base name and where its file is. A base name found
     * twice (a copy left in {@code new/} by software that meant to move it to {@code cur/}) maps to the last
     * one found, the one in {@code cur/}; when {@code copies} is given, the others are added to it.
     */
    private static Map<String, Location> list(Path[] dirs, Set<String> wanted, Map<String, List<Location>> copies)
            throws IOException {
        Map<String, Location> found = new HashMap<>();
        for (int d = 0; d < dirs.length; d++) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dirs[d])) {
                for (Path p : stream) {
                    String name = p.getFileName().toString();
                    if (name.isEmpty() || name.charAt(0) == '.') {
                        continue;
                    }
                    String base = MaildirNames.baseName(name);
                    if (!base.isEmpty() && (wanted == null || wanted.contains(base))) {
                        Location other = found.put(base, new Location(d, name));
                        if (other != null && copies != null) {
                            copies.computeIfAbsent(base, b -> new ArrayList<>(1)).add(other);
                        }
                    }
                }
            }
        }
        return found;
    }

    private static void storeCache(Path maildir, Map<String, SizeCache.Measure> sizes) {
        try {
            SizeCache.store(maildir, sizes);
        } catch (IOException e) {
            log.warn("could not update the size cache of {}: {}", maildir, e.toString());
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
        return this;
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
        FileChannel ch = openFile(message);
        MessageForm form;
        if (dotLines != null && ch.size() == message.size()) {
            form = dotLines ? MessageForm.DOTTED : MessageForm.WIRE;
        } else {
            // Not known canonical, or not the file that was measured: the converting path sends what it holds.
            form = MessageForm.RAW;
        }
        return new FileBody(ch, form, message.size());
    }

    /** A message file opened for one RETR or TOP: handed out once, as a channel or as a stream. */
    private static final class FileBody implements MessageBody {
        private final FileChannel channel;
        private final MessageForm form;
        private final long size;

        FileBody(FileChannel channel, MessageForm form, long size) {
            this.channel = channel;
            this.form = form;
            this.size = size;
        }

        @Override
        public MessageForm form() {
            return form;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public InputStream open() {
            return Channels.newInputStream(channel);
        }

        @Override
        public Optional<FileChannel> openChannel() {
            return form.canonical() ? Optional.of(channel) : Optional.empty();
        }
    }

    @Override
    public void commit(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved,
            java.time.Instant now) throws LeaseLostException, StorageException {
        ensureOpen();
        if (!deletions.isEmpty()) {
            lease.verify();
            remove(deletions);
        }
        if (!retrieved.isEmpty()) {
            try {
                recordRetrieved(retrieved, now);
            } catch (StorageException e) {
                // History is best effort: the removals above stand, and EXPIRE counts from a later retrieval.
                log.warn("cannot record retrievals in {}: {}", maildir, e.getMessage());
            }
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
            Location moved = list(dirs, Set.of(id)).get(id);
            if (moved == null) {
                throw gone(id, "other software removed it");
            }
            locations.put(id, moved);
            return open(moved);
        }
    }

    private Location location(String id) {
        Location location = locations.get(id);
        if (location == null) {
            throw new IllegalArgumentException("message " + id + " is not in this maildrop snapshot");
        }
        return location;
    }

    private FileChannel open(Location location) throws IOException {
        Path path = dirs[location.dir()].resolve(location.name());
        // Refuse anything but a regular file first: opening a FIFO planted in the Maildir would block.
        if (!Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
            throw new IOException("message file " + path + " is not a regular file");
        }
        return FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }

    private static NoSuchFileException gone(String id, String why) {
        return new NoSuchFileException(null, null, "message " + id + " is no longer in the maildrop: " + why);
    }

    /** First-retrieval times, {@value #RETRIEVED_FILE}: {@code <base name> SP <epoch seconds>} lines. */
    static final String RETRIEVED_FILE = "postoffice-retrieved";
    private Map<String, Long> retrieved;

    private Map<String, Long> retrieved() {
        if (retrieved == null) {
            retrieved = SizeCache.load(maildir, RETRIEVED_FILE, locations.size());
        }
        return retrieved;
    }

    @Override
    public java.util.Optional<java.time.Instant> firstRetrieved(StoredMessage message) {
        ensureOpen();
        Long seconds = retrieved().get(message.id());
        return seconds == null ? java.util.Optional.empty()
                : java.util.Optional.of(java.time.Instant.ofEpochSecond(seconds));
    }

    @Override
    public void recordRetrieved(Collection<StoredMessage> messages, java.time.Instant when) throws StorageException {
        ensureOpen();
        Map<String, Long> times = retrieved();
        boolean changed = false;
        for (StoredMessage m : messages) {
            location(m.id()); // only messages of this snapshot
            if (!removed.contains(m.id()) && SizeCache.storable(m.id())
                    && times.putIfAbsent(m.id(), when.getEpochSecond()) == null) {
                changed = true;
            }
        }
        // Forget messages that are gone: removed now, or by other software before this session.
        changed |= times.keySet().removeIf(id -> removed.contains(id) || !locations.containsKey(id));
        if (changed) {
            try {
                SizeCache.storeNumbers(maildir, RETRIEVED_FILE, times);
            } catch (IOException e) {
                throw new StorageException("cannot record retrieval times in " + maildir + ": " + e.getMessage(),
                        true, e);
            }
        }
    }

    /** The last login, {@value #LAST_LOGIN_FILE}: one {@code login SP <epoch milliseconds>} line. */
    static final String LAST_LOGIN_FILE = "postoffice-last-login";
    private static final String LOGIN_KEY = "login";

    @Override
    public java.util.Optional<java.time.Instant> lastLogin() {
        ensureOpen();
        Long millis = SizeCache.load(maildir, LAST_LOGIN_FILE, 1).get(LOGIN_KEY);
        return millis == null ? java.util.Optional.empty()
                : java.util.Optional.of(java.time.Instant.ofEpochMilli(millis));
    }

    @Override
    public void recordLogin(java.time.Instant when) throws StorageException {
        ensureOpen();
        try {
            SizeCache.storeNumbers(maildir, LAST_LOGIN_FILE, Map.of(LOGIN_KEY, when.toEpochMilli()));
        } catch (IOException e) {
            throw new StorageException("cannot record the login time in " + maildir + ": " + e.getMessage(), true, e);
        }
    }

    private void remove(Collection<StoredMessage> toRemove) throws StorageException {
        ensureOpen();
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
        boolean[] touched = new boolean[dirs.length];
        Set<String> vanished = new HashSet<>();
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, Location> t : targets.entrySet()) {
            unlink(t.getKey(), t.getValue(), touched, vanished, failed);
        }
        if (!vanished.isEmpty()) {
            Map<String, Location> moved = null;
            try {
                moved = list(dirs, vanished);
            } catch (IOException e) {
                log.warn("cannot list the maildir {}: {}", maildir, e.toString());
            }
            for (String id : vanished) {
                if (moved == null) {
                    failed.add(id); // cannot tell whether it is gone
                } else if (moved.containsKey(id)) {
                    locations.put(id, moved.get(id)); // renamed by other software
                    unlink(id, moved.get(id), touched, null, failed);
                } else {
                    removed.add(id); // already gone counts as removed
                }
            }
        }

        for (String id : targets.keySet()) {
            List<Location> extra = copies.get(id);
            if (extra != null && removed.contains(id)) {
                removeCopies(id, extra, touched, failed);
            }
        }

        IOException syncFailure = null;
        for (int d = 0; d < dirs.length; d++) {
            if (touched[d]) {
                try {
                    FileOps.fsyncDirectory(dirs[d]);
                } catch (IOException e) {
                    syncFailure = e;
                }
            }
        }
        if (cachedSizes.keySet().removeAll(removed)) {
            storeCache(maildir, cachedSizes);
        }
        if (!failed.isEmpty()) {
            String ids = String.join(" ", failed.subList(0, Math.min(failed.size(), 5)));
            throw new StorageException(failed.size() + " of " + targets.size() + " messages could not be removed: "
                    + ids + (failed.size() > 5 ? " ..." : ""), true);
        }
        if (syncFailure != null) {
            throw new StorageException("messages removed but the maildir could not be synced", true, syncFailure);
        }
    }

    /**
     * Unlinks the other files of a removed message, so that it does not come back in the next session; a copy
     * that cannot be removed makes the removal of the message fail.
     */
    private void removeCopies(String id, List<Location> extra, boolean[] touched, List<String> failed) {
        for (Location copy : extra) {
            Path path = dirs[copy.dir()].resolve(copy.name());
            try {
                if (Files.deleteIfExists(path)) {
                    touched[copy.dir()] = true;
                }
            } catch (IOException e) {
                log.warn("cannot remove {}, a second copy of message {}: {}", path, id, e.toString());
                failed.add(id);
            }
        }
    }

    /**
     * Unlinks one message file. Success, or a missing file when {@code vanished} is null, marks the
     * message removed; a missing file is noted in {@code vanished} when given; a failure goes to
     * {@code failed}.
     */
    private void unlink(String id, Location location, boolean[] touched, Set<String> vanished, List<String> failed) {
        Path path = dirs[location.dir()].resolve(location.name());
        try {
            Files.delete(path);
            touched[location.dir()] = true;
            removed.add(id);
        } catch (NoSuchFileException e) {
            if (vanished != null) {
                vanished.add(id);
            } else {
                removed.add(id);
            }
        } catch (IOException e) {
            log.warn("could not remove message file {}: {}", path, e.toString());
            failed.add(id);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("maildrop " + maildir + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lease.close();
        } catch (RuntimeException e) {
            log.warn("error releasing the lock of {}: {}", maildir, e.toString());
        }
    }
}
