package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.pg.SqlUserDirectory;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.storage.pg.PgDatabase;
import dev.postoffice.storage.pg.PgUrl;
import dev.postoffice.testkit.RawClient;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose database stops: a login answers {@code -ERR [SYS/TEMP]} once the pool's connect timeout
 * ({@code connect-timeout}, 2 s by default) has passed, rather than hanging. The database is a PostgreSQL server of
 * this test's own (embedded), since it is stopped under the node; the client waits up to 30 s, no timing asserted.
 */
class PostgresDownTest {
    @TempDir
    Path dir;

    @Test
    void aLoginWithTheDatabaseStoppedAnswersSysTemp() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("fsync", "off").start();
        Service node = null;
        try {
            String url = "postgresql://localhost:" + pg.getPort() + "/postgres?user=postgres&connect-timeout=1s";
            try (PgDatabase db = PgDatabase.open(PgUrl.parse(url), true)) {
                new SqlUserDirectory(db.dataSource(), "test").add("alice", "{PLAIN}secret");
            }
            DataDir data = new DataDir(dir.resolve("node")).store(url, false).create();
            ServerConfig cfg = ServerConfig.builder().pop3Listen(new InetSocketAddress("127.0.0.1", 0))
                    .pop3sListen(new InetSocketAddress("127.0.0.1", 0)).hostname("localhost")
                    .authFailureDelay(Duration.ZERO).authFailureDelayMax(Duration.ZERO).build();
            node = ServeCommand.start(cfg, data, dev.postoffice.server.ServerMetrics.NONE);
            try (RawClient up = new RawClient(node.port())) {
                up.socket().setSoTimeout(30_000);
                assertThat(up.cmd("USER alice")).startsWith("+OK");
                assertThat(up.cmd("PASS secret")).startsWith("+OK");
                assertThat(up.cmd("QUIT")).startsWith("+OK");
            }

            pg.close();
            for (int i = 0; i < 2; i++) { // the pool's connections are broken, then there are none to be had
                try (RawClient down = new RawClient(node.port())) {
                    down.socket().setSoTimeout(30_000);
                    assertThat(down.cmd("USER alice")).startsWith("+OK");
                    assertThat(down.cmd("PASS secret")).startsWith("-ERR [SYS/TEMP]");
                }
            }
        } finally {
            if (node != null) {
                node.close();
            }
            pg.close();
        }
    }
}
