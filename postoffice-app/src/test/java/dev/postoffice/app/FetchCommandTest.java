package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code postoffice fetch} in-process against a real server: targets, password sources, config, exit codes. */
class FetchCommandTest {
    @TempDir
    Path dir;
    FetchServer server;
    Path pw;

    @BeforeEach
    void start() throws Exception {
        server = new FetchServer(dir.resolve("server")).user("alice", "secret").user("bob", "secret");
        server.deliver("alice", "Subject: a1\r\n\r\nFrom the start\r\n>From quoted\r\n.dot\r\n".getBytes(StandardCharsets.UTF_8));
        server.deliver("alice", "Subject: a2\r\n\r\nsecond\r\n".getBytes(StandardCharsets.UTF_8));
        server.deliver("bob", "Subject: b1\r\n\r\nfor bob\r\n".getBytes(StandardCharsets.UTF_8));
        pw = dir.resolve("pw");
        Files.writeString(pw, "secret\n");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    String state(String name) {
        return dir.resolve("state").resolve(name).toString();
    }

    @Test
    void exitCodesTellCronWhatHappened() throws Exception {
        Path md = dir.resolve("Mail");
        String[] args = {"fetch", server.url("alice"), "--maildir", md.toString(), "--password-file", pw.toString(),
            "--state", state("a"), "-q"};
        assertThat(Main.run(args)).isEqualTo(FetchCommand.NEW_MAIL);
        assertThat(Main.run(args)).isEqualTo(FetchCommand.NOTHING_NEW);
        Files.writeString(pw, "wrong\n");
        assertThat(Main.run(args)).isEqualTo(FetchCommand.PERMANENT);
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        assertThat(Main.run("fetch", "pop3://alice@127.0.0.1:" + closedPort + "/", "--maildir", md.toString(),
                "--password-file", pw.toString(), "--state", state("c"), "-q")).isEqualTo(FetchCommand.TEMPORARY);
        assertThat(Main.run("fetch", "imap://alice@h/", "--maildir", md.toString())).isEqualTo(2);
        assertThat(Main.run("fetch", server.url("alice"))).isEqualTo(2); // no target
    }

    @Test
    void maxSizeLeavesTheLargeMessageWithOneNoteUntilTheLimitIsRaised() throws Exception {
        Path mbox = dir.resolve("mbox");
        String[] limited = {"fetch", server.url("alice"), "--mbox", mbox.toString(), "--password-file", pw.toString(),
            "--state", state("a"), "--max-size", "40", "-q"};
        assertThat(Main.run(limited)).isEqualTo(FetchCommand.NEW_MAIL); // a2, and the note about a1 (51 octets)
        String text = Files.readString(mbox);
        assertThat(text).contains("Subject: a2\n").doesNotContain("From the start")
                .contains("Subject: [left on the server: 51 B] a1\n").contains("  Size:    51 octets\n")
                .contains("--max-size 1k");
        assertThat(server.stored("alice")).isEqualTo(1);
        assertThat(Main.run(limited)).isEqualTo(FetchCommand.NOTHING_NEW); // noted once
        assertThat(Files.readString(mbox)).isEqualTo(text);
        assertThat(Main.run("fetch", server.url("alice"), "--mbox", mbox.toString(), "--password-file", pw.toString(),
                "--state", state("a"), "--max-size", "1k", "-q")).isEqualTo(FetchCommand.NEW_MAIL);
        assertThat(Files.readString(mbox)).contains("\n\n>From the start\n").contains("Subject: a1\n");
        assertThat(server.stored("alice")).isZero();
    }

    @Test
    void mboxrdQuotesFromLinesAndAppendsOnce() throws Exception {
        Path mbox = dir.resolve("mbox");
        String[] args = {"fetch", server.url("alice"), "--mbox", mbox.toString(), "--password-command", "echo secret",
            "--state", state("a"), "--keep", "-q"};
        assertThat(Main.run(args)).isEqualTo(0);
        assertThat(Main.run(args)).isEqualTo(1);
        String text = Files.readString(mbox);
        assertThat(text).startsWith("From MAILER-DAEMON ");
        assertThat(text).contains("\n\n>From the start\n>>From quoted\n.dot\n\n");
        assertThat(text.split("\nFrom MAILER-DAEMON ", -1)).hasSize(2);
        assertThat(text).contains("Subject: a2\n\nsecond\n\n");
        assertThat(Files.exists(Path.of(mbox + ".lock"))).isFalse();
        assertThat(server.stored("alice")).isEqualTo(2);
    }

    @Test
    void anLmtpTargetDeliversIntoThePostofficeListener() throws Exception {
        DataDir data = new DataDir(dir.resolve("lmtp-data")).create();
        data.users().add("carol", dev.postoffice.auth.PasswordSchemes.encode("PLAIN", "secret"));
        ServerSettings settings = new ServerSettings();
        settings.set("lmtp", "127.0.0.1:0");
        dev.postoffice.server.ServerConfig cfg = dev.postoffice.server.ServerConfig.builder()
                .pop3Listen(new java.net.InetSocketAddress("127.0.0.1", 0)).hostname("localhost")
                .authFailureDelay(java.time.Duration.ZERO).authFailureDelayMax(java.time.Duration.ZERO).build();
        try (Service local = ServeCommand.start(cfg, data, new LmtpSettings(settings),
                dev.postoffice.server.ServerMetrics.NONE)) {
            String lmtp = "127.0.0.1:" + local.lmtp().port();
            assertThat(Main.run("fetch", server.url("alice"), "--lmtp", lmtp, "--lmtp-recipient", "carol",
                    "--password-file", pw.toString(), "--state", state("a"), "-q")).isEqualTo(0);
            assertThat(server.stored("alice")).isZero();
            java.util.List<String> bodies = new java.util.ArrayList<>();
            try (dev.postoffice.testkit.RawClient c = new dev.postoffice.testkit.RawClient(local.port())) {
                c.login("carol", "secret");
                for (int i = 1; i <= 2; i++) {
                    assertThat(c.cmd("RETR " + i)).startsWith("+OK");
                    bodies.add(String.join("\n", c.multiline()));
                }
                assertThat(c.cmd("RETR 3")).startsWith("-ERR");
            }
            assertThat(bodies).anyMatch(b -> b.contains("Subject: a1") && b.endsWith("From the start\n>From quoted\n..dot"));
            assertThat(bodies).anyMatch(b -> b.contains("Subject: a2") && b.endsWith("\nsecond"));

            // An unknown recipient is refused at RCPT: nothing is deleted on the server, the run fails.
            assertThat(Main.run("fetch", server.url("bob"), "--lmtp", lmtp, "--lmtp-recipient", "nobody",
                    "--password-file", pw.toString(), "--state", state("b"), "-q")).isNotZero();
            assertThat(server.stored("bob")).isEqualTo(1);
        }
    }

    @Test
    void anMdaGetsEachMessageOnItsStandardInput() throws Exception {
        Path out = Files.createDirectories(dir.resolve("mda"));
        String cmd = "cat > " + out + "/$POSTOFFICE_FETCH_KEY";
        assertThat(Main.run("fetch", server.url("alice"), "--mda", cmd, "--password-file", pw.toString(),
                "--state", state("a"), "-q")).isEqualTo(0);
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> {
                try {
                    return Files.readString(p);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList()).containsExactlyInAnyOrder("Subject: a1\n\nFrom the start\n>From quoted\n.dot\n",
                    "Subject: a2\n\nsecond\n");
        }
        assertThat(server.stored("alice")).isZero();
        assertThat(Main.run("fetch", server.url("bob"), "--mda", "exit 75", "--password-file", pw.toString(),
                "--state", state("b"), "-q")).isEqualTo(FetchCommand.TEMPORARY);
        assertThat(server.stored("bob")).isEqualTo(1);
    }

    @Test
    void aConfigFileFetchesSeveralAccountsInParallel() throws Exception {
        Path conf = dir.resolve("fetch.conf");
        Files.writeString(conf, String.join("\n",
                "# two accounts",
                "[alice]",
                "url = " + server.url("alice"),
                "maildir = " + dir.resolve("Mail/alice"),
                "password-file = " + pw,
                "state = " + state("alice"),
                "",
                "[bob]",
                "url = " + server.url("bob"),
                "maildir = " + dir.resolve("Mail/bob"),
                "password-command = printf 'secret\\n'",
                "state = " + state("bob"),
                "keep = 7d",
                ""));
        assertThat(Main.run("fetch", "--config", conf.toString(), "-q")).isEqualTo(0);
        try (Stream<Path> a = Files.list(dir.resolve("Mail/alice/new")); Stream<Path> b = Files.list(dir.resolve("Mail/bob/new"))) {
            assertThat(a.count()).isEqualTo(2);
            assertThat(b.count()).isEqualTo(1);
        }
        assertThat(server.stored("alice")).isZero();
        assertThat(server.stored("bob")).isEqualTo(1);
        assertThat(Main.run("fetch", "--config", conf.toString(), "-q")).isEqualTo(1);
        Files.writeString(conf, "[x]\nurl = pop3://a@h/\nfolder = INBOX\n");
        assertThat(Main.run("fetch", "--config", conf.toString())).isEqualTo(2);
    }
}
