package dev.postoffice.app;

import dev.postoffice.auth.LoginCache;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.maildir.MaildirStore;
import dev.postoffice.storage.maildir.UidlFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The embedded default store: {@code DIR/users} (Dovecot passwd-file format) and the users' Maildirs at
 * {@code DIR/home/NAME/Maildir} unless the users file names another home.
 */
final class DataDir {
    private final Path dir;
    private final Duration authCacheTtl;
    private UidlFormat dovecotUidlFormat = UidlFormat.parse(UidlFormat.DEFAULT);

    DataDir(Path dir) {
        this(dir, LoginCache.DEFAULT_TTL);
    }

    /** @param authCacheTtl how long a successful password check is remembered (zero: not at all) */
    DataDir(Path dir, Duration authCacheTtl) {
        this.dir = dir.toAbsolutePath().normalize();
        this.authCacheTtl = authCacheTtl;
    }

    Path path() {
        return dir;
    }

    Path usersFile() {
        return dir.resolve("users");
    }

    PasswdFile users() {
        return new PasswdFile(usersFile());
    }

    /** How long a successful password check is remembered. */
    Duration authCacheTtl() {
        return authCacheTtl;
    }

    MaildirStore store() {
        return new MaildirStore(dir).dovecotUidlFormat(dovecotUidlFormat);
    }

    /** How Dovecot formed the UIDLs of Maildirs it served (null: read no {@code dovecot-uidlist}). */
    DataDir dovecotUidlFormat(UidlFormat format) {
        this.dovecotUidlFormat = format;
        return this;
    }

    /** The store a server uses, its lock refresh on the server's scheduler. */
    MaildirStore store(java.util.concurrent.ScheduledExecutorService scheduler) {
        return new MaildirStore(dir, MessageFormat.LineEnd.CRLF, scheduler).dovecotUidlFormat(dovecotUidlFormat);
    }

    /** A store that delivers with the given line ends. */
    MaildirStore store(MessageFormat.LineEnd lineEnd) {
        return new MaildirStore(dir, lineEnd);
    }

    /** Creates the directory (mode 0700) if it does not exist. */
    DataDir create() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                try {
                    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system
                }
            }
        } catch (IOException e) {
            throw new UserError("cannot create data directory " + dir + ": " + e.getMessage(), 73);
        }
        return this;
    }
}
