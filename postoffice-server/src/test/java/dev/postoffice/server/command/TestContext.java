package dev.postoffice.server.command;

import dev.postoffice.auth.AuthService;
import dev.postoffice.auth.CredentialVerifier;
import dev.postoffice.auth.HashExecutor;
import dev.postoffice.auth.UserDirectory;
import dev.postoffice.auth.UserRecord;
import dev.postoffice.protocol.CommandParser;
import dev.postoffice.protocol.CommandSyntaxException;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.ServerContext;
import dev.postoffice.server.auth.AccountSaslBackend;
import dev.postoffice.server.limits.AuthThrottle;
import dev.postoffice.server.limits.ConnectionLimits;
import dev.postoffice.server.login.LoginPolicy;
import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.testkit.memory.MemoryStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A {@link CommandContext} without a socket: handlers run against the in-memory store and a map of users with
 * cleartext secrets, and replies are rendered with the real {@link ResponseWriter} to check what would go out.
 */
final class TestContext implements CommandContext {
    static final HashExecutor HASHING = new HashExecutor();
    static final String TIMESTAMP = "<1.2@test.invalid>";

    final MemoryStore store = new MemoryStore();
    final Map<String, UserRecord> users = new LinkedHashMap<>();
    final Commands commands = new Commands();
    final ServerContext server;
    final LoginPolicy login;
    SessionState state = SessionState.Authorization.START;
    boolean secure;
    boolean tlsRequested;
    String closedBecause;
    int invalid;
    boolean updateRefused;
    Instant now = Instant.parse("2026-12-01T10:00:00Z");

    TestContext() {
        this(UnaryOperator.identity(), Optional.empty(), InetAddress.getLoopbackAddress());
    }

    TestContext(UnaryOperator<ServerConfig.Builder> config) {
        this(config, Optional.empty(), InetAddress.getLoopbackAddress());
    }

    TestContext(UnaryOperator<ServerConfig.Builder> customize, Optional<TlsManager> tls, InetAddress client) {
        ServerConfig config = customize.apply(ServerConfig.builder().hostname("test.invalid")
                .authFailureDelay(Duration.ZERO).authFailureDelayMax(Duration.ZERO)).build();
        UserDirectory directory = name -> Optional.ofNullable(users.get(name));
        AuthService auth = new CredentialVerifier(directory, HASHING);
        server = new ServerContext(config, auth, AccountSaslBackend.create(auth, config), store, tls,
                new ConnectionLimits(config.maxConnections(), config.maxConnectionsPerAddress(),
                        config.maxConnectionsPerUser()),
                new AuthThrottle(config.authFailureDelay(), config.authFailureDelayMax()));
        login = new LoginPolicy(server, client);
    }

    TestContext user(String name, String password) {
        users.put(name, new UserRecord(name, "{PLAIN}" + password, Optional.empty(), Map.of()));
        return this;
    }

    TestContext user(String name, String password, Map<String, String> extra) {
        users.put(name, new UserRecord(name, "{PLAIN}" + password, Optional.empty(), extra));
        return this;
    }

    TestContext deliver(String user, String message) throws Exception {
        store.deliver(MailboxRef.of(user), message);
        return this;
    }

    /** Parses a command line as the session does and dispatches it; a syntax error is an invalid command. */
    Reply run(String line) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        try {
            return commands.dispatch(this, CommandParser.parse(b, b.length));
        } catch (CommandSyntaxException e) {
            return invalidCommand(e.getMessage());
        }
    }

    /** Runs a command and renders its reply as the wire would carry it. */
    String wire(String line) throws IOException {
        return render(run(line));
    }

    /** Logs alice in with USER/PASS. */
    TestContext loggedIn(String user, String password) throws IOException {
        run("USER " + user);
        String r = render(run("PASS " + password));
        if (!r.startsWith("+OK")) {
            throw new IllegalStateException("login failed: " + r);
        }
        return this;
    }

    static String render(Reply reply) throws IOException {
        if (reply == null) {
            return "";
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ResponseWriter out = new ResponseWriter(bytes, 8192);
        out.send(reply, null);
        out.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    SessionState.Transaction transaction() {
        return (SessionState.Transaction) state;
    }

    // ---- CommandContext ----

    @Override
    public ServerContext server() {
        return server;
    }

    @Override
    public LoginPolicy login() {
        return login;
    }

    @Override
    public SessionState state() {
        return state;
    }

    @Override
    public void enter(SessionState next) {
        state = next;
    }

    @Override
    public boolean secure() {
        return secure;
    }

    @Override
    public String apopTimestamp() {
        return TIMESTAMP; // the greeting's, which the session leaves out where APOP is not allowed
    }

    @Override
    public void startTlsAfterReply() {
        tlsRequested = true;
    }

    @Override
    public void closeAfterReply(String reason) {
        closedBecause = reason;
    }

    @Override
    public boolean enterUpdate(SessionState.Update update) {
        if (updateRefused) {
            return false;
        }
        state = update;
        return true;
    }

    @Override
    public void enableUtf8() {}

    @Override
    public Reply invalidCommand(String reason) {
        invalid++;
        return Reply.err(reason);
    }

    @Override
    public void commandAccepted() {
        invalid = 0;
    }

    @Override
    public Instant now() {
        return now;
    }
}
