package dev.postoffice.app;

import dev.postoffice.auth.EditableUserDirectory;
import dev.postoffice.auth.LoginCache;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.maildir.MaildirStore;
import dev.postoffice.storage.pg.PgUrl;
import dev.postoffice.storage.maildir.UidlFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The embedded default store: {@code DIR/users} (Dovecot passwd-file format) and the users' Maildirs at
 * {@code DIR/home/NAME/Maildir} unless the users file names another home; or, with {@link #store(String, boolean)
 * a PostgreSQL store URL}, users and mail in that database ({@link PgBackend}, opened at first use and closed by
 * {@link #close()}), the directory keeping only generated keys.
 */
final class DataDir implements AutoCloseable {
    private final Path dir;
    private final Duration authCacheTtl;
    private UidlFormat dovecotUidlFormat = UidlFormat.parse(UidlFormat.DEFAULT);
    private String storeUrl;
    private boolean migrateSchema;
    private PgBackend pg;

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

    /**
     * Where users and mail are: {@code maildir} (or null: this directory) or {@code postgresql://...}.
     *
     * @param migrate apply pending schema migrations when the database is opened (else refuse to start on them)
     */
    DataDir store(String url, boolean migrate) {
        if (url != null && !url.equals("maildir") && !PgUrl.isPostgres(url)) {
            throw new UserError("invalid store '" + PgUrl.redact(url)
                    + "': expected maildir or postgresql://HOST:PORT/DB?user=USER", 2);
        }
        this.storeUrl = url == null || url.equals("maildir") ? null : url;
        this.migrateSchema = migrate;
        return this;
    }

    /** Whether users and mail are in PostgreSQL. */
    boolean postgres() {
        return storeUrl != null;
    }

    /** The PostgreSQL backend, opened at the first call ({@code heartbeat}: as a server node, renewing liveness). */
    PgBackend pg(boolean heartbeat) {
        if (pg == null) {
            pg = PgBackend.open(storeUrl, migrateSchema, heartbeat);
        }
        return pg;
    }

    /** The user directory: the users file, or the database's users table. */
    EditableUserDirectory directory() {
        return postgres() ? pg(false).users() : users();
    }

    /** Where the users are, for messages. */
    String usersDescription() {
        return postgres() ? PgUrl.redact(storeUrl) : usersFile().toString();
    }

    /** The store a server uses (Maildir: its lock refresh on the server's scheduler); closed by the server. */
    AppStore openStore(java.util.concurrent.ScheduledExecutorService scheduler) {
        if (postgres()) {
            return new AppStore(pg(true).store(), this::close);
        }
        MaildirStore store = store(scheduler);
        return new AppStore(store, store::close);
    }

    /** The store a one-shot delivery uses (Maildir: with the given line ends). */
    AppStore openDelivery(MessageFormat.LineEnd lineEnd) {
        if (postgres()) {
            return new AppStore(pg(false).store(), () -> { });
        }
        MaildirStore store = store(lineEnd);
        return new AppStore(store, store::close);
    }

    /** Closes the database backend if one was opened. */
    @Override
    public void close() {
        if (pg != null) {
            pg.close();
            pg = null;
        }
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
