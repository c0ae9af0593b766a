package dev.postoffice.server.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.protocol.Reply;
import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.server.tls.TlsSettings;
import dev.postoffice.storage.MailboxRef;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** USER, PASS, APOP, AUTH, STLS, CAPA, UTF8, LANG and QUIT before login, and the state rules of the table. */
class AuthorizationHandlersTest {
    private final TestContext ctx = new TestContext().user("alice", "secret");

    @Test
    void userThenPassLogsInAndLeasesTheMaildrop() throws Exception {
        ctx.deliver("alice", "Subject: x\n\nx\n");
        assertThat(ctx.wire("USER alice")).isEqualTo("+OK send PASS\r\n");
        assertThat(ctx.wire("PASS secret")).isEqualTo("+OK alice's maildrop has 1 messages (17 octets)\r\n");
        assertThat(ctx.state).isInstanceOf(SessionState.Transaction.class);
        assertThat(ctx.store.leased(MailboxRef.of("alice"))).isTrue();
    }

    @Test
    void passWithoutUserOrWithAWrongPasswordIsRefusedAndCounted() throws Exception {
        assertThat(ctx.wire("PASS secret")).isEqualTo("-ERR send USER first\r\n");
        ctx.run("USER alice");
        assertThat(ctx.wire("PASS wrong")).isEqualTo("-ERR [AUTH] authentication failed\r\n");
        assertThat(((SessionState.Authorization) ctx.state).failures()).isEqualTo(1);
        assertThat(ctx.wire("PASS secret")).as("the pending USER is gone").isEqualTo("-ERR send USER first\r\n");
        ctx.run("USER nobody");
        assertThat(ctx.wire("PASS secret")).isEqualTo("-ERR [AUTH] authentication failed\r\n");
        ctx.run("USER alice");
        assertThat(ctx.wire("PASS nope")).isEqualTo(
                "-ERR [AUTH] authentication failed; too many failures, closing the connection\r\n");
        assertThat(ctx.closedBecause).isEqualTo("too many authentication failures");
    }

    @Test
    void aMaildropInUseIsRefusedWithInUse() throws Exception {
        try (var held = ctx.store.open(MailboxRef.of("alice"))) {
            ctx.run("USER alice");
            assertThat(ctx.wire("PASS secret"))
                    .isEqualTo("-ERR [IN-USE] maildrop is locked by another session, try again later\r\n");
            assertThat(ctx.state).isInstanceOf(SessionState.Authorization.class);
        }
    }

    @Test
    void loginDelayIsKeptWithTheMaildrop() throws Exception {
        TestContext c = new TestContext(b -> b.loginDelay(Duration.ofMinutes(5))).user("alice", "secret");
        c.loggedIn("alice", "secret");
        c.run("QUIT");
        c.state = SessionState.Authorization.START;
        c.now = c.now.plusSeconds(60);
        c.run("USER alice");
        assertThat(c.wire("PASS secret")).isEqualTo("-ERR [LOGIN-DELAY] minimum time between logins is 300 seconds\r\n");
        assertThat(c.store.leased(MailboxRef.of("alice"))).as("the lease is given back").isFalse();
        c.now = c.now.plusSeconds(300);
        c.run("USER alice");
        assertThat(c.wire("PASS secret")).startsWith("+OK");
        assertThat(c.wire("CAPA")).contains("LOGIN-DELAY 300\r\n");
    }

    @Test
    void apopChecksTheDigestOfTheGreetingsTimestamp() throws Exception {
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                .digest((TestContext.TIMESTAMP + "secret").getBytes(StandardCharsets.US_ASCII)));
        assertThat(ctx.wire("APOP alice " + "0".repeat(32))).isEqualTo("-ERR [AUTH] authentication failed\r\n");
        assertThat(ctx.wire("APOP alice " + digest)).startsWith("+OK alice's maildrop has 0 messages");
    }

    @Test
    void cleartextSecretsAreRefusedFromAfarWithoutTls() throws Exception {
        TestContext remote = new TestContext(b -> b, Optional.empty(), InetAddress.getByName("192.0.2.1"))
                .user("alice", "secret");
        String refused = "-ERR [AUTH] plaintext authentication is not allowed on a connection without TLS; use STLS"
                + " or port 995\r\n";
        assertThat(remote.wire("USER alice")).isEqualTo(refused);
        assertThat(remote.wire("PASS secret")).isEqualTo(refused);
        assertThat(remote.wire("AUTH PLAIN")).isEqualTo(refused);
        assertThat(remote.wire("CAPA")).doesNotContain("\r\nUSER\r\n").doesNotContain("PLAIN");
        remote.secure = true;
        assertThat(remote.wire("USER alice")).isEqualTo("+OK send PASS\r\n");
    }

    @Test
    void authPlainWithAnInitialResponse() throws Exception {
        String initial = b64("\0alice\0secret");
        assertThat(ctx.wire("AUTH PLAIN " + initial)).startsWith("+OK alice's maildrop has 0 messages");
    }

    @Test
    void authLoginRunsAsChallengesAndResponses() throws Exception {
        Reply first = ctx.run("AUTH LOGIN");
        assertThat(first).isInstanceOf(Reply.Challenge.class);
        assertThat(((SessionState.Authorization) ctx.state).sasl()).isNotNull();
        assertThat(ctx.commands.saslResponse(ctx, b64("alice"))).isInstanceOf(Reply.Challenge.class);
        assertThat(TestContext.render(ctx.commands.saslResponse(ctx, b64("secret"))))
                .startsWith("+OK alice's maildrop");
    }

    @Test
    void cramMd5AgainstACleartextSecret() throws Exception {
        Reply challenge = ctx.run("AUTH CRAM-MD5");
        String text = new String(((Reply.Challenge) challenge).data(), StandardCharsets.US_ASCII);
        Mac mac = Mac.getInstance("HmacMD5");
        mac.init(new SecretKeySpec("secret".getBytes(StandardCharsets.UTF_8), "HmacMD5"));
        String digest = HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.US_ASCII)));
        assertThat(TestContext.render(ctx.commands.saslResponse(ctx, b64("alice " + digest))))
                .startsWith("+OK alice's maildrop");
    }

    @Test
    void anExchangeCanBeCancelledOrBroken() throws Exception {
        ctx.run("AUTH LOGIN");
        assertThat(TestContext.render(ctx.commands.saslResponse(ctx, "*"))).isEqualTo("-ERR authentication cancelled\r\n");
        assertThat(((SessionState.Authorization) ctx.state).sasl()).isNull();
        ctx.run("AUTH LOGIN");
        assertThat(TestContext.render(ctx.commands.saslResponse(ctx, "not base64!")))
                .isEqualTo("-ERR invalid base64 in the authentication exchange\r\n");
        ctx.run("AUTH LOGIN");
        assertThat(TestContext.render(ctx.commands.saslResponse(ctx, null)))
                .isEqualTo("-ERR authentication response too long\r\n");
        assertThat(ctx.wire("AUTH PLAIN %%%")).isEqualTo("-ERR invalid base64 in the initial response\r\n");
        assertThat(ctx.wire("AUTH NONESUCH")).isEqualTo("-ERR unsupported authentication mechanism\r\n");
    }

    @Test
    void bareAuthListsTheMechanismsUsableNow() throws Exception {
        assertThat(ctx.wire("AUTH")).startsWith("+OK methods supported:\r\n").contains("PLAIN\r\n").endsWith(".\r\n");
    }

    @Test
    void stlsWithoutTlsConfiguredAndUnderTls(@TempDir Path dir) throws Exception {
        assertThat(ctx.wire("STLS")).isEqualTo("-ERR TLS is not available on this server\r\n");
        TlsManager tls = TlsManager.create(TlsSettings.selfSigned(dir, "test.invalid"));
        TestContext c = new TestContext(b -> b, Optional.of(tls), InetAddress.getLoopbackAddress()).user("a", "b");
        c.run("USER a");
        assertThat(c.wire("CAPA")).contains("STLS\r\n");
        assertThat(c.wire("STLS")).isEqualTo("+OK Begin TLS negotiation\r\n");
        assertThat(c.tlsRequested).isTrue();
        assertThat(((SessionState.Authorization) c.state).pendingUser()).as("USER is forgotten").isNull();
        c.secure = true;
        assertThat(c.wire("STLS")).isEqualTo("-ERR already using TLS\r\n");
        assertThat(c.wire("CAPA")).doesNotContain("STLS");
    }

    @Test
    void capaBeforeAndAfterLogin() throws Exception {
        String before = ctx.wire("CAPA");
        assertThat(before).startsWith("+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL ")
                .contains("RESP-CODES\r\n", "AUTH-RESP-CODE\r\n", "PIPELINING\r\n", "UTF8 USER\r\n", "LANG\r\n",
                        "EXPIRE NEVER\r\n", "IMPLEMENTATION Postoffice\r\n")
                .endsWith(".\r\n");
        ctx.loggedIn("alice", "secret");
        assertThat(ctx.wire("CAPA")).doesNotContain("\r\nUSER\r\n", "SASL", "STLS").contains("UTF8\r\n");
    }

    @Test
    void utf8AndLang() throws Exception {
        assertThat(ctx.wire("UTF8")).isEqualTo("+OK UTF8 enabled\r\n");
        assertThat(ctx.wire("LANG")).isEqualTo("+OK language listing follows\r\nen English\r\n.\r\n");
        assertThat(ctx.wire("LANG en-GB")).isEqualTo("+OK en language is English\r\n");
        assertThat(ctx.wire("LANG fr")).isEqualTo("-ERR unsupported language fr\r\n");
    }

    @Test
    void quitBeforeLoginSignsOff() throws Exception {
        assertThat(ctx.wire("QUIT")).isEqualTo("+OK Postoffice POP3 server signing off\r\n");
        assertThat(ctx.closedBecause).isEqualTo("QUIT");
    }

    @Test
    void commandsOutsideTheirStateAreInvalidAndCounted() throws Exception {
        assertThat(ctx.wire("STAT")).isEqualTo("-ERR STAT is only valid after login\r\n");
        assertThat(ctx.wire("RETR 1")).isEqualTo("-ERR RETR is only valid after login\r\n");
        assertThat(ctx.invalid).isEqualTo(2);
        ctx.run("NOOP");
        assertThat(ctx.invalid).isEqualTo(3);
        ctx.run("CAPA");
        assertThat(ctx.invalid).as("a valid command ends the run").isZero();
        ctx.loggedIn("alice", "secret");
        assertThat(ctx.wire("USER alice")).isEqualTo("-ERR USER is only valid before login\r\n");
        assertThat(ctx.wire("STLS")).isEqualTo("-ERR STLS is only valid before login\r\n");
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
