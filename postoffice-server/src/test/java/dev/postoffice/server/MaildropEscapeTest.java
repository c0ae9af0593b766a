package dev.postoffice.server;

import dev.postoffice.testkit.RawClient;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.PasswordSchemes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 §1 over a real socket: a user who can plant links in their Maildir reads and deletes nothing outside
 * it (the live exploit was {@code ln -s /etc ~eve/Maildir/cur}, then RETR, DELE and QUIT).
 */
class MaildropEscapeTest {
    private static final String SECRET_NAME = "1600000001.P1.host";

    @TempDir
    Path data;
    TestServer server;
    Path outside;
    Path maildir;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestServer(data).user("alice", "secret");
        server.deliver("alice", "Subject: mine\n\nmine\n");
        maildir = data.resolve("home/alice/Maildir");
        outside = Files.createDirectories(data.resolve("etc"));
        Files.writeString(outside.resolve(SECRET_NAME), "root:x:0:0\n");
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private RawClient login(String user, String password) throws Exception {
        RawClient c = new RawClient(server.port());
        assertThat(c.cmd("USER " + user)).startsWith("+OK");
        return c;
    }

    @Test
    void aMaildirWithALinkedCurIsRefused() throws Exception {
        Files.delete(maildir.resolve("cur"));
        Files.createSymbolicLink(maildir.resolve("cur"), outside);
        RawClient c = login("alice", "secret");
        assertThat(c.cmd("PASS secret")).startsWith("-ERR [SYS/PERM]");
        assertThat(outside.resolve(SECRET_NAME)).exists();
    }

    /** The same exploit between two sessions, the second on the approval the store remembers from the first. */
    @Test
    void curLinkedBetweenSessionsIsRefusedAtTheNextLogin() throws Exception {
        RawClient first = login("alice", "secret");
        assertThat(first.cmd("PASS secret")).startsWith("+OK");
        assertThat(first.cmd("QUIT")).startsWith("+OK");
        Files.move(maildir.resolve("cur"), maildir.resolve("cur.old"));
        Files.createSymbolicLink(maildir.resolve("cur"), outside);
        RawClient c = login("alice", "secret");
        assertThat(c.cmd("PASS secret")).startsWith("-ERR [SYS/PERM]");
        assertThat(outside.resolve(SECRET_NAME)).exists();
    }

    @Test
    void aHomeWhoseMaildirLinksToAnotherUsersMaildirIsRefused() throws Exception {
        Path home = Files.createDirectories(data.resolve("eve-home"));
        Files.createSymbolicLink(home.resolve("Maildir"), maildir);
        Files.writeString(data.resolve("users"), "eve:" + PasswordSchemes.encode("PLAIN", "pw") + ":1000:1000::"
                + home + "::\n", StandardOpenOption.APPEND);
        RawClient c = login("eve", "pw");
        assertThat(c.cmd("PASS pw")).startsWith("-ERR [SYS/PERM]");
        assertThat(server.storedCount("alice")).isEqualTo(1);
    }

    @Test
    void aLinkedMessageFileIsNotServedAndItsTargetNotDeleted() throws Exception {
        Files.createSymbolicLink(maildir.resolve("cur").resolve(SECRET_NAME + ":2,S"), outside.resolve(SECRET_NAME));
        RawClient c = login("alice", "secret");
        assertThat(c.cmd("PASS secret")).startsWith("+OK");
        assertThat(c.cmd("STAT")).startsWith("+OK 1 ");
        assertThat(c.cmd("RETR 2")).startsWith("-ERR");
        assertThat(c.cmd("DELE 1")).startsWith("+OK");
        assertThat(c.cmd("QUIT")).startsWith("+OK");
        assertThat(outside.resolve(SECRET_NAME)).exists();
    }

    @Test
    void curSwappedForALinkDuringTheSessionIsNotFollowed() throws Exception {
        Files.writeString(maildir.resolve("cur").resolve(SECRET_NAME), "Subject: bait\n\nbait\n");
        RawClient c = login("alice", "secret");
        assertThat(c.cmd("PASS secret")).startsWith("+OK");
        assertThat(c.cmd("STAT")).startsWith("+OK 2 ");
        Files.move(maildir.resolve("cur"), maildir.resolve("cur.old"));
        Files.createSymbolicLink(maildir.resolve("cur"), outside);
        assertThat(c.cmd("RETR 1")).startsWith("-ERR");
        assertThat(c.cmd("DELE 1")).startsWith("+OK");
        assertThat(c.cmd("QUIT")).startsWith("-ERR");
        assertThat(Files.readString(outside.resolve(SECRET_NAME))).isEqualTo("root:x:0:0\n");
    }
}
