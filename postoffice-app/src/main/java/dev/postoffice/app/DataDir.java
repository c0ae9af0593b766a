package dev.postoffice.app;

import dev.postoffice.auth.Authenticator;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.storage.maildir.MaildirStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The embedded default store: {@code DIR/users} (Dovecot passwd-file format) and the users' Maildirs at
 * {@code DIR/home/NAME/Maildir} unless the users file names another home.
 */
final class DataDir {
    private final Path dir;

    DataDir(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
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

    Authenticator authenticator() {
        return new Authenticator(users());
    }

    MaildirStore store() {
        return new MaildirStore(dir);
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
