package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.HashExecutor;
import dev.postoffice.auth.LoginCache;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.server.auth.ServerAuth;
import dev.postoffice.server.listen.Pop3Server;
import dev.postoffice.server.session.SessionInfo;
import dev.postoffice.storage.maildir.MaildirStore;
import dev.postoffice.testkit.RawClient;
import dev.postoffice.testkit.TlsClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the server offers operations, without the app's admin endpoint: what it reports to {@link ServerMetrics},
 * the session list, kick, and a reconfiguration under open sessions.
 */
class OperationsSessionTest {
    /** Counts what the server reports, by a key naming the call and its arguments. */
    static final class Recording implements ServerMetrics {
        final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

        private void add(String key, long n) {
            counts.computeIfAbsent(key, k -> new AtomicLong()).addAndGet(n);
        }

        long get(String key) {
            AtomicLong n = counts.get(key);
            return n == null ? 0 : n.get();
        }

        @Override public void connectionAccepted(String listener) { add("connection " + listener, 1); }
        @Override public void sessionStarted(String listener) { add("active " + listener, 1); }
        @Override public void sessionEnded(String listener) { add("active " + listener, -1); }
        @Override public void login(String mechanism, String result) { add("login " + mechanism + " " + result, 1); }
        @Override public void command(String keyword, long nanos) { add("command " + keyword, nanos >= 0 ? 1 : 1000); }
        @Override public void retrieved(long octets) { add("retrieved", octets); }
        @Override public void deleted(int messages) { add("deleted", messages); }
        @Override public void tlsHandshake(boolean ok, String protocol) { add("tls " + ok + " " + protocol, 1); }
    }

    @TempDir
    Path data;
    private final Recording metrics = new Recording();
    private final ScheduledExecutorService scheduler = Scheduler.create();
    private Pop3Server server;
    private MaildirStore store;
    private PasswdFile users;

    private void start(ServerConfig.Builder b) throws Exception {
        users = new PasswdFile(data.resolve("users"));
        users.add("alice", PasswordSchemes.encode("PLAIN", "secret"));
        store = new MaildirStore(data);
        store.deliver(dev.postoffice.storage.MailboxRef.of("alice"), dev.postoffice.storage.Envelope.none(),
                new java.io.ByteArrayInputStream("Subject: x\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII)));
        ServerConfig config = b.pop3Listen(new InetSocketAddress("127.0.0.1", 0))
                .pop3sListen(new InetSocketAddress("127.0.0.1", 0)).hostname("localhost")
                .authFailureDelay(Duration.ZERO).authFailureDelayMax(Duration.ZERO).build();
        server = Pop3Server.start(config, ServerAuth.create(users, config, new HashExecutor(), LoginCache.DEFAULT_TTL),
                store, data, scheduler, metrics);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        scheduler.shutdownNow();
    }

    private void awaitEnded() throws InterruptedException {
        for (int i = 0; i < 500 && (metrics.get("active pop3") != 0 || metrics.get("active pop3s") != 0); i++) {
            Thread.sleep(10);
        }
        assertThat(metrics.get("active pop3")).isZero();
        assertThat(metrics.get("active pop3s")).isZero();
    }

    @Test
    void stlsSaslAndAFailedHandshakeAreReported() throws Exception {
        start(ServerConfig.builder());
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("STLS")).startsWith("+OK");
            c.startTls(TlsClient.trusting(data.resolve("tls/cert.pem")));
            String plain = Base64.getEncoder().encodeToString("\0alice\0secret".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.cmd("AUTH PLAIN " + plain)).startsWith("+OK");
            assertThat(c.cmd("RETR 1")).startsWith("+OK");
            c.multiline();
            assertThat(c.cmd("DELE 1")).startsWith("+OK");
            assertThat(c.cmd("QUIT")).startsWith("+OK");
        }
        try (Socket garbage = new Socket(InetAddress.getLoopbackAddress(), server.tlsPort())) {
            garbage.getOutputStream().write("this is not TLS\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(garbage.getInputStream().read(new byte[64])).isNotZero(); // an alert, or the end
        } catch (java.io.IOException closed) {
            // reset by the server: as good as an alert
        }
        awaitEnded();
        assertThat(metrics.get("connection pop3")).isEqualTo(1);
        assertThat(metrics.get("connection pop3s")).isEqualTo(1);
        assertThat(metrics.get("tls true TLSv1.3")).isEqualTo(1);
        assertThat(metrics.get("tls false none")).isEqualTo(1);
        assertThat(metrics.get("login PLAIN ok")).isEqualTo(1);
        assertThat(metrics.get("command STLS") + metrics.get("command AUTH") + metrics.get("command RETR")
                + metrics.get("command DELE") + metrics.get("command QUIT")).isEqualTo(5);
        assertThat(metrics.get("retrieved")).isEqualTo("Subject: x\r\n\r\nhello\r\n".length());
        assertThat(metrics.get("deleted")).isEqualTo(1);
    }

    @Test
    void kickEndsALoggedInSessionWithoutUpdate() throws Exception {
        start(ServerConfig.builder());
        try (RawClient alice = new RawClient(server.port()); RawClient other = new RawClient(server.port())) {
            alice.login("alice", "secret");
            assertThat(alice.cmd("DELE 1")).startsWith("+OK");
            List<SessionInfo> sessions = server.sessions();
            assertThat(sessions).extracting(SessionInfo::user).containsExactly("alice", null);
            assertThat(sessions.get(0).state()).isEqualTo("transaction");
            assertThat(sessions.get(0).bytesOut()).isPositive();
            assertThat(server.kick("bob")).isZero();
            assertThat(server.kick("alice")).isEqualTo(1);
            assertThat(alice.closedByServer()).isTrue();
            assertThat(other.cmd("NOOP")).startsWith("-ERR"); // untouched, still before login
        }
        awaitEnded();
        assertThat(metrics.get("deleted")).isZero();
        try (RawClient again = new RawClient(server.port())) {
            again.login("alice", "secret");
            assertThat(again.cmd("STAT")).startsWith("+OK 1 ");
        }
    }

    @Test
    void aReconfigurationReachesNewConnectionsOnly() throws Exception {
        start(ServerConfig.builder().maxBadCommands(10));
        try (RawClient open = new RawClient(server.port())) {
            ServerConfig next = server.context().config().toBuilder().maxBadCommands(1)
                    .pop3Listen(new InetSocketAddress("127.0.0.1", 1)).build();
            server.reconfigure(next, ServerAuth.create(users, next, new HashExecutor(), LoginCache.DEFAULT_TTL));
            assertThat(server.context().config().maxBadCommands()).isEqualTo(1);
            assertThat(server.context().config().pop3Listen().orElseThrow().getPort()).isZero(); // listeners stay
            try (RawClient next1 = new RawClient(server.port())) {
                assertThat(next1.cmd("BOGUS")).contains("closing");
                assertThat(next1.closedByServer()).isTrue();
            }
            assertThat(open.cmd("BOGUS")).isEqualTo("-ERR unknown command");
            assertThat(open.cmd("BOGUS")).isEqualTo("-ERR unknown command");
        }
    }
}
