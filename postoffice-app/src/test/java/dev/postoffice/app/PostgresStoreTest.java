package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.server.ServerConfig;
import dev.postoffice.testkit.pg.TestPostgres;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.net.pop3.POP3Client;
import org.apache.commons.net.pop3.POP3MessageInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app on the PostgreSQL store, end to end against embedded PostgreSQL: the schema gate and {@code db migrate},
 * {@code user} and {@code deliver} with {@code --store}, and two server nodes on one database read by a real POP3
 * client (Commons Net): identical UIDLs through both, {@code [IN-USE]} through the second while the first holds the
 * maildrop, and DELE through one seen by the other.
 */
class PostgresStoreTest {
    @TempDir
    Path dir;
    private TestPostgres.Database database;
    private final List<Service> services = new ArrayList<>();

    @BeforeEach
    void database() {
        database = TestPostgres.newDatabase();
    }

    @AfterEach
    void stop() {
        services.forEach(Service::close);
    }

    @Test
    void aNodeRefusesAnOldSchemaUntilItIsMigrated() {
        Run status = run(null, "db", "status", "--store", database.url());
        assertThat(status.code).isEqualTo(1);
        assertThat(status.out).contains("needs 1, 2").contains("postoffice db migrate");

        Run list = run(null, "user", "list", "--store", database.url());
        assertThat(list.code).isEqualTo(78);
        assertThat(list.err).contains("--migrate-schema").doesNotContain("Exception");

        assertThat(run(null, "db", "migrate", "--store", database.url()).code).isZero();
        assertThat(run(null, "db", "status", "--store", database.url()).out).contains("version 5, up to date");
        assertThat(run(null, "user", "list", "--store", database.url()).code).isZero();
    }

    @Test
    void doctorChecksTheDatabaseInsteadOfTheUsersFile() {
        String url = database.url();
        Run before = run(null, "doctor", "--store", url);
        assertThat(before.code).isEqualTo(1);
        assertThat(before.out).contains("postoffice db migrate --store URL").doesNotContain("no users file");
        assertThat(run(null, "db", "migrate", "--store", url).code).isZero();
        assertThat(run(null, "doctor", "--store", url).out)
                .contains("no users in the database").doesNotContain("db migrate");
        assertThat(run("secret\n", "user", "add", "alice", "--scheme", "PLAIN", "--store", url).code).isZero();
        assertThat(run(null, "doctor", "--store", url).out)
                .doesNotContain("no users in the database").doesNotContain("db migrate");
        Run gone = run(null, "doctor", "--store", "postgresql://127.0.0.1:1/none?user=x");
        assertThat(gone.out).contains("postgresql://127.0.0.1:1/none").contains("check the host, port");
    }

    @Test
    void badStoreUrlsGetOneLine() {
        Run bad = run(null, "user", "list", "--store", "postgresql://h/d?password=secret");
        assertThat(bad.code).isEqualTo(2);
        assertThat(bad.err).contains("user=USER").doesNotContain("secret");
        assertThat(run(null, "user", "list", "--store", "mysql://h/d").err).contains("expected maildir or postgresql");
    }

    @Test
    void usersAndDeliveriesGoToTheDatabaseAndTwoNodesServeThem() throws Exception {
        String url = database.url();
        assertThat(run(null, "db", "migrate", "--store", url).code).isZero();
        assertThat(run("secret\n", "user", "add", "alice", "--scheme", "PLAIN", "--store", url).code).isZero();
        assertThat(run("other\n", "user", "add", "bob", "--store", url).code).isZero();
        assertThat(run("again\n", "user", "add", "bob", "--store", url).code).isEqualTo(1);
        assertThat(run("newer\n", "user", "passwd", "bob", "--scheme", "SHA512-CRYPT", "--store", url).code).isZero();
        Run list = run(null, "user", "list", "--store", url);
        assertThat(list.out.lines().filter(l -> !l.contains(" INFO "))).containsExactly("alice\tPLAIN", "bob\tSHA512-CRYPT");
        assertThat(run(null, "user", "del", "bob", "--store", url).code).isZero();
        assertThat(run(null, "user", "del", "bob", "--store", url).code).isEqualTo(67);

        Path m1 = Files.writeString(dir.resolve("1.eml"), "Subject: one\n\nfirst\n.dotted line\n");
        Path m2 = Files.writeString(dir.resolve("2.eml"), "Subject: two\r\n\r\nsecond\r\n");
        assertThat(run(null, "deliver", "--store", url, "--user", "alice", m1.toString(), m2.toString()).code).isZero();
        assertThat(run(null, "deliver", "--store", url, "--user", "nobody", m1.toString()).code).isEqualTo(67);
        assertThat(Files.exists(dir.resolve("data").resolve("users"))).as("no users file").isFalse();

        Service a = node("a");
        Service b = node("b");
        POP3Client first = login(a, "alice", "secret");
        POP3MessageInfo[] uidlsA = first.listUniqueIdentifiers();
        assertThat(uidlsA).hasSize(2);
        POP3MessageInfo[] sizes = first.listMessages();
        assertThat(sizes[0].size).isEqualTo("Subject: one\r\n\r\nfirst\r\n.dotted line\r\n".length());
        assertThat(read(first.retrieveMessage(1))).isEqualTo("Subject: one\r\n\r\nfirst\r\n.dotted line\r\n");

        POP3Client second = connect(b);
        assertThat(second.login("alice", "secret")).isFalse();
        assertThat(second.getReplyString()).contains("[IN-USE]");
        second.disconnect();

        assertThat(first.deleteMessage(1)).isTrue();
        assertThat(first.logout()).isTrue();
        first.disconnect();

        POP3Client again = login(b, "alice", "secret");
        POP3MessageInfo[] uidlsB = again.listUniqueIdentifiers();
        assertThat(uidlsB).hasSize(1);
        assertThat(uidlsB[0].identifier).as("the same UIDL through the other node").isEqualTo(uidlsA[1].identifier);
        assertThat(read(again.retrieveMessage(1))).isEqualTo("Subject: two\r\n\r\nsecond\r\n");
        again.logout();
        again.disconnect();
    }

    private Service node(String name) {
        DataDir data = new DataDir(dir.resolve("node-" + name)).store(database.url(), false).create();
        ServerConfig cfg = ServerConfig.builder().pop3Listen(new InetSocketAddress("127.0.0.1", 0))
                .pop3sListen(new InetSocketAddress("127.0.0.1", 0))
                .hostname("localhost").authFailureDelay(Duration.ZERO).authFailureDelayMax(Duration.ZERO).build();
        Service s = ServeCommand.start(cfg, data, dev.postoffice.server.ServerMetrics.NONE);
        services.add(s);
        return s;
    }

    private static POP3Client connect(Service s) throws Exception {
        POP3Client c = new POP3Client();
        c.setDefaultTimeout(30_000);
        c.connect("127.0.0.1", s.port());
        return c;
    }

    private static POP3Client login(Service s, String user, String password) throws Exception {
        POP3Client c = connect(s);
        assertThat(c.login(user, password)).as(c.getReplyString()).isTrue();
        return c;
    }

    private static String read(Reader r) throws Exception {
        StringBuilder sb = new StringBuilder();
        char[] buf = new char[4096];
        for (int n; (n = r.read(buf)) >= 0; ) {
            sb.append(buf, 0, n);
        }
        r.close();
        return sb.toString();
    }

    private record Run(int code, String out, String err) {}

    /** Runs the command line in this JVM with {@code stdin} (or nothing) as standard input. */
    private Run run(String stdin, String... args) {
        InputStream savedIn = System.in;
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--data");
        all.add(dir.resolve("data").toString());
        if (args[0].equals("db")) {
            all = List.of(args);
        }
        try {
            System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(all.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(savedIn);
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }
}
