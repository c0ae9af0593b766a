package dev.postoffice.storage.maildir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/** Small file-system helpers shared by the Maildir classes. */
final class FileOps {
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];
    private static final FileAttribute<?>[] PRIVATE_FILE = {
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
    };
    private static final FileAttribute<?>[] PRIVATE_DIR = {
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))
    };

    private FileOps() {}

    /** Attributes for a new file readable only by its owner (mode 0600) where the file system has modes. */
    static FileAttribute<?>[] privateFile(Path path) {
        return posix(path) ? PRIVATE_FILE : NONE;
    }

    private static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Creates a directory with mode 0700 unless a directory (or a link to one) is already there.
     *
     * @param parents whether missing parent directories are created too (also with mode 0700)
     * @throws IOException if the directory cannot be created or the name is taken by something else
     */
    static void ensureDirectory(Path dir, boolean parents) throws IOException {
        if (Files.isDirectory(dir)) {
            return; // the common case, without the exception createDirectory would throw
        }
        FileAttribute<?>[] attrs = posix(dir) ? PRIVATE_DIR : NONE;
        try {
            if (parents) {
                Files.createDirectories(dir, attrs);
            } else {
                Files.createDirectory(dir, attrs);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }

    /** Makes a directory's entries (new names, renames, unlinks) durable. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Whether an open failed because the file may not be written (permissions, a read-only file system). */
    static boolean notWritable(java.nio.file.FileSystemException e) {
        return e instanceof java.nio.file.AccessDeniedException || "Read-only file system".equals(e.getReason());
    }
}
