package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what {@link Locks#judge} finds stale: a lock file, under the {@code <lock>.break} guard so that two
 * logins never both break it, and the templates left by other processes.
 */
final class StaleLocks {
    private static final Logger log = LoggerFactory.getLogger(StaleLocks.class);

    private final Locks locks;

    StaleLocks(Locks locks) {
        this.locks = locks;
    }

    /**
     * Removes a stale lock file, unless a concurrent process is doing it or it has been re-taken.
     *
     * <p>Deleting the stale file right away is not safe: two processes A and B both judge it stale, A
     * deletes it and creates its own lock, then B deletes A's fresh lock and creates another, and both
     * believe they hold the maildrop. Renaming the stale file away first only narrows this: B's rename
     * may catch A's fresh file, which B must then put back while a third process can create one. So the
     * breaking itself is guarded by a second dot-lock, {@code <lock>.break}, created with {@code O_EXCL}:
     * only its holder may delete the lock file, and it judges the file again after taking the guard. Between
     * that judgement and the delete no one else can replace the file: a breaker would need the guard, and
     * the only other one who deletes a lock file is its holder, which was just found dead (or silent for
     * ten minutes on another host). A process that finds the guard taken reports the maildrop busy: the
     * breaker is about to take it. The breaker then tries to create the lock once; another process that
     * arrives between the delete and that create wins fairly.
     *
     * <p>A guard lives for a few system calls, so one older than {@link Staleness#UNREADABLE_GRACE} was left
     * by a breaker that died; it is deleted and this attempt reports busy (the next login proceeds). Two
     * processes deleting such a leftover at the same moment could remove each other's fresh guard; that
     * needs a crash in the middle of breaking and then a race within milliseconds, and is accepted.
     *
     * @return true if the lock file is gone now (the caller may try to create it once more)
     */
    boolean breakStale(Path file) throws IOException {
        Path guard = file.resolveSibling(file.getFileName() + Locks.BREAK_SUFFIX);
        if (!LockFiles.create(guard, Owner.of(locks.self(), locks.newToken(), Instant.now()).line())) {
            removeLeftoverGuard(guard);
            return false;
        }
        try {
            return breakIfStale(file);
        } finally {
            LockFiles.deleteQuietly(guard, null);
        }
    }

    /** Deletes the lock file if it is stale; run under a guard. True if it is gone now. */
    boolean breakIfStale(Path file) throws IOException {
        Locks.Judgement j = locks.judge(file);
        if (j.verdict() == Staleness.Verdict.STALE) {
            Files.deleteIfExists(file);
            log.info("removed the stale lock {} ({})", file, j.owner() != null ? j.owner().describe()
                    : "unreadable and older than " + Staleness.UNREADABLE_GRACE);
        }
        return j.verdict() != Staleness.Verdict.HELD;
    }

    private static void removeLeftoverGuard(Path guard) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(guard, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isRegularFile() && Duration.between(attrs.lastModifiedTime().toInstant(), Instant.now())
                    .compareTo(Staleness.UNREADABLE_GRACE) > 0) {
                Files.deleteIfExists(guard);
                log.warn("removed the leftover lock-breaking guard {}", guard);
            }
        } catch (IOException e) {
            // gone meanwhile, or unreadable: the maildrop counts as busy this time
        }
        if (Files.exists(guard, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(guard, LinkOption.NOFOLLOW_LINKS)) {
            log.warn("{} is in the way of breaking a stale lock and is not a regular file", guard);
        }
    }

    /**
     * Deletes the templates of other processes in a directory that are stale by the rules for lock files:
     * of this host and a process that is gone, of another host and not refreshed for
     * {@link Staleness#FOREIGN_STALE_AFTER}, or unreadable and older than {@link Staleness#UNREADABLE_GRACE}.
     * Those of other stores of this process are held. Locks linked to such a template keep their owner line
     * (the inode lives on while linked) and are judged by it as before.
     */
    void removeStaleTemplates(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().startsWith(Template.PREFIX)
                        || p.getFileName().toString().startsWith(Spares.PREFIX))) {
            for (Path p : entries) {
                try {
                    LockFiles.Contents c = LockFiles.read(p);
                    if (c == null || locks.isOurs(c)) {
                        continue;
                    }
                    Locks.Judgement j = locks.judge(p);
                    if (j.verdict() == Staleness.Verdict.STALE) {
                        Files.deleteIfExists(p);
                        log.info("removed the stale lock template {} ({})", p,
                                j.owner() != null ? j.owner().describe() : "unreadable");
                    }
                } catch (IOException e) {
                    // not a regular file, or unreadable: not ours to remove
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            log.warn("cannot look for stale lock templates in {}: {}", dir, e.toString());
        }
    }
}
