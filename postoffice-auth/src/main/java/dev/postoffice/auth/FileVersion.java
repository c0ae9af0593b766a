package dev.postoffice.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Map;

/**
 * One version of a small file that is re-read when it changes: its identity, size, modification and status-change
 * times (the latter cannot be set back by an editor, unlike the mtime), and a digest of the content read. The
 * times have a granularity (a kernel tick, a second on some file systems), so an edit of equal size in the same
 * tick as the version read leaves the stat unchanged: until the read is {@value #SETTLE_MILLIS} ms past the newest
 * time, an equal stat is not trusted and the content is compared by digest instead.
 */
record FileVersion(Stamp stamp, byte[] digest, long readAtMillis) {
    /** Longer than any file system's timestamp granularity (FAT: 2 s). */
    static final long SETTLE_MILLIS = 2_100;

    /** What a {@code stat} tells of the file. */
    record Stamp(Object fileKey, FileTime modified, Object changed, long size) {
        static final Stamp MISSING = new Stamp(null, null, null, -1);

        static Stamp of(Path file) throws IOException {
            try {
                Map<String, Object> a = Files.readAttributes(file, "unix:fileKey,lastModifiedTime,ctime,size");
                return new Stamp(a.get("fileKey"), (FileTime) a.get("lastModifiedTime"), a.get("ctime"),
                        (Long) a.get("size"));
            } catch (UnsupportedOperationException e) {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(a.fileKey(), a.lastModifiedTime(), null, a.size());
            } catch (NoSuchFileException e) {
                return MISSING;
            }
        }

        private long newestMillis() {
            long m = modified == null ? 0 : modified.toMillis();
            return changed instanceof FileTime c ? Math.max(m, c.toMillis()) : m;
        }
    }

    /** The version of content {@code bytes}, read at {@code readAtMillis} after {@code stamp} was taken. */
    static FileVersion of(Stamp stamp, byte[] bytes, long readAtMillis) {
        try {
            return new FileVersion(stamp, MessageDigest.getInstance("SHA-256").digest(bytes), readAtMillis);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    /** Whether a file with this stat is surely this version, without reading it. */
    boolean surelyCurrent(Stamp now) {
        return stamp.equals(now) && (stamp == Stamp.MISSING || readAtMillis > stamp.newestMillis() + SETTLE_MILLIS);
    }

    /** Whether another reading has the same content. */
    boolean sameContent(FileVersion other) {
        return Arrays.equals(digest, other.digest);
    }
}
