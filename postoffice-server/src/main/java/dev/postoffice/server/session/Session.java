package dev.postoffice.server.session;

import dev.postoffice.auth.HashExecutor;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.CommandParser;
import dev.postoffice.protocol.CommandSyntaxException;
import dev.postoffice.protocol.LineReader;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.ServerContext;
import dev.postoffice.server.command.CommandContext;
import dev.postoffice.server.command.Commands;
import dev.postoffice.server.command.Marks;
import dev.postoffice.server.command.SessionState;
import dev.postoffice.server.limits.AddressKey;
import dev.postoffice.server.login.LoginPolicy;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One POP3 connection on its own virtual thread (RFC 1939 section 3): greet, then read a line, let the command's
 * handler answer it, send the reply; responses are flushed whenever the session is about to wait for input, so
 * pipelined commands are answered in order and in batches. Nothing is removed from the maildrop unless QUIT comes
 * in TRANSACTION: a dropped connection, a timeout, a shutdown or an error ends the session without UPDATE.
 */
public final class Session implements Runnable, CommandContext {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** The MDC key under which a session's lines carry its connection number. */
    public static final String LOG_KEY = "session";
    /** The only command whose line may exceed 255 octets (RFC 5034 section 4). */
    private static final byte[] AUTH_PREFIX = "AUTH ".getBytes(StandardCharsets.US_ASCII);

    private final ServerContext ctx;
    private final ServerConfig config;
    private final Commands commands;
    private final Connection conn;
    /** The client's address: the socket's peer, or the one a trusted proxy's PROXY header named. */
    private final InetAddress client;
    private final LoginPolicy login;
    private final boolean implicitTls;
    private final Supplier<String> timestamps;
    private final Runnable onEnd;
    private final long id;
    /** When the connection was accepted (nanoTime): the pre-login lifetime counts from here. */
    private final long startedNanos = System.nanoTime();
    /** Set by the watchdog when the connection stayed unauthenticated longer than its lifetime. */
    private volatile boolean lifetimeOver;
    /** Set when the server closes this connection, not logged in, to make room for a new one. */
    private volatile boolean evicted;
    /** Run once when the session logs in. */
    private Runnable onLogin = () -> { };
    /** The APOP timestamp the greeting carried, or null if it carried none. */
    private String timestamp;
    private volatile SessionState state = SessionState.Authorization.START;
    private boolean closeRequested;
    private boolean startTls;
    private volatile boolean aborting;
    private String endReason = "disconnected";
    private int badCommands;
    /** The command being answered, for its metric, and when its line was read (nanoTime). */
    private String keyword;
    private long commandStarted;

    /**
     * @param client     the client's address (from a PROXY header when the peer is a trusted proxy)
     * @param id         this connection's number, logged with each of its lines (MDC key {@value #LOG_KEY})
     * @param timestamps makes the APOP timestamp of the greeting, called only when APOP is offered
     * @param onEnd      run once when the session has ended
     */
    public Session(Socket socket, InetAddress client, boolean implicitTls, ServerContext ctx, Commands commands,
            long id, Supplier<String> timestamps, Runnable onEnd) {
        this.ctx = ctx;
        this.config = ctx.config();
        this.commands = commands;
        this.conn = new Connection(socket);
        this.login = new LoginPolicy(ctx, client);
        this.client = client;
        this.implicitTls = implicitTls;
        this.timestamps = timestamps;
        this.onEnd = onEnd;
        this.id = id;
    }

    @Override
    public void run() {
        MDC.put(LOG_KEY, Long.toString(id));
        // Hashing for this session counts against its address's share, and is dropped once the session has ended.
        HashExecutor.bindClient(AddressKey.of(client),
                () -> aborting || lifetimeOver || evicted || conn.closed(), conn::peerHungUp);
        try {
            conn.open(implicitTls ? ctx.tls().orElseThrow() : null, ctx.metrics());
            conn.readTimeout(config.preAuthTimeout());
            if (login.apopAllowed(implicitTls)) { // only where APOP may be used (docs/security.md)
                timestamp = timestamps.get();
            }
            conn.out().ok("Postoffice POP3 server ready" + (timestamp != null ? " " + timestamp : ""));
            loop();
            conn.out().flush();
        } catch (SocketTimeoutException e) {
            if (evicted) {
                endReason = "server full, oldest connection not logged in";
                bestEffort(Reply.err(ResponseCode.SYS_TEMP, "server busy, closing connections not logged in"));
            } else if (lifetimeOver) {
                endReason = "not logged in within the pre-authentication lifetime";
                bestEffort(Reply.err("login took too long, closing the connection"));
            } else {
                endReason = "idle timeout";
                bestEffort(Reply.err("autologout: idle for too long, closing the connection"));
            }
        } catch (ResponseWriter.MessageReadException e) {
            // A multi-line response cannot be taken back: the connection closes at once, without UPDATE.
            aborting = true;
            endReason = "a message became unreadable during transfer: " + e.getMessage();
        } catch (IOException e) {
            if (!aborting) {
                endReason = "connection error: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            endReason = "internal error";
            log.error("session {} failed", login.peer(), e);
            bestEffort(Reply.err(ResponseCode.SYS_TEMP, "internal server error, closing the connection"));
        } finally {
            finish();
            HashExecutor.unbindClient();
            MDC.remove(LOG_KEY);
        }
    }

    private void loop() throws IOException {
        while (!closeRequested) {
            LineReader in = conn.in(); // a new one after STLS
            Reply reply;
            if (state instanceof SessionState.Authorization a && a.sasl() != null) {
                LineReader.Result r = in.read(ServerConfig.MAX_SASL_LINE);
                if (r == LineReader.Result.EOF) {
                    throw new EOFException("connection closed during authentication");
                }
                reply = commands.saslResponse(this, r == LineReader.Result.LINE
                        ? new String(in.line(), 0, in.lineLength(), StandardCharsets.US_ASCII) : null);
            } else {
                // AUTH's initial response is exempt from RFC 2449's 255 octets (RFC 5034 section 4): only a line
                // starting with "AUTH " may grow to the SASL bound; every other command is cut off at the 255.
                LineReader.Result r = in.read(ServerConfig.MAX_COMMAND_LINE, AUTH_PREFIX, ServerConfig.MAX_SASL_LINE);
                reply = switch (r) {
                    case EOF -> {
                        endReason = "disconnected";
                        closeRequested = true;
                        yield null;
                    }
                    case TOO_LONG_FATAL -> {
                        endReason = "line too long";
                        closeRequested = true;
                        yield Reply.err("line too long, closing the connection");
                    }
                    case TOO_LONG -> invalidCommand("line too long (at most " + ServerConfig.MAX_COMMAND_LINE
                            + " octets including CRLF)");
                    case LINE -> parseAndRun(in);
                };
            }
            if (reply != null) {
                conn.out().send(reply, conn.directTransfer());
            }
            if (keyword != null) {
                ctx.metrics().command(keyword, System.nanoTime() - commandStarted);
                keyword = null;
            }
            if (startTls) {
                startTls = false;
                negotiateTls();
            }
        }
    }

    private Reply parseAndRun(LineReader in) {
        Command command;
        commandStarted = System.nanoTime();
        try {
            command = CommandParser.parse(in.line(), in.lineLength());
        } catch (CommandSyntaxException e) {
            return invalidCommand(e.getMessage());
        }
        keyword = command.keyword();
        return commands.dispatch(this, command);
    }

    private void negotiateTls() throws IOException {
        int discarded;
        try {
            discarded = conn.startTls(ctx.tls().orElseThrow(), ctx.metrics());
        } catch (IOException e) {
            aborting = true;
            endReason = "TLS handshake failed";
            closeRequested = true;
            throw e;
        }
        if (discarded > 0) {
            log.info("STLS: discarded {} octets the client {} sent before the TLS handshake", discarded, login.peer());
        }
    }

    private void bestEffort(Reply reply) {
        try {
            conn.out().send(reply, null);
            conn.out().flush();
        } catch (IOException | RuntimeException ignored) { // the peer is gone, or never finished the TLS handshake
        }
    }

    // ---- CommandContext ----

    @Override
    public ServerContext server() {
        return ctx;
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
    public synchronized void enter(SessionState next) {
        if (next instanceof SessionState.Transaction && !(state instanceof SessionState.Transaction)) {
            conn.readTimeout(config.idleTimeout());
            onLogin.run();
        }
        state = next;
    }

    @Override
    public boolean secure() {
        return conn.secure();
    }

    @Override
    public String apopTimestamp() {
        return timestamp != null && login.apopAllowed(secure()) ? timestamp : null;
    }

    @Override
    public void startTlsAfterReply() {
        startTls = true;
    }

    @Override
    public void closeAfterReply(String reason) {
        endReason = reason;
        closeRequested = true;
    }

    @Override
    public synchronized boolean enterUpdate(SessionState.Update update) {
        if (aborting) {
            return false;
        }
        state = update;
        return true;
    }

    @Override
    public void enableUtf8() {
        // Responses are ASCII or UTF-8 already and messages go out as stored; nothing changes on the wire.
    }

    @Override
    public Reply invalidCommand(String reason) {
        badCommands++;
        if (badCommands >= config.maxBadCommands()) {
            closeAfterReply("too many invalid commands");
            return Reply.err(reason + "; too many invalid commands, closing the connection");
        }
        return Reply.err(reason);
    }

    @Override
    public void commandAccepted() {
        badCommands = 0;
    }

    @Override
    public Instant now() {
        return Instant.now();
    }

    // ---- lifecycle, shared with the server ----

    /**
     * Closes the connection for a server shutdown unless the session is already in the UPDATE state, which is let
     * finish. Returns true if the session was closed.
     */
    public boolean shutdown() {
        return endWithoutUpdate("server shutdown");
    }

    /**
     * Ends the session for an administrator ({@code postoffice kick}) as a shutdown does: closed without UPDATE,
     * nothing deleted, the maildrop released. False if the session is in UPDATE already (it is let finish).
     */
    public boolean kick() {
        return endWithoutUpdate("ended by the administrator");
    }

    private synchronized boolean endWithoutUpdate(String reason) {
        if (state instanceof SessionState.Update) {
            return false;
        }
        aborting = true;
        endReason = reason;
        conn.close();
        return true;
    }

    /** What {@code postoffice who} shows of this session. */
    public SessionInfo info() {
        SessionState s = state;
        String user = s instanceof SessionState.Transaction t ? t.account().name()
                : s instanceof SessionState.Update u ? u.account().name() : null;
        String name = s instanceof SessionState.Transaction ? "transaction" : user == null ? "authorization" : "update";
        return new SessionInfo(id, user, login.peer(), listener(), name,
                Instant.now().minusNanos(System.nanoTime() - startedNanos), conn.bytesWritten());
    }

    /**
     * Ends too long waits for the client and connections not logged in within their lifetime; a session waiting for
     * its client has its maildrop close what a RETR kept open (run by the server's watchdog once a second).
     */
    public void checkReadIdle(long nowNanos) {
        if (!lifetimeOver && !authenticated() && nowNanos - startedNanos > config.preAuthLifetime().toNanos()) {
            lifetimeOver = true;
            conn.expireReads();
        }
        if (conn.checkReadIdle(nowNanos) && state instanceof SessionState.Transaction t) {
            t.maildrop().releaseIdle();
        }
    }

    /** Sets what runs once when the session logs in (before it starts). */
    public Session onLogin(Runnable r) {
        this.onLogin = r;
        return this;
    }

    /**
     * Closes a connection not logged in to make room for a new one: it gets {@code -ERR [SYS/TEMP]} once its
     * session has the line (at once when it waits for the client). False if it logged in meanwhile.
     */
    public synchronized boolean evict() {
        if (authenticated() || evicted) {
            return false;
        }
        evicted = true;
        conn.expireReads();
        return true;
    }

    /** Whether the session has logged in (it is in TRANSACTION or UPDATE). */
    public boolean authenticated() {
        return !(state instanceof SessionState.Authorization);
    }

    /** When the connection was accepted (nanoTime). */
    public long startedNanos() {
        return startedNanos;
    }

    /** Closes a connection whose write has been blocked longer than the idle timeout. */
    public void checkWriteStall(long nowNanos) {
        if (conn.writeStalled(nowNanos, config.idleTimeout())) {
            aborting = true;
            endReason = "write timeout";
            conn.close();
        }
    }

    /** The listener that accepted the connection: {@code pop3} or {@code pop3s}. */
    public String listener() {
        return implicitTls ? "pop3s" : "pop3";
    }

    public String peer() {
        return login.peer();
    }

    private void finish() {
        conn.close();
        login.releaseUserSlot();
        SessionState s = state;
        switch (s) {
            case SessionState.Transaction t -> logout(t.account().name(), t.maildrop(), t.marks(), false);
            case SessionState.Update u -> logout(u.account().name(), u.maildrop(), u.marks(), true);
            case SessionState.Authorization a -> log.debug("disconnect: ip={} reason={}", login.peer(), endReason);
        }
        onEnd.run();
    }

    private void logout(String user, dev.postoffice.storage.Maildrop maildrop, Marks marks, boolean updated) {
        maildrop.close();
        log.info("logout: ip={} user={} reason={} retr={}/{} del={}/{} left={}/{} bytes_out={}", login.peer(), user,
                endReason, marks.retrieved(), marks.retrievedOctets(), updated ? marks.deletedCount() : 0,
                updated ? marks.deletedSize() : 0, updated ? marks.visibleCount() : marks.size(),
                updated ? marks.visibleSize() : marks.visibleSize() + marks.deletedSize(), conn.bytesWritten());
    }
}
