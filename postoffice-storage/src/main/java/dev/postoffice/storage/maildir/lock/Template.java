package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A template, {@code <dir>/.postoffice-lock-<host>-<pid>-<token>}: the owner line of a store, written once, which
 * its linked locks are hard links of. Kept open so that its inode (and file key) stays its own while locks
 * may link it; one {@code utimes} of it refreshes all of them.
 */
final class Template {
    /** Name prefix of the templates. */
    static final String PREFIX = ".postoffice-lock-";

    private static final Logger log = LoggerFactory.getLogger(Template.class);

    final Path dir;
    final Path path;
    final Owner owner;
    final Object key;
    final long dev;
    /** Kept open so that the inode (and with it the file key) stays this file's while locks may link it. */
    private final FileChannel pin;
    /** Locks of the store linked to it, or being linked. */
    final AtomicInteger links = new AtomicInteger();
    /** Its name is gone (deleted by someone, or at shutdown); a new template replaces it. */
    volatile boolean gone;
    /** When its mtime was last set (epoch millis). */
    private volatile long touchedAt;

    private Template(Path dir, Path path, Owner owner, Object key, long dev, FileChannel pin) {
        this.dir = dir;
        this.path = path;
        this.owner = owner;
        this.key = key;
        this.dev = dev;
        this.pin = pin;
        this.touchedAt = System.currentTimeMillis();
    }

    /** Creates the template of that owner line (with {@code O_EXCL}, mode 0600) in a directory. */
    static Template create(Path dir, Owner owner) throws IOException {
        Path path = dir.resolve(PREFIX + owner.host() + "-" + owner.pid() + "-" + owner.token());
        FileChannel ch = LockFiles.open(path);
        try {
            LockFiles.writeLine(ch, owner.line());
            BasicFileAttributes attrs = LockFiles.stat(path);
            Object key = attrs == null ? null : attrs.fileKey();
            if (key == null) {
                throw new IOException("the file system has no file keys");
            }
            return new Template(dir, path, owner, key, LockFiles.device(path), ch);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            LockFiles.deleteQuietly(path, e);
            throw e;
        }
    }

    /**
     * Sets the mtime now if the refresher has not for two periods, so that a new link never shows an old
     * mtime even if the refresher lags.
     */
    void keepFresh() {
        long now = System.currentTimeMillis();
        if (now - touchedAt > 2 * Refresher.EVERY.toMillis()) {
            touch(FileTime.fromMillis(now));
        }
    }

    /** Sets the mtime, and so that of every lock linked to it; false if that failed. */
    boolean touch(FileTime now) {
        try {
            LockFiles.touch(path, now);
            touchedAt = now.toMillis();
            return true;
        } catch (NoSuchFileException e) {
            gone = true;
            log.warn("the lock template {} vanished; its locks are refreshed one by one", path);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot refresh the lock template {}: {}", path, e.toString());
        }
        return false;
    }

    /**
     * Whether a file with its key is surely a link to it: it is there and was refreshed recently. Over NFS an
     * open file does not keep an inode that another client deletes with all its names, which only happens
     * to a template not refreshed for {@link Staleness#FOREIGN_STALE_AFTER}.
     */
    boolean trusted() {
        return !gone && System.currentTimeMillis() - touchedAt < Staleness.FOREIGN_STALE_AFTER.toMillis() / 2;
    }

    /** Whether a file holds this template's owner line. */
    boolean isIn(Path file) throws IOException {
        LockFiles.Contents c = LockFiles.read(file);
        Owner o = c == null ? null : c.owner();
        return o != null && o.token().equals(owner.token()) && o.pid() == owner.pid() && o.host().equals(owner.host());
    }

    /** Whether a file is a link to it: the same file key, and the owner line too unless {@link #trusted()}. */
    boolean linkedAs(Path file) throws IOException {
        BasicFileAttributes attrs = LockFiles.stat(file);
        return attrs != null && key.equals(attrs.fileKey()) && (trusted() || isIn(file));
    }

    void unpin() {
        try {
            pin.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
