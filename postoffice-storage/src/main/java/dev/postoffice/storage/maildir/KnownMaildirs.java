package dev.postoffice.storage.maildir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a {@link MaildirStore} remembers about each Maildir between logins, so that a login repeats no work that
 * still holds: the {@link MaildirGuard} approval (the directories' keys; at most a minute old, and used only while
 * the login confirms the same directories) and the real path (used only while it still leads to the directory
 * opened). Bounded: past {@value #MAX_ENTRIES} Maildirs a map starts afresh. Thread-safe. See docs/security.md.
 */
final class KnownMaildirs {
    static final int MAX_ENTRIES = 100_000;
    /**
     * How long an approval is used without checking the owners again: the directories' identities are confirmed at
     * every login, so this bounds only how late a change by root (another owner for a home) applies.
     */
    static final Duration APPROVAL_TTL = Duration.ofMinutes(1);

    /** The keys {@link MaildirGuard#check} returned for a Maildir, and when ({@link System#nanoTime()}). */
    record Approval(Object[] keys, long checkedAt) {}

    private final Map<Path, Approval> approvals = new ConcurrentHashMap<>();
    private final Map<Path, Path> realPaths = new ConcurrentHashMap<>();
    private volatile long approvalTtlNanos = APPROVAL_TTL.toNanos();

    /** How long an approval is used (tests: zero checks at every login). */
    void approvalTtl(Duration ttl) {
        approvalTtlNanos = ttl.toNanos();
    }

    /** The Maildir's approval if one younger than the time to live is remembered; null otherwise. */
    Approval approval(Path maildir) {
        Approval known = approvals.get(maildir);
        return known != null && System.nanoTime() - known.checkedAt() < approvalTtlNanos ? known : null;
    }

    /** Remembers the keys of a full check that started at {@code checkedAt} ({@link System#nanoTime()}). */
    void approved(Path maildir, Object[] keys, long checkedAt) {
        if (approvals.size() >= MAX_ENTRIES) {
            approvals.clear(); // a bound, not a policy: one full check per Maildir again afterwards
        }
        approvals.put(maildir, new Approval(keys, checkedAt));
    }

    /** Forgets an approval that did not hold (a directory replaced, removed or unreadable). */
    void forget(Path maildir, Approval approval) {
        approvals.remove(maildir, approval);
    }

    /**
     * The Maildir's real path, which names its lock file and its listing kept between sessions: only if it still
     * leads to the directory opened, whose key is {@code rootKey} (the lock file is used by path, see
     * docs/security.md). The path found is remembered, so a login resolves no links while it still leads there:
     * any path to the directory names the same lock file, since the lock lives in the directory itself.
     */
    Path realPath(Path maildir, Object rootKey) throws IOException {
        Path known = realPaths.get(maildir);
        if (known != null && leadsTo(known, rootKey)) {
            return known;
        }
        Path real = maildir.toRealPath();
        if (!leadsTo(real, rootKey)) {
            realPaths.remove(maildir);
            throw new IOException("the maildir " + maildir + " was replaced while it was opened");
        }
        if (realPaths.size() >= MAX_ENTRIES) {
            realPaths.clear(); // a bound, not a policy: one resolution per Maildir again afterwards
        }
        realPaths.put(maildir, real);
        return real;
    }

    private static boolean leadsTo(Path path, Object key) {
        try {
            Object found = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return key != null && key.equals(found);
        } catch (IOException e) {
            return false;
        }
    }
}
