package dev.postoffice.server.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The login policy through the AUTHORIZATION handlers, without a socket: what is offered and accepted where (docs/security.md). */
class LoginPolicyHandlersTest {
    static final InetAddress REMOTE = address("192.0.2.1");

    private static TestContext remote() {
        return new TestContext(UnaryOperator.identity(), Optional.empty(), REMOTE).user("alice", "secret");
    }

    @Test
    void apopAndCramMd5AreNotOfferedOnACleartextRemoteConnection() throws Exception {
        TestContext ctx = remote();
        assertThat(ctx.wire("CAPA")).doesNotContain("CRAM-MD5");
        assertThat(ctx.wire("AUTH CRAM-MD5")).startsWith("-ERR [AUTH] plaintext authentication is not allowed");
        assertThat(ctx.wire("APOP alice " + apop(TestContext.TIMESTAMP, "secret")))
                .isEqualTo("-ERR APOP is not available on this server\r\n");
    }

    @Test
    void apopAndCramMd5WorkUnderTls() throws Exception {
        TestContext ctx = remote();
        ctx.secure = true;
        assertThat(ctx.wire("CAPA")).contains("CRAM-MD5");
        assertThat(ctx.wire("APOP alice " + apop(TestContext.TIMESTAMP, "secret"))).startsWith("+OK");
    }

    @Test
    void apopWorksFromALocalAddress() throws Exception {
        TestContext ctx = new TestContext().user("alice", "secret");
        assertThat(ctx.wire("APOP alice " + apop(TestContext.TIMESTAMP, "secret"))).startsWith("+OK");
    }

    @Test
    void anAddressAlreadyFailingWaitsBeforeTheCheckNotOnlyAfterIt() {
        TestContext ctx = new TestContext(b -> b.authFailureDelay(java.time.Duration.ofMillis(20))
                .authFailureDelayMax(java.time.Duration.ofSeconds(1)), Optional.empty(), REMOTE);
        ctx.server.throttle().failed(REMOTE, "root");
        ctx.server.throttle().failed(REMOTE, "admin");
        ctx.login.beforeCheck(); // waits the 40 ms the address has earned
        assertThat(ctx.login.failed("alice")).as("80 ms in all, 40 of them before the check")
                .isEqualTo(java.time.Duration.ofMillis(40));
        assertThat(ctx.login.failed("alice")).isEqualTo(java.time.Duration.ofMillis(160));
    }

    static String apop(String timestamp, String password) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                .digest((timestamp + password).getBytes(StandardCharsets.UTF_8)));
    }

    static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
