package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.testkit.RawClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RFC 1939 session over a real socket, looked at byte for byte. */
class Pop3SessionTest {
    static final String M1 = "From: a@example.org\nTo: alice@example.org\nSubject: one\n\nHello.\n";
    static final String M2_NO_FINAL_NEWLINE = "From: b@example.org\nSubject: two\n\nno final newline";
    static final String M3_DOTS = "From: c@example.org\nSubject: dots\n\n.\n..\n.leading dot\nlast\n";

    @TempDir
    Path data;
    TestServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = new TestServer(data).user("alice", "secret").user("bob", "hunter2");
        server.deliver("alice", M1);
        server.deliver("alice", M3_DOTS);
        server.dropForeign("alice", "9999999999.foreign.host", M2_NO_FINAL_NEWLINE); // sorts last: message 3
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void quitAfterTheLockWasTakenOverDeletesNothing() throws Exception {
        java.nio.file.Path lock = data.resolve("home/alice/Maildir/postoffice-pop3.lock");
        try (RawClient c = new RawClient(server.port())) {
            c.login("alice", "secret");
            assertThat(c.cmd("DELE 1")).startsWith("+OK");
            // Another host broke our lock as stale and holds the maildrop now (replaced by rename, never in place:
            // a linked lock shares its inode with the process's template).
            java.nio.file.Path theirs = lock.resolveSibling("theirs.tmp");
            java.nio.file.Files.writeString(theirs, "postoffice-pop3-lock host=other.example pid=4242 start=- boot=-"
                    + " ticks=-1 created=- token=feedfacefeedface\n");
            java.nio.file.Files.move(theirs, lock, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            assertThat(c.cmd("QUIT")).isEqualTo("-ERR [SYS/TEMP] the maildrop lock was lost; nothing was deleted");
        }
        assertThat(java.nio.file.Files.readString(lock)).as("their lock is left alone").contains("other.example");
        java.nio.file.Files.delete(lock);
        try (RawClient c = new RawClient(server.port())) {
            c.login("alice", "secret");
            assertThat(c.cmd("STAT")).startsWith("+OK 3 ");
            c.cmd("QUIT");
        }
    }

    @Test
    void greetingCarriesAUniqueApopTimestamp() throws Exception {
        try (RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port())) {
            assertThat(a.greeting()).matches("\\+OK .*<[^<>@]+@test\\.invalid>");
            assertThat(timestamp(a.greeting())).isNotEqualTo(timestamp(b.greeting()));
        }
    }

    @Test
    void statAndListSizesEqualTheOctetsRetrSends() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            String stat = c.cmd("STAT");
            assertThat(c.cmd("LIST")).isEqualTo("+OK 3 messages (" + stat.split(" ")[2] + " octets)");
            List<String> list = c.multiline();
            assertThat(list).hasSize(3);
            long total = 0;
            for (String entry : list) {
                String[] f = entry.split(" ");
                assertThat(c.cmd("RETR " + f[0])).isEqualTo("+OK " + f[1] + " octets");
                byte[] octets = c.multilineOctets();
                assertThat((long) octets.length).as("message %s", f[0]).isEqualTo(Long.parseLong(f[1]));
                assertThat(c.cmd("LIST " + f[0])).isEqualTo("+OK " + f[0] + " " + f[1]);
                total += octets.length;
            }
            assertThat(stat).isEqualTo("+OK 3 " + total);
        }
    }

    @Test
    void messageWithoutFinalNewlineGetsExactlyOneFinalCrlf() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("RETR 3")).startsWith("+OK");
            assertThat(c.multiline()).containsExactly("From: b@example.org", "Subject: two", "", "no final newline");
            assertThat(c.cmd("LIST 3")).isEqualTo("+OK 3 " + (M2_NO_FINAL_NEWLINE.length() + 3 + 2));
        }
    }

    @Test
    void linesStartingWithADotAreByteStuffed() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("RETR 2")).startsWith("+OK");
            assertThat(c.multiline()).containsExactly("From: c@example.org", "Subject: dots", "", "..", "...",
                    "..leading dot", "last");
        }
    }

    @Test
    void topSendsHeaderBlankLineAndTheRequestedBodyLines() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("TOP 2 0")).startsWith("+OK");
            assertThat(c.multiline()).containsExactly("From: c@example.org", "Subject: dots", "");
            assertThat(c.cmd("TOP 2 2")).startsWith("+OK");
            assertThat(c.multiline()).containsExactly("From: c@example.org", "Subject: dots", "", "..", "...");
            assertThat(c.cmd("TOP 1 99999999")).startsWith("+OK");
            assertThat(c.multiline()).containsExactly("From: a@example.org", "To: alice@example.org",
                    "Subject: one", "", "Hello.");
        }
    }

    @Test
    void uidlListsStableUniqueIds() throws Exception {
        List<String> first;
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("UIDL")).startsWith("+OK");
            first = c.multiline();
            assertThat(first).hasSize(3);
            for (String l : first) {
                String uid = l.substring(l.indexOf(' ') + 1);
                assertThat(uid).hasSizeBetween(1, 70).matches("[\\x21-\\x7e]+");
            }
            assertThat(first.stream().map(l -> l.split(" ")[1]).distinct()).hasSize(3);
            assertThat(c.cmd("UIDL 2")).isEqualTo("+OK " + first.get(1));
            c.cmd("QUIT");
        }
        server.restart();
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            c.cmd("UIDL");
            assertThat(c.multiline()).isEqualTo(first);
        }
    }

    @Test
    void deletionTakesEffectOnlyAfterQuit() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            String size1 = c.cmd("LIST 1").split(" ")[2];
            assertThat(c.cmd("DELE 1")).isEqualTo("+OK message 1 deleted");
            assertThat(c.cmd("DELE 1")).isEqualTo("-ERR message 1 already deleted");
            assertThat(c.cmd("RETR 1")).isEqualTo("-ERR message 1 already deleted");
            assertThat(c.cmd("TOP 1 0")).startsWith("-ERR");
            assertThat(c.cmd("LIST 1")).startsWith("-ERR");
            assertThat(c.cmd("UIDL 1")).startsWith("-ERR");
            assertThat(c.cmd("LIST")).startsWith("+OK 2 messages");
            assertThat(c.multiline()).extracting(l -> l.split(" ")[0]).containsExactly("2", "3");
            assertThat(c.cmd("UIDL")).startsWith("+OK");
            assertThat(c.multiline()).extracting(l -> l.split(" ")[0]).containsExactly("2", "3");
            assertThat(c.cmd("STAT")).startsWith("+OK 2 ");
            assertThat(server.storedCount("alice")).isEqualTo(3);
            assertThat(size1).isNotEmpty();
            assertThat(c.cmd("QUIT")).startsWith("+OK");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.storedCount("alice")).isEqualTo(2);
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("STAT")).startsWith("+OK 2 ");
            assertThat(c.cmd("RETR 1")).startsWith("+OK");
            assertThat(c.multiline()).contains("Subject: dots");
        }
    }

    @Test
    void rsetUnmarksDeletedMessages() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            String stat = c.cmd("STAT");
            c.cmd("DELE 1");
            c.cmd("DELE 3");
            assertThat(c.cmd("STAT")).startsWith("+OK 1 ");
            assertThat(c.cmd("RSET")).startsWith("+OK maildrop has 3 messages");
            assertThat(c.cmd("STAT")).isEqualTo(stat);
            assertThat(c.cmd("RETR 1")).startsWith("+OK");
            c.multiline();
            c.cmd("QUIT");
        }
        assertThat(server.storedCount("alice")).isEqualTo(3);
    }

    @Test
    void droppedConnectionDeletesNothing() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            c.cmd("DELE 1");
            c.cmd("DELE 2");
        }
        awaitNoSessions();
        assertThat(server.storedCount("alice")).isEqualTo(3);
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("STAT")).startsWith("+OK 3 ");
        }
    }

    @Test
    void quitInAuthorizationDeletesNothingAndSignsOff() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("QUIT")).startsWith("+OK");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void secondSessionOnTheSameMaildropGetsInUse() throws Exception {
        try (RawClient first = new RawClient(server.port()).login("alice", "secret");
             RawClient second = new RawClient(server.port())) {
            second.cmd("USER alice");
            assertThat(second.cmd("PASS secret")).startsWith("-ERR [IN-USE] ");
            // still in AUTHORIZATION: may try again once the first has quit
            assertThat(second.cmd("STAT")).startsWith("-ERR");
            assertThat(first.cmd("QUIT")).startsWith("+OK");
            assertThat(first.closedByServer()).isTrue();
            awaitNoSessionsExcept(1);
            second.cmd("USER alice");
            assertThat(second.cmd("PASS secret")).startsWith("+OK");
        }
    }

    @Test
    void lockIsReleasedWhenTheConnectionDrops() throws Exception {
        RawClient first = new RawClient(server.port()).login("alice", "secret");
        first.close();
        awaitNoSessions();
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("USER alice");
            assertThat(c.cmd("PASS secret")).startsWith("+OK");
        }
    }

    @Test
    void mailDeliveredDuringASessionAppearsInTheNextOne() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            server.deliver("alice", "Subject: late\n\nlate\n");
            assertThat(c.cmd("STAT")).startsWith("+OK 3 ");
            assertThat(c.cmd("LIST 4")).isEqualTo("-ERR no such message");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("STAT")).startsWith("+OK 4 ");
        }
    }

    @Test
    void wrongPasswordAndUnknownUserGetTheSameAnswer() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("USER alice")).startsWith("+OK");
            String wrong = c.cmd("PASS wrong");
            assertThat(c.cmd("USER nobody")).startsWith("+OK");
            String unknown = c.cmd("PASS wrong");
            assertThat(wrong).isEqualTo(unknown).isEqualTo("-ERR [AUTH] authentication failed");
            assertThat(c.cmd("PASS secret")).isEqualTo("-ERR send USER first");
            assertThat(c.cmd("STAT")).startsWith("-ERR");
        }
    }

    @Test
    void passwordMayContainSpaces() throws Exception {
        server.user("carol", "correct horse battery staple");
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("USER carol");
            assertThat(c.cmd("PASS correct horse battery staple")).startsWith("+OK carol's maildrop has 0 messages");
        }
    }

    @Test
    void argon2idUserCanLogIn() throws Exception {
        server.userWithScheme("dave", "s3cret!", "ARGON2ID");
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("USER dave");
            assertThat(c.cmd("PASS s3cret!")).startsWith("+OK");
        }
    }

    @Test
    void apopWorksForUsersWithACleartextSecret() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            String ts = timestamp(c.greeting());
            assertThat(c.cmd("APOP alice " + md5Hex(ts + "secret"))).startsWith("+OK alice's maildrop has 3");
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("APOP alice " + md5Hex("<other@x>" + "secret"))).isEqualTo("-ERR [AUTH] authentication failed");
        }
        server.userWithScheme("erin", "pw", "ARGON2ID");
        try (RawClient c = new RawClient(server.port())) {
            String ts = timestamp(c.greeting());
            assertThat(c.cmd("APOP erin " + md5Hex(ts + "pw"))).isEqualTo("-ERR [AUTH] authentication failed");
        }
    }

    @Test
    void apopIsRefusedOnAConnectionWhoseGreetingCarriedNoTimestamp() throws Exception {
        Path other = java.nio.file.Files.createDirectories(data.resolve("hashed-only"));
        try (TestServer hashed = new TestServer(other).userWithScheme("erin", "pw", "ARGON2ID")) {
            try (RawClient c = new RawClient(hashed.port())) {
                assertThat(c.greeting()).isEqualTo("+OK Postoffice POP3 server ready");
                hashed.user("alice", "secret"); // APOP is offered from now on, but not on this connection
                assertThat(c.cmd("APOP alice " + md5Hex("<1.2@test.invalid>secret")))
                        .isEqualTo("-ERR APOP is not available on this server");
            }
            try (RawClient c = new RawClient(hashed.port())) {
                String ts = timestamp(c.greeting());
                assertThat(c.cmd("APOP alice " + md5Hex(ts + "secret"))).startsWith("+OK");
            }
        }
    }

    @Test
    void commandsAreCaseInsensitive() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("user alice")).startsWith("+OK");
            assertThat(c.cmd("pass secret")).startsWith("+OK");
            assertThat(c.cmd("stat")).startsWith("+OK 3 ");
            assertThat(c.cmd("Retr 1")).startsWith("+OK");
            c.multiline();
            assertThat(c.cmd("noop")).isEqualTo("+OK");
        }
    }

    @Test
    void commandsInTheWrongStateAreRefused() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            for (String cmd : new String[] {"STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL"}) {
                assertThat(c.cmd(cmd)).as(cmd).startsWith("-ERR ").contains("only valid after login");
            }
            c.login("alice", "secret");
            assertThat(c.cmd("USER alice")).startsWith("-ERR");
            assertThat(c.cmd("PASS secret")).startsWith("-ERR");
            assertThat(c.cmd("APOP alice 0123456789abcdef0123456789abcdef")).startsWith("-ERR");
            assertThat(c.cmd("STAT")).startsWith("+OK 3 ");
        }
    }

    @Test
    void invalidMessageNumbersAndArguments() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("RETR 0")).isEqualTo("-ERR invalid message number");
            assertThat(c.cmd("RETR -1")).isEqualTo("-ERR invalid message number");
            assertThat(c.cmd("RETR 4")).isEqualTo("-ERR no such message");
            assertThat(c.cmd("RETR 99999999999")).isEqualTo("-ERR invalid message number");
            assertThat(c.cmd("RETR")).isEqualTo("-ERR RETR needs a message number");
            assertThat(c.cmd("STAT 1")).isEqualTo("-ERR STAT takes no arguments");
            assertThat(c.cmd("LIST 1 2")).isEqualTo("-ERR too many arguments for LIST");
            assertThat(c.cmd("TOP 1")).startsWith("-ERR");
            assertThat(c.cmd("LAST")).startsWith("-ERR").contains("UIDL");
            assertThat(c.cmd("STAT")).startsWith("+OK 3 ");
        }
    }

    @Test
    void capaListsTheCapabilities() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("CAPA")).startsWith("+OK");
            assertThat(c.multiline()).contains("TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE")
                    .anyMatch(l -> l.startsWith("IMPLEMENTATION "));
            c.login("alice", "secret");
            assertThat(c.cmd("CAPA")).startsWith("+OK");
            assertThat(c.multiline()).contains("TOP", "UIDL", "RESP-CODES", "PIPELINING").doesNotContain("USER");
        }
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            c.send("USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 3\r\nNOOP\r\nBOGUS\r\nQUIT\r\n");
            assertThat(c.line()).startsWith("+OK");
            assertThat(c.line()).startsWith("+OK alice's maildrop");
            assertThat(c.line()).startsWith("+OK 3 ");
            assertThat(c.line()).startsWith("+OK 3 messages");
            assertThat(c.multiline()).hasSize(3);
            assertThat(c.line()).startsWith("+OK 1 ");
            assertThat(c.line()).startsWith("+OK");
            assertThat(c.multiline()).contains("no final newline");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("-ERR unknown command");
            assertThat(c.line()).startsWith("+OK");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void commandsSplitAcrossPacketsAndBareLfAreAccepted() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            c.send("US");
            Thread.sleep(50);
            c.send("ER ali");
            Thread.sleep(50);
            c.send("ce\r");
            Thread.sleep(50);
            c.send("\n");
            assertThat(c.line()).startsWith("+OK");
            assertThat(c.cmd("PASS secret")).startsWith("+OK");
            c.send("STAT\n");
            assertThat(c.line()).startsWith("+OK 3 ");
        }
    }

    @Test
    void overlongLinesGetAnErrorAndTheSessionGoesOn() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("USER " + "a".repeat(300))).startsWith("-ERR line too long");
            assertThat(c.cmd("USER " + "a".repeat(248))).startsWith("+OK"); // 5 + 248 + 2 = 255 octets
            assertThat(c.cmd("NOOP")).startsWith("-ERR"); // a valid command, wrong state
            c.login("alice", "secret");
            assertThat(c.cmd("STAT")).startsWith("+OK 3 ");
        }
    }

    @Test
    void endlessLineClosesTheConnection() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            byte[] junk = new byte[ServerConfig.HARD_LINE_LIMIT + 10_000];
            java.util.Arrays.fill(junk, (byte) 'x');
            c.sendBytes(junk);
            assertThat(c.line()).isEqualTo("-ERR line too long, closing the connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void garbageAndNulBytesGetErrorsAndTooManyCloseTheConnection() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            c.sendBytes(new byte[] {'S', 'T', 0, 'T', '\r', '\n'});
            assertThat(c.line()).isEqualTo("-ERR NUL byte in command line");
            c.sendBytes(new byte[] {(byte) 0x16, 0x03, 0x01, 0x02, '\r', '\n'});
            assertThat(c.line()).isEqualTo("-ERR unknown command");
            c.sendBytes("USER \u00ff\u00fe\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertThat(c.line()).isEqualTo("-ERR command line is not valid UTF-8");
            for (int i = 4; i < 10; i++) {
                assertThat(c.cmd("GARBAGE" + i)).isEqualTo("-ERR unknown command");
            }
            assertThat(c.cmd("GARBAGE")).isEqualTo(
                    "-ERR unknown command; too many invalid commands, closing the connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aValidCommandResetsTheInvalidCommandStreak() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 9; i++) {
                    assertThat(c.cmd("BAD")).isEqualTo("-ERR unknown command");
                }
                assertThat(c.cmd("CAPA")).startsWith("+OK");
                c.multiline();
            }
        }
    }

    @Test
    void idleSessionIsLoggedOutWithoutUpdate() throws Exception {
        server.close();
        server = new TestServer(data, c -> c.idleTimeout(Duration.ofMillis(700)));
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            c.cmd("DELE 1");
            assertThat(c.line()).startsWith("-ERR autologout");
            assertThat(c.closedByServer()).isTrue();
        }
        awaitNoSessions();
        assertThat(server.storedCount("alice")).isEqualTo(3);
    }

    @Test
    void shutdownClosesSessionsWithoutUpdate() throws Exception {
        RawClient c = new RawClient(server.port()).login("alice", "secret");
        c.cmd("DELE 1");
        server.server.close();
        assertThat(c.closedByServer()).isTrue();
        c.close();
        assertThat(server.storedCount("alice")).isEqualTo(3);
        server.start();
    }

    @Test
    void aFailedRemovalAnswersSysTempAndLosesNothing() throws Exception {
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            c.cmd("DELE 1");
            c.cmd("DELE 2");
            // Make message 1 impossible to unlink: replace its file with a non-empty directory.
            Path newDir = data.resolve("home/alice/Maildir/new");
            Path first;
            try (var files = java.nio.file.Files.list(newDir)) {
                first = files.filter(f -> !f.getFileName().toString().startsWith("9999999999")).sorted().findFirst()
                        .orElseThrow();
            }
            byte[] saved = java.nio.file.Files.readAllBytes(first);
            java.nio.file.Files.delete(first);
            java.nio.file.Files.createDirectories(first.resolve("blocker"));
            assertThat(c.cmd("QUIT")).startsWith("-ERR [SYS/TEMP] ");
            java.nio.file.Files.delete(first.resolve("blocker"));
            java.nio.file.Files.delete(first);
            java.nio.file.Files.write(first, saved);
        }
        awaitNoSessions();
        assertThat(server.storedCount("alice")).isEqualTo(2); // message 2 removed, message 1 still there
    }

    @Test
    void quitReleasesTheLockBeforeAnswering() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
                assertThat(c.cmd("QUIT")).startsWith("+OK");
            }
        }
    }

    @Test
    void aClientThatStopsReadingIsDisconnectedAfterTheIdleTimeout() throws Exception {
        server.close();
        server = new TestServer(data, c -> c.idleTimeout(Duration.ofSeconds(1)));
        byte[] big = new byte[32 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        for (int i = 99; i < big.length; i += 100) {
            big[i] = '\n';
        }
        server.deliver("bob", big);
        RawClient c = new RawClient(server.port()).login("bob", "hunter2");
        c.socket().setReceiveBufferSize(4096);
        c.send("RETR 1\r\n"); // and never read the answer
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (server.server.sessionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(server.server.sessionCount()).isZero();
        c.close();
    }

    static String timestamp(String greeting) {
        return greeting.substring(greeting.indexOf('<'), greeting.indexOf('>') + 1);
    }

    static String md5Hex(String s) throws Exception {
        return java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private void awaitNoSessions() throws InterruptedException {
        awaitNoSessionsExcept(0);
    }

    private void awaitNoSessionsExcept(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.server.sessionCount() > n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.server.sessionCount()).isLessThanOrEqualTo(n);
    }
}
