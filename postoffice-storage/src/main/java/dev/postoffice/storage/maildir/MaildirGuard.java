package dev.postoffice.storage.maildir;

import dev.postoffice.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps a session inside its maildrop: a Maildir whose {@code Maildir}, {@code new}, {@code cur} or {@code tmp}
 * is a symbolic link, not a directory, or owned by anyone but the server's user or the owner of the user's home
 * is refused (permanently: {@code -ERR [SYS/PERM]}). A user with a shell owns their home and could otherwise
 * point {@code cur} at {@code /etc} or {@code Maildir} at another user's Maildir. The approved directories are then
 * opened once and used through their handles ({@link MaildirDirs}), so a directory swapped for a link later is not
 * followed; where that is not possible, {@link #verify} repeats the check before each use. Message files themselves
 * are only ever opened, measured and removed without following links. The configured home itself may be a link:
 * the operator set it.
 */
final class MaildirGuard {
    /** The uid this process runs as, or -1 where it cannot be known (no {@code unix} attribute view). */
    static final int SERVER_UID = serverUid();

    private MaildirGuard() {}

    /**
     * Checks a Maildir and its three directories (all present).
     *
     * @param home the user's home from the user directory, if any: its owner may own the Maildir too
     * @return the file keys of the Maildir, {@code new}, {@code cur} and {@code tmp}, for {@link MaildirDirs#open}
     *         and {@link #verify}
     * @throws StorageException permanent, naming the reason, when the Maildir is refused; temporary when one of
     *                          the four is missing (see {@link #checkIfComplete})
     */
    static Object[] check(Path maildir, Optional<Path> home) throws StorageException {
        return check(maildir, home, true);
    }

    /**
     * As {@link #check}, but null instead of a refusal when the Maildir or one of its directories is not (yet) a
     * directory: the caller creates what is missing, as far as it can, and calls {@link #check}. One {@code stat}
     * per directory, not following links.
     */
    static Object[] checkIfComplete(Path maildir, Optional<Path> home) throws StorageException {
        return check(maildir, home, false);
    }

    private static Object[] check(Path maildir, Optional<Path> home, boolean strict) throws StorageException {
        int homeOwner = -1;
        if (home.isPresent()) {
            try {
                homeOwner = uid(Files.readAttributes(home.get(), "unix:uid"));
            } catch (IOException | UnsupportedOperationException e) {
                homeOwner = -1;
            }
        }
        Set<Integer> owners = homeOwner >= 0 && homeOwner != SERVER_UID ? Set.of(SERVER_UID, homeOwner) : Set.of(SERVER_UID);
        Path[] paths = paths(maildir);
        Object[] keys = new Object[paths.length];
        for (int i = 0; i < paths.length; i++) {
            keys[i] = checkOne(paths[i], owners, strict);
            if (keys[i] == MISSING) {
                return null;
            }
        }
        return keys;
    }

    /** What {@link #checkOne} returns, unless strict, for a directory that does not exist or is no directory. */
    private static final Object MISSING = new Object();

    private static Object checkOne(Path dir, Set<Integer> owners, boolean strict) throws StorageException {
        Map<String, Object> attrs;
        try {
            // One stat for type, identity and owner (the basic view's names are the unix view's too).
            attrs = Files.readAttributes(dir, SERVER_UID >= 0 ? UNIX_ATTRIBUTES : BASIC_ATTRIBUTES,
                    LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            if (strict) {
                throw new StorageException("cannot check " + dir + ": " + e, true, e);
            }
            return MISSING;
        } catch (IOException e) {
            throw new StorageException("cannot check " + dir + ": " + e, true, e);
        }
        // A link is refused before anything else, so that nothing is ever created through it (a Maildir linked to
        // an empty directory elsewhere would otherwise count as incomplete, and get new/, cur/ and tmp/ there).
        if (Boolean.TRUE.equals(attrs.get("isSymbolicLink"))) {
            throw new StorageException("refusing the maildir: " + dir + " is a symbolic link", false);
        }
        if (!strict && !Boolean.TRUE.equals(attrs.get("isDirectory"))) {
            return MISSING;
        }
        if (!Boolean.TRUE.equals(attrs.get("isDirectory"))) {
            throw new StorageException("refusing the maildir: " + dir + " is not a directory", false);
        }
        if (SERVER_UID >= 0) {
            int owner = uid(attrs);
            if (!owners.contains(owner)) {
                throw new StorageException("refusing the maildir: " + dir + " is owned by uid " + owner
                        + ", neither the server's nor the home's owner", false);
            }
        }
        return attrs.get("fileKey");
    }

    private static final String UNIX_ATTRIBUTES = "unix:uid,isDirectory,isSymbolicLink,fileKey";
    private static final String BASIC_ATTRIBUTES = "basic:isDirectory,isSymbolicLink,fileKey";

    private static Path[] paths(Path maildir) {
        return new Path[] {maildir, maildir.resolve(MaildirMaildrop.NEW), maildir.resolve(MaildirMaildrop.CUR),
            maildir.resolve(MaildirMaildrop.TMP)};
    }

    /**
     * Checks, without following links, that the Maildir, {@code new}, {@code cur} and {@code tmp} are still the
     * directories {@link #check} saw: where no secure directory stream holds them open, {@link MaildirDirs} calls
     * it right before each use of a file.
     *
     * @throws IOException if one was replaced (by a link or another directory) or cannot be read
     */
    static void verify(Path maildir, Object[] keys) throws IOException {
        Path[] paths = paths(maildir);
        for (int i = 0; i < paths.length; i++) {
            BasicFileAttributes attrs;
            try {
                attrs = Files.readAttributes(paths[i], BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                throw new IOException("the maildir directory " + paths[i] + " was removed", e);
            }
            if (!attrs.isDirectory() || !Objects.equals(attrs.fileKey(), keys[i])) {
                throw new IOException("the maildir directory " + paths[i] + " was replaced during the session");
            }
        }
    }

    private static int uid(Map<String, Object> attrs) {
        Object uid = attrs.get("uid");
        return uid instanceof Integer i ? i : -1;
    }

    private static int serverUid() {
        try {
            // /proc/self belongs to the process's effective uid (Linux).
            return uid(Files.readAttributes(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
