package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lock file taken by a store: a hard link to one of its templates, or a separate file with a token of its
 * own. Knows how to tell whether the file at its path is still itself (same inode as the template, or its
 * token), so that it is never deleted or refreshed once another session holds it, and the lease fails.
 */
public final class HeldLock {
    private static final Logger log = LoggerFactory.getLogger(HeldLock.class);

    private final Locks locks;
    final Path file;
    /** The per-lock token of a separate file; null for a linked lock. */
    final String token;
    /** The template a linked lock is a hard link of; null for a separate file. */
    final Template template;
    /** The spare a separate file was renamed from (a full file system), which it returns to; else null. */
    final Spares.Spare spare;
    /** Taken and not yet released: refreshed by the refresher. */
    volatile boolean active;
    /** The file was found not to be this lock's any longer (vanished or replaced): never again. */
    private volatile boolean lost;
    private boolean released;

    HeldLock(Locks locks, Path file, String token, Template template) {
        this(locks, file, token, template, null);
    }

    HeldLock(Locks locks, Path file, String token, Template template, Spares.Spare spare) {
        this.locks = locks;
        this.file = file;
        this.token = token;
        this.template = template;
        this.spare = spare;
    }

    /** Whether this lock is a link to a template (false: a separate file). */
    public boolean linked() {
        return template != null;
    }

    /**
     * Deletes the lock file if it is still ours; idempotent, never throws. A file that is no longer ours
     * (another process broke this lock, which happens only if it judged it stale) is left alone. Between the
     * check and the delete nobody replaces a lock of a live holder, so the delete removes our file.
     *
     * <p>A linked lock is ours if it is still a link to our template: same file key, one stat and no read.
     * Since the store keeps the template open, no other file can have that device and inode meanwhile; when
     * the template is gone or has not been refreshed lately, the owner line is read and checked too (see
     * {@link Template#trusted()}).
     */
    public synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        active = false;
        try {
            if (template != null) {
                BasicFileAttributes attrs = LockFiles.stat(file);
                if (attrs != null && template.key.equals(attrs.fileKey())
                        && (template.trusted() || template.isIn(file))) {
                    Files.deleteIfExists(file);
                } else if (attrs == null) {
                    log.warn("the lock file {} vanished while the maildrop was open", file);
                } else {
                    notOurs(attrs.isRegularFile() ? LockFiles.read(file) : null);
                }
            } else {
                LockFiles.Contents c = LockFiles.read(file);
                if (c != null && c.owner() != null && token.equals(c.owner().token())) {
                    if (spare != null) {
                        locks.spares().release(this);
                    } else {
                        Files.delete(file);
                    }
                } else if (c == null) {
                    log.warn("the lock file {} vanished while the maildrop was open", file);
                } else {
                    notOurs(c);
                }
            }
        } catch (IOException e) {
            log.warn("cannot remove the lock file {}: {}", file, e.toString());
        } finally {
            locks.deregister(this);
        }
    }

    /**
     * Whether the lock file is still this lock's (not vanished, not broken as stale and taken by another
     * session), checked the way {@link #release()} checks it; false at once if that was found before.
     */
    public synchronized boolean stillOurs() {
        if (released || lost) {
            return false;
        }
        try {
            if (!isOurs()) {
                lost = true;
            }
        } catch (IOException e) {
            return false; // cannot tell now; perhaps later
        }
        return !lost;
    }

    private boolean isOurs() throws IOException {
        if (template != null) {
            return template.linkedAs(file);
        }
        LockFiles.Contents c = LockFiles.read(file);
        return c != null && c.owner() != null && token.equals(c.owner().token());
    }

    /**
     * Run by the refresher: checks that the file is still this lock's, marking it lost if not, and sets its
     * mtime unless the refresher just did through the template.
     */
    synchronized void refresh(FileTime now, boolean templateTouched) {
        if (released || lost || !active) {
            return;
        }
        try {
            if (!isOurs()) {
                lost = true;
                log.warn("the lock file {} {} while the maildrop is open; the session can remove nothing", file,
                        Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? "was replaced" : "vanished");
                return;
            }
        } catch (IOException e) {
            log.warn("cannot check the lock file {}: {}", file, e.toString());
            return;
        }
        if (!templateTouched) {
            touch(now);
        }
    }

    /** Sets the lock file's mtime, so that processes on other hosts see it is alive. */
    private void touch(FileTime now) {
        try {
            LockFiles.touch(file, now);
        } catch (NoSuchFileException e) {
            lost = true;
            log.warn("the lock file {} vanished while the maildrop is open", file);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot refresh the lock file {}: {}", file, e.toString());
        }
    }

    private void notOurs(LockFiles.Contents c) {
        log.warn("the lock file {} is no longer ours ({}); left alone", file,
                c != null && c.owner() != null ? c.owner().describe() : "unreadable");
    }
}
