package dev.postoffice.storage.maildir;

import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The listings kept between sessions, by Maildir (its real path), so that a login to an unchanged maildrop costs
 * two {@code stat} calls instead of listing both directories and reading the size cache. Owned by one
 * {@link MaildirStore}; thread-safe. A listing is used again only while {@code new/} and {@code cur/} keep their
 * identity and mtime, which any delivery, removal or rename changes, so instances sharing data stay correct.
 */
final class SnapshotCache {
    /**
     * How old the newest change to {@code new/} and {@code cur/} must be, when they are listed, for the listing to
     * be kept: a file added within the same tick of the directory's mtime as an earlier change would not change
     * it again, so only listings taken well after the last change are trusted.
     */
    static final long SETTLED_MILLIS = 2_000;
    /** At most this many messages are kept across all Maildirs (a few hundred octets each). */
    static final int MAX_CACHED_MESSAGES = 200_000;

    /** The identity and mtime of {@code new/} and {@code cur/}: what any delivery, removal or rename changes. */
    record DirState(Object newKey, long newMtime, Object curKey, long curMtime) {
        static DirState of(MaildirDirs dirs) throws IOException {
            // As entries of the Maildir (fstatat), confirmed to be the approved directories: a login to an
            // unchanged maildrop opens neither.
            BasicFileAttributes[] found = dirs.confirm();
            BasicFileAttributes n = found[MaildirDirs.NEW];
            BasicFileAttributes c = found[MaildirDirs.CUR];
            return new DirState(n.fileKey(), n.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                    c.fileKey(), c.lastModifiedTime().to(TimeUnit.NANOSECONDS));
        }

        long newestMillis() {
            return TimeUnit.NANOSECONDS.toMillis(Math.max(newMtime, curMtime));
        }
    }

    /** A Maildir's messages as listed and measured when its directories were in {@code state}. Immutable. */
    record Snapshot(DirState state, List<StoredMessage> messages, Map<String, Location> locations,
            Map<String, List<Location>> copies, Map<String, SizeCache.Measure> sizes, Map<String, Boolean> canonical) {}

    private final Map<Path, Snapshot> snapshots = new ConcurrentHashMap<>();
    private final AtomicLong cachedMessages = new AtomicLong();

    /** The kept listing of a Maildir if its directories are still in {@code state}; null otherwise. */
    Snapshot lookUp(Path maildir, DirState state) {
        Snapshot known = snapshots.get(maildir);
        return known != null && known.state().equals(state) ? known : null;
    }

    /**
     * Keeps a listing taken at {@code listedAt} (epoch milliseconds), unless the directories changed too recently
     * before it to trust their mtimes.
     */
    void remember(Path maildir, long listedAt, Snapshot snapshot) {
        long newest = snapshot.state().newestMillis();
        if (newest > listedAt - SETTLED_MILLIS || newest > System.currentTimeMillis()) {
            snapshots.remove(maildir); // changed too recently to trust the mtimes (or a clock in the past)
            return;
        }
        if (cachedMessages.addAndGet(snapshot.messages().size()) > MAX_CACHED_MESSAGES) {
            // Over the bound: start afresh rather than track ages; the busiest maildrops come back first.
            snapshots.clear();
            cachedMessages.set(snapshot.messages().size());
        }
        Snapshot old = snapshots.put(maildir, snapshot);
        if (old != null) {
            cachedMessages.addAndGet(-old.messages().size());
        }
    }

    /** Forgets every listing (a store that knows its files were changed behind its back). */
    void clear() {
        snapshots.clear();
        cachedMessages.set(0);
    }
}
