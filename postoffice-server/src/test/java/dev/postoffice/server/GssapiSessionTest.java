package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.server.auth.KerberosAcceptor;
import dev.postoffice.server.auth.Keytabs;
import dev.postoffice.testkit.LogCapture;
import dev.postoffice.testkit.RawClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SASL GSSAPI over the wire: offered only with a usable keytab, and every bad token refused as a counted failure
 * with the reason in the log only. Logins with real tickets are in it/kerberos_test.py (a real KDC).
 */
class GssapiSessionTest {
    private static final String SERVICE = "pop/localhost@POSTOFFICE.TEST";

    @TempDir
    Path data;
    TestServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start(Path keytab, int maxAuthFailures) throws Exception {
        server = new TestServer(data, b -> b.maxAuthFailures(maxAuthFailures)
                .gssapi(new ServerConfig.Gssapi(keytab, SERVICE, Optional.empty()))).user("alice", "secret");
        return server;
    }

    private Path keytab() throws Exception {
        return Keytabs.write(data.resolve("pop.keytab"), SERVICE);
    }

    private static List<String> sasl(RawClient c) throws Exception {
        c.cmd("CAPA");
        return c.multiline().stream().filter(l -> l.startsWith("SASL ")).toList();
    }

    @Test
    void offeredFirstWithAKeytabHoldingTheServiceKey() throws Exception {
        start(keytab(), 3);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(sasl(c)).singleElement().asString().startsWith("SASL GSSAPI ");
            assertThat(c.cmd("AUTH")).startsWith("+OK");
            assertThat(c.multiline()).first().isEqualTo("GSSAPI");
        }
    }

    @Test
    void notOfferedWhenTheKeytabIsMissingOrLacksTheKey() throws Exception {
        start(data.resolve("missing.keytab"), 3);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(sasl(c)).singleElement().asString().doesNotContain("GSSAPI");
            assertThat(c.cmd("AUTH GSSAPI")).isEqualTo("-ERR unsupported authentication mechanism");
        }
        Keytabs.write(data.resolve("missing.keytab"), "imap/localhost@POSTOFFICE.TEST");
        try (RawClient c = new RawClient(server.port())) {
            assertThat(sasl(c)).singleElement().asString().doesNotContain("GSSAPI");
        }
        Keytabs.write(data.resolve("missing.keytab"), SERVICE); // a keytab put in place later is taken up
        try (RawClient c = new RawClient(server.port())) {
            assertThat(sasl(c)).singleElement().asString().contains("GSSAPI");
        }
    }

    @Test
    void badTokensAreCountedFailuresWithTheReasonInTheLogOnly() throws Exception {
        start(keytab(), 3);
        byte[] token = "\u0060\u0010not a Kerberos token".getBytes(StandardCharsets.ISO_8859_1);
        String b64 = Base64.getEncoder().encodeToString(token);
        try (LogCapture log = new LogCapture(KerberosAcceptor.class);
             RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH GSSAPI " + b64)).isEqualTo("-ERR [AUTH] authentication failed");
            assertThat(c.cmd("AUTH GSSAPI")).isEqualTo("+ ");
            assertThat(c.cmd(Base64.getEncoder().encodeToString(new byte[] {1, 2, 3})))
                    .isEqualTo("-ERR [AUTH] authentication failed");
            assertThat(c.cmd("AUTH GSSAPI")).isEqualTo("+ ");
            assertThat(c.cmd("not*base64")).isEqualTo("-ERR invalid base64 in the authentication exchange");
            assertThat(c.cmd("AUTH GSSAPI =")).isEqualTo(
                    "-ERR [AUTH] authentication failed; too many failures, closing the connection");
            assertThat(c.closedByServer()).isTrue();
            assertThat(log.all()).filteredOn(m -> m.startsWith("gssapi: refused: ")).hasSize(3)
                    .noneMatch(m -> m.contains("not a Kerberos token") || m.contains(b64));
        }
    }

    @Test
    void aTokenOverTheBoundIsMalformed() throws Exception {
        start(keytab(), 3);
        String huge = Base64.getEncoder().encodeToString(new byte[20 * 1024 + 1]);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH GSSAPI")).isEqualTo("+ ");
            assertThat(c.cmd(huge)).startsWith("-ERR [AUTH] GSSAPI: the message is longer than");
        }
    }

    @Test
    void notOfferedWithoutAKeytabSetting() throws Exception {
        server = new TestServer(data).user("alice", "secret");
        try (RawClient c = new RawClient(server.port())) {
            assertThat(sasl(c)).singleElement().asString().doesNotContain("GSSAPI");
        }
    }
}
