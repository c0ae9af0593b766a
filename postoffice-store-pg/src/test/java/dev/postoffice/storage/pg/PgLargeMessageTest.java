package dev.postoffice.storage.pg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.testkit.pg.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 50 MB message is delivered and read back by a JVM with a 40 MB heap ({@link LargeMessageMain}): it passes
 * through in chunks, never whole. The chunks are rows of at most {@link PgDelivery#CHUNK} octets.
 */
class PgLargeMessageTest {
    private static final long SIZE = 50L * 1000 * 1000;

    @Test
    void aFiftyMegabyteMessageStreamsThroughASmallHeap() throws Exception {
        TestPostgres.Database database = TestPostgres.newDatabase();
        PgDatabase.open(dev.postoffice.storage.pg.PgUrl.parse(database.url()), true).close();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, "-Xmx40m", "-cp", System.getProperty("java.class.path"),
                LargeMessageMain.class.getName(), database.url(), Long.toString(SIZE)))
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();

        long canonical = SIZE + SIZE / 80; // each LF became CRLF
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("delivered " + canonical + " read " + canonical);
        try (Connection c = DriverManager.getConnection(database.jdbcUrl());
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT count(*), max(length(data)), sum(length(data)) FROM body_chunk")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo((canonical + PgDelivery.CHUNK - 1) / PgDelivery.CHUNK);
            assertThat(rs.getLong(2)).isEqualTo(PgDelivery.CHUNK);
            assertThat(rs.getLong(3)).isEqualTo(canonical);
        }
    }
}
