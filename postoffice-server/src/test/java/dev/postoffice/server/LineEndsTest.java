package dev.postoffice.server;

import dev.postoffice.testkit.RawClient;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10 §7 over a real socket: stray CRs before CRLF, and which lines may be long. */
class LineEndsTest {
    @TempDir
    Path data;

    @Test
    void aStrayCrBeforeCrLfIsAcceptedAsDovecotDoes() throws Exception {
        try (TestServer server = new TestServer(data).user("alice", "secret").deliver("alice", "Subject: a\n\nb\n");
                RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("USER alice\r")).startsWith("+OK");
            assertThat(c.cmd("PASS secret\r")).startsWith("+OK");
            assertThat(c.cmd("STAT\r")).startsWith("+OK 1 ");
        }
    }

    @Test
    void onlyAuthMayExceed255Octets() throws Exception {
        try (TestServer server = new TestServer(data).user("alice", "secret");
                RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("NOOP " + "x".repeat(20_000))).startsWith("-ERR").contains("too long");
            // A long initial response is read whole and judged by the mechanism, not cut off as too long.
            String ir = Base64.getEncoder().encodeToString(("x".repeat(3000) + "\0alice\0secret")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(c.cmd("AUTH PLAIN " + ir)).startsWith("-ERR").doesNotContain("too long");
            assertThat(c.cmd("AUTH PLAIN " + Base64.getEncoder().encodeToString(
                    "\0alice\0secret".getBytes(StandardCharsets.UTF_8)))).startsWith("+OK");
        }
    }
}
