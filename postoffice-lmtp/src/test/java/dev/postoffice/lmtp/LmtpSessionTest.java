package dev.postoffice.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.server.tls.TlsSettings;
import dev.postoffice.testkit.RawClient;
import dev.postoffice.testkit.TlsClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 2033 over a real socket, with a byte-exact client, into a real Maildir. */
class LmtpSessionTest {
    @TempDir
    Path dir;
    LmtpFixture f;

    @BeforeEach
    void start() throws IOException {
        f = new LmtpFixture(dir, "alice:{PLAIN}a", "bob@example.org:{PLAIN}b").start(
                LmtpConfig.defaults("lmtp.test", dir.resolve("spool")));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private RawClient lhlo() throws IOException {
        RawClient c = new RawClient(f.port());
        assertThat(c.greeting()).startsWith("220 lmtp.test ");
        c.send("LHLO mta.test\r\n");
        List<String> lines = readMulti(c);
        assertThat(lines.get(lines.size() - 1)).startsWith("250 ");
        return c;
    }

    private static List<String> readMulti(RawClient c) throws IOException {
        List<String> lines = new ArrayList<>();
        String l;
        do {
            l = c.line();
            lines.add(l);
        } while (l.charAt(3) == '-');
        return lines;
    }

    @Test
    void lhloAdvertisesTheExtensionsAndHeloIsRefused() throws Exception {
        try (RawClient c = new RawClient(f.port())) {
            assertThat(c.cmd("EHLO mta.test")).startsWith("500 5.5.1");
            assertThat(c.cmd("HELO mta.test")).startsWith("500 5.5.1");
            assertThat(c.cmd("MAIL FROM:<a@b>")).startsWith("503 5.5.1");
            c.send("LHLO mta.test\r\n");
            assertThat(readMulti(c)).containsExactly("250-lmtp.test", "250-PIPELINING", "250-ENHANCEDSTATUSCODES",
                    "250-8BITMIME", "250-SIZE " + LmtpConfig.DEFAULT_MAX_MESSAGE_SIZE, "250-CHUNKING", "250 SMTPUTF8");
            assertThat(c.cmd("VRFY alice")).startsWith("252 2.5.0");
            assertThat(c.cmd("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.cmd("FROB")).startsWith("500 5.5.2");
            assertThat(c.cmd("QUIT")).startsWith("221 2.0.0");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void oneReplyPerAcceptedRecipientAfterTheDot() throws Exception {
        try (RawClient c = lhlo()) {
            assertThat(c.cmd("MAIL FROM:<sender@remote.test> BODY=8BITMIME SIZE=100")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.cmd("RCPT TO:<alice@example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.cmd("RCPT TO:<nobody@example.org>")).startsWith("550 5.1.1 <nobody@example.org>");
            assertThat(c.cmd("RCPT TO:<bob+lists@example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.cmd("DATA")).startsWith("354 ");
            c.send("Subject: hi\r\n\r\nhello\r\n.\r\n");
            assertThat(c.line()).startsWith("250 2.0.0 <alice@example.org>");
            assertThat(c.line()).startsWith("250 2.0.0 <bob+lists@example.org>");
        }
        String alice = f.messages("alice").get(0);
        assertThat(alice).startsWith("Return-Path: <sender@remote.test>\r\nReceived: from mta.test ([127.0.0.1])\r\n"
                + "\tby lmtp.test with LMTP id ").doesNotContain("Delivered-To");
        assertThat(LmtpFixture.withoutTrace(alice)).isEqualTo("Subject: hi\r\n\r\nhello\r\n");
        assertThat(LmtpFixture.withoutTrace(f.messages("bob@example.org").get(0))).isEqualTo("Subject: hi\r\n\r\nhello\r\n");
    }

    @Test
    void aSingleRecipientGetsDeliveredToAndADuplicateIsDeliveredOnce() throws Exception {
        try (RawClient c = lhlo()) {
            c.cmd("MAIL FROM:<>");
            assertThat(c.cmd("RCPT TO:<alice+x@example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.cmd("RCPT TO:<alice@example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.cmd("DATA")).startsWith("354 ");
            c.send("Subject: dup\r\n\r\nx\r\n.\r\n");
            assertThat(c.line()).startsWith("250 2.0.0 <alice+x@example.org>");
            assertThat(c.line()).startsWith("250 2.0.0 <alice@example.org>");
            c.cmd("MAIL FROM:<s@r.test>");
            c.cmd("RCPT TO:<alice+news@example.org>");
            c.cmd("DATA");
            c.send("Subject: one\r\n\r\nx\r\n.\r\n");
            assertThat(c.line()).startsWith("250 2.0.0");
        }
        List<String> got = f.messages("alice");
        assertThat(got).hasSize(2);
        assertThat(got.get(0)).startsWith("Return-Path: <>\r\nDelivered-To: alice+x@example.org\r\n");
        assertThat(got.get(1)).startsWith("Return-Path: <s@r.test>\r\nDelivered-To: alice+news@example.org\r\n")
                .contains("\tfor <alice+news@example.org>; ");
    }

    @Test
    void sequenceErrors() throws Exception {
        try (RawClient c = lhlo()) {
            assertThat(c.cmd("RCPT TO:<alice>")).startsWith("503 5.5.1");
            assertThat(c.cmd("DATA")).startsWith("503 5.5.1");
            c.cmd("MAIL FROM:<a@b.test>");
            assertThat(c.cmd("MAIL FROM:<a@b.test>")).startsWith("503 5.5.1");
            assertThat(c.cmd("RCPT TO:<nobody>")).startsWith("550 5.1.1");
            assertThat(c.cmd("DATA")).as("no accepted recipient").startsWith("503 5.5.1");
            assertThat(c.cmd("RCPT TO:alice")).startsWith("501 5.1.3");
            assertThat(c.cmd("MAIL FROM:<a@b.test> SIZE=1")).as("still in the transaction").startsWith("503");
            assertThat(c.cmd("RSET")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.cmd("MAIL FROM:<a@b.test> FOO=1")).startsWith("555 5.5.4");
            assertThat(c.cmd("MAIL FROM:<a@b.test> SIZE=999999999999")).startsWith("552 5.3.4");
            assertThat(c.cmd("MAIL FROM:<a@b.test>")).isEqualTo("250 2.1.0 Ok");
        }
        assertThat(f.messages("alice")).isEmpty();
    }

    @Test
    void theEndOfDataIsExactlyCrLfDotCrLf() throws Exception {
        try (RawClient c = lhlo()) {
            c.cmd("MAIL FROM:<a@b.test>");
            c.cmd("RCPT TO:<alice>");
            c.cmd("DATA");
            // A bare LF before ".CRLF" is not the end (SMTP smuggling); "..x" is unstuffed; bare CR and LF kept as
            // line ends, stored canonically.
            c.send("Subject: s\r\n\r\nline\n.\r\nMAIL FROM:<evil@x>\r\n..dotted\r\nbare\rcr\r\n.\r\n");
            assertThat(c.line()).startsWith("250 2.0.0 <alice>");
            assertThat(c.cmd("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
        assertThat(LmtpFixture.withoutTrace(f.messages("alice").get(0)))
                .isEqualTo("Subject: s\r\n\r\nline\r\n.\r\nMAIL FROM:<evil@x>\r\n.dotted\r\nbare\r\ncr\r\n");
    }

    @Test
    void bdatChunksAreStoredAsSent() throws Exception {
        String part1 = "Subject: chunked\r\n\r\n.leading dot";
        String part2 = " stays\r\nbare\nlf\r\n";
        try (RawClient c = lhlo()) {
            c.cmd("MAIL FROM:<a@b.test>");
            c.cmd("RCPT TO:<alice>");
            c.cmd("RCPT TO:<bob@example.org>");
            c.send("BDAT " + part1.length() + "\r\n" + part1);
            assertThat(c.line()).isEqualTo("250 2.0.0 " + part1.length() + " octets received");
            c.send("BDAT " + part2.length() + " LAST\r\n" + part2);
            assertThat(c.line()).startsWith("250 2.0.0 <alice>");
            assertThat(c.line()).startsWith("250 2.0.0 <bob@example.org>");
            c.send("BDAT 3 LAST\r\nabc");
            assertThat(c.line()).as("no transaction").startsWith("503 5.5.1");
            assertThat(c.cmd("NOOP")).as("the chunk was consumed").isEqualTo("250 2.0.0 Ok");
        }
        assertThat(LmtpFixture.withoutTrace(f.messages("alice").get(0)))
                .isEqualTo("Subject: chunked\r\n\r\n.leading dot stays\r\nbare\r\nlf\r\n");
    }

    @Test
    void pipelinedTransactionsAreAnsweredInOrder() throws Exception {
        try (RawClient c = new RawClient(f.port())) {
            StringBuilder batch = new StringBuilder("LHLO mta.test\r\n");
            for (int i = 0; i < 3; i++) {
                batch.append("MAIL FROM:<a@b.test>\r\nRCPT TO:<alice>\r\nRCPT TO:<nobody>\r\nDATA\r\n");
                batch.append("Subject: ").append(i).append("\r\n\r\nbody ").append(i).append("\r\n.\r\n");
            }
            c.send(batch + "QUIT\r\n");
            readMulti(c);
            for (int i = 0; i < 3; i++) {
                assertThat(c.line()).isEqualTo("250 2.1.0 Ok");
                assertThat(c.line()).isEqualTo("250 2.1.5 Ok");
                assertThat(c.line()).startsWith("550 5.1.1");
                assertThat(c.line()).startsWith("354 ");
                assertThat(c.line()).startsWith("250 2.0.0 <alice>");
            }
            assertThat(c.line()).startsWith("221 ");
        }
        assertThat(f.messages("alice")).extracting(LmtpFixture::withoutTrace)
                .containsExactly("Subject: 0\r\n\r\nbody 0\r\n", "Subject: 1\r\n\r\nbody 1\r\n", "Subject: 2\r\n\r\nbody 2\r\n");
    }

    @Test
    void aMessageOverTheSizeLimitIsRefusedForEachRecipient() throws Exception {
        f.close();
        f = new LmtpFixture(dir, "alice:{PLAIN}a", "bob:{PLAIN}b").start(
                LmtpConfig.defaults("lmtp.test", dir.resolve("spool")).withLimits(100, 100, "+"));
        try (RawClient c = lhlo()) {
            c.cmd("MAIL FROM:<a@b.test>");
            c.cmd("RCPT TO:<alice>");
            c.cmd("RCPT TO:<bob>");
            c.cmd("DATA");
            c.send("Subject: big\r\n\r\n" + "x".repeat(200) + "\r\n.\r\n");
            assertThat(c.line()).startsWith("552 5.3.4 <alice>");
            assertThat(c.line()).startsWith("552 5.3.4 <bob>");
            assertThat(c.cmd("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
        assertThat(f.messages("alice")).isEmpty();
    }

    @Test
    void aStorageFailureIsTemporaryForThatRecipientOnly() throws Exception {
        f.close();
        f = new LmtpFixture(dir, "alice:{PLAIN}a", "carol:{PLAIN}c::::" + dir.resolve("not-mounted"))
                .start(LmtpConfig.defaults("lmtp.test", dir.resolve("spool")));
        try (RawClient c = lhlo()) {
            c.cmd("MAIL FROM:<a@b.test>");
            c.cmd("RCPT TO:<carol>");
            c.cmd("RCPT TO:<alice>");
            c.cmd("DATA");
            c.send("Subject: x\r\n\r\nx\r\n.\r\n");
            assertThat(c.line()).startsWith("451 4.3.0 <carol>");
            assertThat(c.line()).startsWith("250 2.0.0 <alice>");
        }
        assertThat(f.messages("alice")).hasSize(1);
    }

    @Test
    void aLargeMessageIsSpooledAndDeliveredWhole() throws Exception {
        StringBuilder m = new StringBuilder("Subject: large\r\n\r\n");
        while (m.length() < 3 * Spool.MEMORY_LIMIT) {
            m.append("line ").append(m.length()).append(" of a large message\r\n");
        }
        try (RawClient c = lhlo()) {
            c.cmd("MAIL FROM:<a@b.test>");
            c.cmd("RCPT TO:<alice>");
            c.cmd("RCPT TO:<bob@example.org>");
            c.cmd("DATA");
            c.send(m + ".\r\n");
            assertThat(c.line()).startsWith("250 2.0.0");
            assertThat(c.line()).startsWith("250 2.0.0");
        }
        assertThat(LmtpFixture.withoutTrace(f.messages("alice").get(0))).isEqualTo(m.toString());
        assertThat(LmtpFixture.withoutTrace(f.messages("bob@example.org").get(0))).isEqualTo(m.toString());
        assertThat(dir.resolve("spool")).isEmptyDirectory();
    }

    @Test
    void aSpooledMessageHasNoNameInTheSpoolDirectorySoAKillLeavesNothingBehind() throws Exception {
        String line = "a line of a message that goes to the spool file\r\n";
        try (RawClient c = lhlo()) {
            c.cmd("MAIL FROM:<a@b.test>");
            c.cmd("RCPT TO:<alice>");
            c.cmd("DATA");
            c.send("Subject: spooled\r\n\r\n" + line.repeat(2 * Spool.MEMORY_LIMIT / line.length()));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
            while (!spoolFileOpenAndUnlinked()) {
                assertThat(System.nanoTime()).as("a spool file open and already unlinked").isLessThan(deadline);
                Thread.sleep(20);
            }
            try (var names = java.nio.file.Files.list(dir.resolve("spool"))) {
                assertThat(names).as("mid-transaction, nothing a kill -9 would leave").isEmpty();
            }
            c.send(".\r\n");
            assertThat(c.line()).startsWith("250 2.0.0");
        }
        assertThat(LmtpFixture.withoutTrace(f.messages("alice").get(0))).endsWith(line);
    }

    /** Whether this process (the server runs in it) holds a spool file open whose name is gone. */
    private static boolean spoolFileOpenAndUnlinked() throws java.io.IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                    return target.contains("lmtp-") && target.endsWith(".spool (deleted)");
                } catch (java.io.IOException e) {
                    return false; // closed meanwhile
                }
            });
        }
    }

    @Test
    void anIdleClientGetsA421() throws Exception {
        f.close();
        f = new LmtpFixture(dir, "alice:{PLAIN}a").start(LmtpConfig.defaults("lmtp.test", dir.resolve("spool"))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)));
        try (RawClient c = lhlo()) {
            assertThat(c.line()).startsWith("421 4.4.2");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aClientThatSendsCommandsAndNeverReadsTheRepliesIsCutOff() throws Exception {
        // The session blocks writing replies nobody reads; shutting its input (the timeout's first step) cannot end
        // that write, and the session once stayed for good, holding a connection slot.
        f.close();
        f = new LmtpFixture(dir, "alice:{PLAIN}a").start(LmtpConfig.defaults("lmtp.test", dir.resolve("spool"))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)));
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", f.port())) {
            s.setReceiveBufferSize(4096);
            java.io.OutputStream out = s.getOutputStream();
            byte[] noops = "NOOP\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            long until = System.nanoTime() + 5_000_000_000L;
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    while (System.nanoTime() < until) {
                        out.write(noops); // blocks once both sides' buffers are full
                    }
                } catch (IOException e) {
                    // closed by the server: what the test waits for
                }
            });
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (f.server.sessionCount() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(f.server.sessionCount()).isEqualTo(1);
            while (f.server.sessionCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(f.server.sessionCount()).as("the session ended within its timeout and the grace after it")
                    .isZero();
            s.close();
            sender.join(10_000);
        }
    }

    @Test
    void startTlsStartsANewSessionOverTls() throws Exception {
        assertThat(lhloLines()).doesNotContain("250-STARTTLS");
        f.close();
        TlsManager tls = TlsManager.create(new TlsSettings(Optional.empty(), Optional.empty(), dir.resolve("tls"),
                "lmtp.test", Duration.ofSeconds(30)));
        f = new LmtpFixture(dir, "alice:{PLAIN}a").start(f.config(), tls::wrapForStls);
        try (RawClient c = new RawClient(f.port())) {
            assertThat(c.cmd("STARTTLS x")).startsWith("501 5.5.4");
            c.send("LHLO mta.test\r\n");
            assertThat(readMulti(c)).contains("250-STARTTLS");
            c.cmd("MAIL FROM:<a@b.test>");
            // Sent in cleartext after STARTTLS: dropped, never read as a command over TLS.
            c.send("STARTTLS\r\nRCPT TO:<alice>\r\n");
            assertThat(c.line()).startsWith("220 2.0.0");
            c.startTls(TlsClient.trusting(tls.certificatePath()));
            assertThat(c.cmd("MAIL FROM:<a@b.test>")).as("a new session: LHLO first").startsWith("503 5.5.1");
            c.send("LHLO mta.test\r\n");
            assertThat(readMulti(c)).doesNotContain("250-STARTTLS");
            assertThat(c.cmd("STARTTLS")).startsWith("502 5.5.1");
            c.cmd("MAIL FROM:<a@b.test>");
            assertThat(c.cmd("RCPT TO:<alice>")).isEqualTo("250 2.1.5 Ok");
            c.cmd("DATA");
            c.send("Subject: tls\r\n\r\nsecret\r\n.\r\n");
            assertThat(c.line()).startsWith("250 2.0.0 <alice>");
        }
        assertThat(LmtpFixture.withoutTrace(f.messages("alice").get(0))).isEqualTo("Subject: tls\r\n\r\nsecret\r\n");
    }

    private List<String> lhloLines() throws IOException {
        try (RawClient c = new RawClient(f.port())) {
            c.send("LHLO mta.test\r\n");
            return readMulti(c);
        }
    }

    @Test
    void tooManyBadCommandsCloseTheConnection() throws Exception {
        try (RawClient c = lhlo()) {
            for (int i = 1; i < LmtpSession.MAX_BAD_COMMANDS; i++) {
                assertThat(c.cmd("BOGUS")).startsWith("500 5.5.2");
            }
            assertThat(c.cmd("X".repeat(LmtpSession.MAX_LINE + 10))).startsWith("500 5.5.2 Line too long");
            assertThat(c.line()).startsWith("421 4.7.0");
            assertThat(c.closedByServer()).isTrue();
        }
    }
}
