package dev.postoffice.storage.pg;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.postoffice.storage.StorageException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * A node's connection pool to the database (HikariCP) and the schema's version (Flyway, the scripts in
 * {@code db/migration}). A node starts only on a schema that is up to date: {@link #open} refuses a database
 * with pending migrations unless asked to apply them ({@code --migrate-schema}, {@code postoffice db migrate}).
 */
public final class PgDatabase implements AutoCloseable {
    private final PgUrl url;
    private final HikariDataSource pool;

    private PgDatabase(PgUrl url, HikariDataSource pool) {
        this.url = url;
        this.pool = pool;
    }

    /**
     * Connects to the database and checks its schema.
     *
     * @param migrate apply pending migrations first; otherwise a schema that is not current is an error
     * @throws StorageException temporary when the database cannot be reached; permanent when the schema is not
     *                          current and {@code migrate} is false, or is newer than this Postoffice
     */
    public static PgDatabase open(PgUrl url, boolean migrate) throws StorageException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url.jdbcUrl());
        config.setUsername(url.user());
        url.password().ifPresent(config::setPassword);
        config.setMaximumPoolSize(url.pool());
        config.setMinimumIdle(Math.min(2, url.pool()));
        config.setPoolName("postoffice-pg");
        // A login waits at most this for a connection, so that it answers -ERR [SYS/TEMP] soon when the database is away.
        config.setConnectionTimeout(url.connectTimeout().toMillis());
        config.setValidationTimeout(url.connectTimeout().toMillis());
        config.setInitializationFailTimeout(-1); // a clear error below rather than Hikari's at construction
        config.addDataSourceProperty("ApplicationName", "postoffice");
        config.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, url.connectTimeout().toSeconds())));
        // Every statement server-prepared from its first use on a connection, so that its results come in binary
        // (bytea as raw octets, not hex) from the second; connections are pooled, so nearly always.
        config.addDataSourceProperty("prepareThreshold", "1");
        HikariDataSource pool = new HikariDataSource(config);
        PgDatabase db = new PgDatabase(url, pool);
        try {
            firstConnection(pool, url);
            if (migrate) {
                db.migrate();
            } else {
                db.checkSchema();
            }
            return db;
        } catch (StorageException | RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Waits for the pool's first connection for up to {@value #STARTUP_WAIT_MILLIS} ms, a connect timeout at a time:
     * a starting JVM on a busy machine may take longer than a login's short timeout to load the driver and log in.
     */
    private static void firstConnection(HikariDataSource pool, PgUrl url) throws StorageException {
        long deadline = System.nanoTime() + STARTUP_WAIT_MILLIS * 1_000_000L;
        while (true) {
            try (Connection c = pool.getConnection()) {
                c.isValid(5);
                return;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw new StorageException("cannot connect to " + url + ": " + e.getMessage(), true, e);
                }
            }
        }
    }

    private static final long STARTUP_WAIT_MILLIS = 10_000;

    /** The pool. */
    public DataSource dataSource() {
        return pool;
    }

    /** Where this is, without the password. */
    public PgUrl url() {
        return url;
    }

    /** Applies pending migrations; returns how many were applied. */
    public int migrate() throws StorageException {
        try {
            MigrateResult r = flyway().migrate();
            return r.migrationsExecuted;
        } catch (RuntimeException e) {
            throw new StorageException("migrating the schema of " + url + " failed: " + e.getMessage(), false, e);
        }
    }

    /** The schema's version now, or "none" for a database without Postoffice's tables. */
    public String schemaVersion() {
        MigrationInfo current = flyway().info().current();
        return current == null ? "none" : current.getVersion().getVersion();
    }

    private void checkSchema() throws StorageException {
        MigrationInfoService info;
        try {
            info = flyway().info();
        } catch (RuntimeException e) {
            throw new StorageException("cannot read the schema version of " + url + ": " + e.getMessage(), true, e);
        }
        MigrationInfo[] pending = info.pending();
        if (pending.length > 0) {
            MigrationInfo current = info.current();
            throw new StorageException("the database " + url + " has schema version "
                    + (current == null ? "none" : current.getVersion().getVersion()) + " and needs "
                    + Arrays.stream(pending).map(m -> m.getVersion().getVersion()).collect(Collectors.joining(", "))
                    + ": run 'postoffice db migrate --store URL' or start with --migrate-schema", false);
        }
        if (info.current() != null && info.current().getState().name().equals("FUTURE_SUCCESS")) {
            throw new StorageException("the database " + url + " has schema version "
                    + info.current().getVersion().getVersion() + ", newer than this Postoffice knows: upgrade it",
                    false);
        }
    }

    private Flyway flyway() {
        return Flyway.configure(PgDatabase.class.getClassLoader())
                .dataSource(pool)
                .locations("classpath:db/migration")
                .table("postoffice_schema_history")
                .load();
    }

    @Override
    public void close() {
        pool.close();
    }
}
