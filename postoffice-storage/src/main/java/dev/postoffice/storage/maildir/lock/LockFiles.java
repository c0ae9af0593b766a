package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** The system calls on lock files, templates and break guards: create with {@code O_EXCL}, read, touch, stat. */
final class LockFiles {
    private static final int MAX_BYTES = 1024;
    private static final Set<OpenOption> CREATE_OPTIONS =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    private static final FileAttribute<?> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private LockFiles() {}

    /** A lock file's mtime, file key and owner line (null if the file does not hold a valid one). */
    record Contents(FileTime mtime, Object key, Owner owner) {}

    /**
     * Creates a file with {@code O_EXCL} (mode 0600) and writes the owner line.
     *
     * @return false if a file (or anything else) of that name exists
     */
    static boolean create(Path file, String line) throws IOException {
        FileChannel ch;
        try {
            ch = open(file);
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        // Not fsynced: after a crash of the machine the holder's pid is gone (or reused, with another start
        // time; on Linux the boot id differs too), and an empty or half-written file is stale after
        // UNREADABLE_GRACE.
        try (ch) {
            writeLine(ch, line);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(file, e);
            throw e;
        }
        return true;
    }

    /** Creates a file with {@code O_EXCL} (mode 0600) and opens it for writing. */
    static FileChannel open(Path file) throws IOException {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? FileChannel.open(file, CREATE_OPTIONS, PRIVATE_FILE)
                : FileChannel.open(file, CREATE_OPTIONS);
    }

    static void writeLine(FileChannel ch, String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Reads a lock file; null if there is none.
     *
     * @throws IOException if it cannot be read or is not a regular file (a FIFO would block the read)
     */
    static Contents read(Path file) throws IOException {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile()) {
                throw new IOException(file + " is in the way of the lock and is not a regular file");
            }
            Owner owner = attrs.size() <= MAX_BYTES ? owner(file) : null;
            return new Contents(attrs.lastModifiedTime(), attrs.fileKey(), owner);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * The owner line of the file at {@code file}, or null if it holds none (or more than {@value #MAX_BYTES}
     * octets). Never waits, whatever was swapped in after the caller's check: the file is opened for reading and
     * writing, so a FIFO opens at once where a read-only open waits for a writer (a mail user can rename one over
     * the lock in their Maildir; the store's refresher, which checks every lock on the server's shared scheduler,
     * would wait with it, and every timeout with it), and no more is read than the opened file's size (a FIFO's
     * is 0). Nothing is written.
     */
    static Owner owner(Path file) throws IOException {
        FileChannel opened;
        try {
            opened = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.FileSystemException e) {
            if (!(e instanceof AccessDeniedException) && !"Read-only file system".equals(e.getReason())) {
                throw e;
            }
            // Readable but not writable here (another process's lock, a read-only mount): read-only, once it is
            // found a regular file again; only here could a FIFO swapped in since still make the open wait.
            if (!Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                throw new IOException(file + " is in the way of the lock and is not a regular file");
            }
            opened = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        }
        try (FileChannel ch = opened) {
            long size = ch.size();
            if (size > MAX_BYTES) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // fill
            }
            return Owner.parse(new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1));
        }
    }

    /** The attributes of a file itself (not of a link's target); null if there is none. */
    static BasicFileAttributes stat(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Sets a file's mtime. */
    static void touch(Path file, FileTime now) throws IOException {
        Files.getFileAttributeView(file, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(now, null, null);
    }

    /** The file key of a file or directory (following links), or null if unknown. */
    static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The device a file (or the directory a link points to) is on, or -1 if unknown. */
    static long device(Path p) {
        try {
            return Files.getAttribute(p, "unix:dev") instanceof Long dev ? dev : -1;
        } catch (IOException | RuntimeException e) {
            return -1; // not a Unix file system provider
        }
    }

    /** Whether an error says the file system has no room: no block or inode left (ENOSPC), or over quota. */
    static boolean noRoom(Exception e) {
        String m = e instanceof java.nio.file.FileSystemException f ? f.getReason() : e.getMessage();
        return m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"));
    }

    /** Deletes a file if it exists, ignoring failure; for cleaning up after another error. */
    static void deleteQuietly(Path file, Throwable pending) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            if (pending != null) {
                pending.addSuppressed(e);
            }
        }
    }
}
