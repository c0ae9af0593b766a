package dev.postoffice.lmtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.Usage;
import dev.postoffice.testkit.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Quotas at RCPT and at the end of data, tempfail or not, and the Unix socket listener. */
class LmtpQuotaTest {
    private static final String MESSAGE = "Subject: q\r\n\r\n" + "x".repeat(100) + "\r\n";

    @TempDir
    Path dir;
    LmtpFixture f;

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    private LmtpFixture fixture(boolean tempfail) throws IOException {
        f = new LmtpFixture(dir, "alice:{PLAIN}a", "bob:{PLAIN}b::::::quota_bytes=600 quota_messages=0",
                "carol:{PLAIN}c::::::quota_messages=1");
        return f.start(f.config().withQuota(new Quota(0, 50, false), tempfail));
    }

    private static String send(RawClient c, String... rcpts) throws IOException {
        c.cmd("MAIL FROM:<a@b.test>");
        StringBuilder answers = new StringBuilder();
        int accepted = 0;
        for (String r : rcpts) {
            String a = c.cmd("RCPT TO:<" + r + ">");
            answers.append(a).append('\n');
            accepted += a.startsWith("250") ? 1 : 0;
        }
        if (accepted == 0) {
            c.cmd("RSET");
            return answers.toString();
        }
        c.cmd("DATA");
        c.send(MESSAGE + ".\r\n");
        for (int i = 0; i < accepted; i++) {
            answers.append(c.line()).append('\n');
        }
        return answers.toString();
    }

    @Test
    void theMessageThatWouldCrossTheLimitIsRefusedAtTheEndOfData() throws Exception {
        fixture(false);
        try (RawClient c = new RawClient(f.port())) {
            c.send("LHLO t\r\n");
            while (c.line().startsWith("250-")) {
                // capabilities
            }
            // Stored copies are 277 octets (two recipients) and 308 (one, with Delivered-To): bob's 600 take two.
            assertThat(send(c, "bob", "alice")).contains("250 2.0.0 <bob>").contains("250 2.0.0 <alice>");
            assertThat(send(c, "bob")).contains("250 2.0.0 <bob>");
            assertThat(send(c, "bob", "alice")).as("585 used: accepted at RCPT, refused after the dot")
                    .contains("552 5.2.2 <bob>").contains("250 2.0.0 <alice>");
            assertThat(send(c, "carol")).contains("250 2.0.0 <carol>");
            assertThat(send(c, "carol")).contains("552 5.2.2 <carol>");
        }
        assertThat(f.messages("bob")).hasSize(2);
        assertThat(f.store.usage(MailboxRef.of("bob"))).isEqualTo(new Usage(585, 2));
        assertThat(f.messages("alice").get(0)).contains("\t(envelope-from <a@b.test>); ");
        assertThat(f.messages("alice")).hasSize(2);
        assertThat(f.store.usage(MailboxRef.of("carol")).messages()).isEqualTo(1);
    }

    @Test
    void sizeAtRcptAndTempfail() throws Exception {
        fixture(true);
        try (RawClient c = new RawClient(f.port())) {
            c.send("LHLO t\r\n");
            while (c.line().startsWith("250-")) {
                // capabilities
            }
            c.cmd("MAIL FROM:<a@b.test> SIZE=700");
            assertThat(c.cmd("RCPT TO:<bob>")).startsWith("452 4.2.2 <bob>");
            assertThat(c.cmd("RCPT TO:<alice>")).isEqualTo("250 2.1.5 Ok");
            c.cmd("RSET");
            assertThat(send(c, "bob")).contains("250 2.0.0 <bob>");
            // No SIZE: accepted at RCPT (about 300 of 600 used), refused with a tempfail at the end of data.
            c.cmd("MAIL FROM:<a@b.test>");
            assertThat(c.cmd("RCPT TO:<bob>")).isEqualTo("250 2.1.5 Ok");
            c.cmd("DATA");
            c.send("Subject: big\r\n\r\n" + "y".repeat(400) + "\r\n.\r\n");
            assertThat(c.line()).startsWith("452 4.2.2 <bob>");
        }
        Usage before = f.store.usage(MailboxRef.of("bob"));
        assertThat(before.messages()).isEqualTo(1);
        // A POP3 UPDATE frees the space: the usage follows without a listing, and the retry goes through.
        try (Maildrop drop = f.store.open(MailboxRef.of("bob"))) {
            drop.commit(drop.messages(), List.of(), Instant.now());
        }
        assertThat(f.store.usage(MailboxRef.of("bob"))).isEqualTo(Usage.EMPTY);
        try (RawClient c = new RawClient(f.port())) {
            c.send("LHLO t\r\n");
            while (c.line().startsWith("250-")) {
                // capabilities
            }
            assertThat(send(c, "bob")).contains("250 2.0.0 <bob>");
        }
    }

    @Test
    void theUnixSocketListenerDelivers() throws Exception {
        f = new LmtpFixture(dir, "alice:{PLAIN}a");
        Path socket = dir.resolve("lmtp.sock");
        try (LmtpServer server = LmtpServer.listen(socket, f.config(), new dev.postoffice.auth.PasswdFile(
                dir.resolve("users")), f.store, f.scheduler);
                SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            out.write(("LHLO t\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<alice>\r\nDATA\r\n" + MESSAGE + ".\r\nQUIT\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String replies = new String(readAll(in), StandardCharsets.US_ASCII);
            assertThat(replies).contains("250 2.1.5 Ok\r\n354 ").contains("250 2.0.0 <alice>").endsWith("221 2.0.0 lmtp.test closing connection\r\n");
            assertThat(replies).contains("250 2.1.0 Ok");
        }
        assertThat(LmtpFixture.withoutTrace(f.messages("alice").get(0))).isEqualTo(MESSAGE);
        assertThat(f.messages("alice").get(0)).contains("Received: from t (local)");
        assertThat(socket).doesNotExist();
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }
}
