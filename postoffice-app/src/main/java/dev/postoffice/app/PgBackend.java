package dev.postoffice.app;

import dev.postoffice.auth.pg.SqlUserDirectory;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.pg.PgDatabase;
import dev.postoffice.storage.pg.PgStore;
import dev.postoffice.storage.pg.PgUrl;

/**
 * The PostgreSQL backend a command opened from {@code --store postgresql://...}: the pool, the store (this node's
 * liveness and leases) and the user directory, closed together. Opening refuses a schema with pending migrations
 * unless {@code migrate} (docs/postgresql.md).
 */
final class PgBackend implements AutoCloseable {
    private final PgDatabase database;
    private final PgStore store;
    private final SqlUserDirectory users;

    private PgBackend(PgDatabase database, PgStore store) {
        this.database = database;
        this.store = store;
        this.users = new SqlUserDirectory(database.dataSource(), database.url().toString());
    }

    /**
     * @param heartbeat whether this node renews its liveness (a server does; a one-shot command holds no lease)
     * @throws UserError with a one-line reason: a bad URL (exit 2), an unreachable database (69), a schema that
     *                   is not current (78)
     */
    static PgBackend open(String url, boolean migrate, boolean heartbeat) {
        PgUrl parsed;
        try {
            parsed = PgUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
        PgDatabase db;
        try {
            db = PgDatabase.open(parsed, migrate);
        } catch (StorageException e) {
            throw new UserError(e.getMessage(), e.temporary() ? 69 : 78);
        }
        try {
            return new PgBackend(db, new PgStore(db, heartbeat));
        } catch (StorageException e) {
            db.close();
            throw new UserError(e.getMessage(), 69);
        }
    }

    PgDatabase database() {
        return database;
    }

    PgStore store() {
        return store;
    }

    SqlUserDirectory users() {
        return users;
    }

    @Override
    public void close() {
        store.close();
        database.close();
    }
}
