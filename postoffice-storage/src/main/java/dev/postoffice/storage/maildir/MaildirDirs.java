package dev.postoffice.storage.maildir;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The directories of a Maildir that {@link MaildirGuard#check} approved, used only through handles: the Maildir
 * opened and found to be the approved directory (device and inode), and {@code new/}, {@code cur/}, {@code tmp/}
 * opened relative to it without following a link and compared likewise ({@link SecureDirectoryStream}s). Every
 * listing, open, rename and unlink goes through them, so a directory swapped for a link is never followed. Handles
 * live until {@link #release()}, at the end of each operation, or, after a RETR ({@link #keep()}), until the next
 * operation or {@link #releaseIfIdle()} (the server's watchdog, for a session waiting for its client), so an idle
 * session holds none. Without secure streams
 * (not Linux), paths are used and {@link MaildirGuard#verify} runs before each use. See docs/security.md.
 */
final class MaildirDirs implements Closeable {
    static final int NEW = 0;
    static final int CUR = 1;
    static final int TMP = 2;
    /** The Maildir itself, for its files of ours (size cache, history, UIDL record) and Dovecot's uidlist. */
    static final int ROOT = 3;

    private static final String[] NAMES = {MaildirMaildrop.NEW, MaildirMaildrop.CUR, MaildirMaildrop.TMP};
    private static final Path SELF = Path.of(".");
    private static final Set<OpenOption> READ = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    private static final Set<OpenOption> CREATE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);
    private static final Set<OpenOption> READ_OWN = Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);
    private static final Set<OpenOption> OPEN_OR_CREATE = Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    private final Path maildir;
    /** new, cur, tmp, the Maildir: by path, for messages and the fallback. */
    private final Path[] paths;
    /** The keys {@link MaildirGuard#check} saw, in {@link MaildirGuard}'s order (Maildir, new, cur, tmp). */
    private final Object[] keys;
    /** Whether secure streams are used; false: paths, with a check before each use. */
    private final boolean secure;
    /** The handles held, in {@link #paths}' order; null where none is open. */
    private final SecureDirectoryStream<Path>[] streams;
    /**
     * Held by the thread using the handles, from an operation's first use until {@link #release()} or {@link #keep()},
     * so that {@link #releaseIfIdle()} from another thread never closes a handle in use.
     */
    private final ReentrantLock owner = new ReentrantLock();

    @SuppressWarnings("unchecked")
    private MaildirDirs(Path maildir, Object[] keys, boolean secure) {
        this.maildir = maildir;
        this.paths = new Path[] {maildir.resolve(NAMES[0]), maildir.resolve(NAMES[1]), maildir.resolve(NAMES[2]),
            maildir};
        this.keys = keys;
        this.secure = secure;
        this.streams = new SecureDirectoryStream[4];
    }

    /**
     * Opens a Maildir that {@link MaildirGuard#check} approved, with the keys it returned; the Maildir's handle is
     * held until {@link #release()}.
     *
     * @throws IOException if the Maildir is not the directory checked (replaced meanwhile) or cannot be opened
     */
    static MaildirDirs open(Path maildir, Object[] keys) throws IOException {
        return open(maildir, keys, true);
    }

    /** As {@link #open(Path, Object[])}; {@code secure} false uses paths even where secure streams exist (tests). */
    static MaildirDirs open(Path maildir, Object[] keys, boolean secure) throws IOException {
        if (secure) {
            SecureDirectoryStream<Path> root = openRoot(maildir, keys[0]);
            if (root != null) {
                MaildirDirs dirs = new MaildirDirs(maildir, keys, true);
                dirs.own();
                dirs.streams[ROOT] = root;
                return dirs;
            }
        }
        MaildirGuard.verify(maildir, keys);
        return new MaildirDirs(maildir, keys, false);
    }

    /** The Maildir opened by path and found to be the directory approved; null without secure streams. */
    private static SecureDirectoryStream<Path> openRoot(Path maildir, Object key) throws IOException {
        DirectoryStream<Path> root = Files.newDirectoryStream(maildir);
        if (!(root instanceof SecureDirectoryStream<Path> sroot)) {
            root.close();
            return null;
        }
        // Opened by path, following links: it is the approved directory only if its identity says so (a link
        // planted since the check leads to another directory, with another key).
        same(sroot, key, maildir);
        return sroot;
    }

    /** A held handle, opened (and verified) if none is. */
    private SecureDirectoryStream<Path> stream(int dir) throws IOException {
        own();
        SecureDirectoryStream<Path> s = streams[dir];
        if (s != null) {
            return s;
        }
        if (dir == ROOT) {
            s = openRoot(maildir, keys[0]);
            if (s == null) {
                throw new IOException("no secure directory stream for " + maildir + " any more");
            }
        } else {
            DirectoryStream<Path> d = stream(ROOT).newDirectoryStream(Path.of(NAMES[dir]), LinkOption.NOFOLLOW_LINKS);
            if (!(d instanceof SecureDirectoryStream<Path> sd)) {
                d.close();
                throw new IOException("no secure directory stream for " + paths[dir]);
            }
            s = sd;
            same(s, keys[dir + 1], paths[dir]);
        }
        streams[dir] = s;
        return s;
    }

    private static void same(SecureDirectoryStream<Path> dir, Object key, Path path) throws IOException {
        boolean same;
        try {
            Object opened = dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
            same = key != null && Objects.equals(opened, key);
        } catch (IOException | RuntimeException e) {
            close(dir);
            throw e;
        }
        if (!same) {
            close(dir);
            throw new ReplacedException("the maildir directory " + path + " was replaced after it was checked");
        }
    }

    /**
     * Confirms that {@code new/}, {@code cur/} and {@code tmp/} are still the directories approved (the same device
     * and inode, so no link), as entries of the Maildir's handle ({@link #attributes}: {@code fstatat}, no path
     * walked, nothing opened). Every login does this, so an approval {@link MaildirStore} remembers is never used on
     * a directory swapped since.
     *
     * @return the attributes of {@code new/}, {@code cur/} and {@code tmp/}, indexed by {@link #NEW}, {@link #CUR}
     *         and {@link #TMP}
     * @throws ReplacedException if one of them is not the directory approved
     * @throws IOException        if one is gone or cannot be read
     */
    BasicFileAttributes[] confirm() throws IOException {
        BasicFileAttributes[] found = new BasicFileAttributes[3];
        for (int dir = NEW; dir <= TMP; dir++) {
            try {
                found[dir] = attributes(ROOT, NAMES[dir]);
            } catch (NoSuchFileException e) {
                throw new IOException("the maildir directory " + paths[dir] + " was removed", e); // temporary
            }
            if (!found[dir].isDirectory() || !Objects.equals(found[dir].fileKey(), keys[dir + 1])) {
                throw new ReplacedException("the maildir directory " + paths[dir] + " was replaced after it was"
                        + " checked");
            }
        }
        return found;
    }

    /** A directory is not the one {@link MaildirGuard#check} approved: someone replaced it meanwhile. */
    static final class ReplacedException extends IOException {
        ReplacedException(String message) {
            super(message);
        }
    }

    /** Whether the directories are used through secure streams (false: by path, with a check before each use). */
    boolean secure() {
        return secure;
    }

    Path maildir() {
        return maildir;
    }

    /** A file's path, for messages only. */
    Path path(int dir, String name) {
        return paths[dir].resolve(name);
    }

    /** The names in a directory, in no particular order. */
    List<String> names(int dir) throws IOException {
        List<String> names = new ArrayList<>();
        // A fresh handle of the held directory (its own read position), opened relative to it.
        try (DirectoryStream<Path> ds = secure
                ? stream(dir).newDirectoryStream(SELF, LinkOption.NOFOLLOW_LINKS)
                : open(paths[dir])) {
            for (Path p : ds) {
                names.add(p.getFileName().toString());
            }
        }
        return names;
    }

    private DirectoryStream<Path> open(Path dir) throws IOException {
        MaildirGuard.verify(maildir, keys);
        return Files.newDirectoryStream(dir);
    }

    /** A file's attributes, not following a link. */
    BasicFileAttributes attributes(int dir, String name) throws IOException {
        if (secure) {
            return stream(dir).getFileAttributeView(Path.of(name), BasicFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).readAttributes();
        }
        MaildirGuard.verify(maildir, keys);
        return Files.readAttributes(path(dir, name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    /** A directory's own attributes (of the held directory, when secure). */
    BasicFileAttributes attributes(int dir) throws IOException {
        if (secure) {
            return stream(dir).getFileAttributeView(BasicFileAttributeView.class).readAttributes();
        }
        return Files.readAttributes(paths[dir], BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    /** Opens a file for reading, not following a link. */
    FileChannel read(int dir, String name) throws IOException {
        return channel(dir, name, READ);
    }

    /** Creates a new file for writing (mode 0600), failing if the name is taken, also by a link. */
    FileChannel create(int dir, String name) throws IOException {
        return channel(dir, name, CREATE, FileOps.privateFile(paths[dir]));
    }

    /**
     * Opens one of our own files of the Maildir (size cache, history, UIDL record: written by us, mode 0600) for
     * reading, never waiting and not following a link: opened for reading and writing, so that a FIFO renamed over
     * it after the caller's check opens at once instead of waiting for a writer (read it up to its size only, a
     * FIFO's being 0: {@link Lines#upTo}). Nothing is written through it.
     */
    FileChannel readOwn(int dir, String name) throws IOException {
        try {
            return channel(dir, name, READ_OWN);
        } catch (FileSystemException e) {
            // Ours but not writable now (restored read-only, a read-only mount): read-only, once it is found a
            // regular file again; only here could a FIFO swapped in since still make the open wait.
            if (FileOps.notWritable(e) && attributes(dir, name).isRegularFile()) {
                return read(dir, name);
            }
            throw e;
        }
    }

    /** Opens a file for reading and writing, creating it (mode 0600) if missing, not following a link. */
    FileChannel openOrCreate(int dir, String name) throws IOException {
        return channel(dir, name, OPEN_OR_CREATE, FileOps.privateFile(paths[dir]));
    }

    private FileChannel channel(int dir, String name, Set<OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        if (secure) {
            return fileChannel(stream(dir).newByteChannel(Path.of(name), options, attrs));
        }
        MaildirGuard.verify(maildir, keys);
        return FileChannel.open(path(dir, name), options, attrs);
    }

    private static FileChannel fileChannel(SeekableByteChannel ch) throws IOException {
        if (ch instanceof FileChannel f) {
            return f; // always on Linux; sendfile needs it
        }
        ch.close();
        throw new IOException("the platform's secure directory stream gives no file channel");
    }

    /** Renames a file, replacing the target: atomic, within the file system. */
    void move(int fromDir, String from, int toDir, String to) throws IOException {
        if (secure) {
            stream(fromDir).move(Path.of(from), stream(toDir), Path.of(to));
            return;
        }
        MaildirGuard.verify(maildir, keys);
        Files.move(path(fromDir, from), path(toDir, to), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Unlinks a file (a link itself, never its target). */
    void delete(int dir, String name) throws IOException {
        if (secure) {
            stream(dir).deleteFile(Path.of(name));
            return;
        }
        MaildirGuard.verify(maildir, keys);
        Files.delete(path(dir, name));
    }

    /** Unlinks a file if it is there; whether it was. */
    boolean deleteIfExists(int dir, String name) throws IOException {
        try {
            delete(dir, name);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** Deletes a file if it exists, ignoring failure; for cleaning up after another error. */
    void deleteQuietly(int dir, String name, Throwable pending) {
        try {
            deleteIfExists(dir, name);
        } catch (IOException e) {
            if (pending != null) {
                pending.addSuppressed(e);
            }
        }
    }

    /** Makes a directory's entries (new names, renames, unlinks) durable. */
    void fsync(int dir) throws IOException {
        if (!secure) {
            FileOps.fsyncDirectory(paths[dir]);
            return;
        }
        try (FileChannel ch = fileChannel(stream(dir).newByteChannel(SELF, EnumSet.of(StandardOpenOption.READ)))) {
            ch.force(true);
        }
    }

    private void own() {
        if (!owner.isHeldByCurrentThread()) {
            owner.lock();
        }
    }

    /** Closes the handles held, ending an operation; the next use opens (and verifies) them again. */
    void release() {
        own();
        try {
            closeAll();
        } finally {
            owner.unlock();
        }
    }

    /**
     * Ends an operation but keeps the handles for the next, which a RETR that follows another then saves opening
     * and verifying (about ten system calls); {@link #releaseIfIdle()} or the next {@link #release()} closes them.
     */
    void keep() {
        if (owner.isHeldByCurrentThread()) {
            owner.unlock();
        }
    }

    /** Closes the handles unless an operation is using them (then false); any thread may call this. */
    boolean releaseIfIdle() {
        if (!owner.tryLock()) {
            return false;
        }
        try {
            closeAll();
            return true;
        } finally {
            owner.unlock();
        }
    }

    /** Whether any handle is held (tests). */
    boolean holding() {
        for (SecureDirectoryStream<Path> s : streams) {
            if (s != null) {
                return true;
            }
        }
        return false;
    }

    private void closeAll() {
        for (int i = 0; i < streams.length; i++) {
            if (streams[i] != null) {
                close(streams[i]);
                streams[i] = null;
            }
        }
    }

    /** Same as {@link #release()}. */
    @Override
    public void close() {
        release();
    }

    private static void close(DirectoryStream<?> stream) {
        try {
            stream.close();
        } catch (IOException e) {
            // closing a directory handle does not fail in a way that matters
        }
    }
}
