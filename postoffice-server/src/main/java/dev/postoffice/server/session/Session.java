package dev.postoffice.server.session;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthResult;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.CommandParser;
import dev.postoffice.protocol.CommandSyntaxException;
import dev.postoffice.protocol.LineReader;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.protocol.sasl.SaslPrep;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.ServerContext;
import dev.postoffice.server.command.CommandHandlers;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One POP3 connection, run on its own virtual thread with blocking I/O: AUTHORIZATION, TRANSACTION,
 * UPDATE (RFC 1939 section 3). The loop reads a line, parses it, and hands it to the command's handler
 * in {@link CommandHandlers}; responses are buffered and flushed whenever the session is about to wait
 * for input, so pipelined commands are answered in order and in batches.
 *
 * <p>Nothing is ever removed from the maildrop unless the client sends QUIT in the TRANSACTION state: a
 * dropped connection, a timeout, a server shutdown or an error ends the session without UPDATE.
 */
public final class Session implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    private static final int READ_BUFFER = 2048;
    private static final int WRITE_BUFFER = 8192;

    private final ServerContext ctx;
    private final ServerConfig config;
    private final Supplier<String> timestamps;
    /** The APOP timestamp the greeting carried, or null if it carried none. */
    private String timestamp;
    private final InetAddress address;
    private final String peer;
    private final boolean implicitTls;
    private final boolean local;
    private final Runnable onEnd;

    private Socket socket;
    /** The accepted socket, under TLS too: shutting down its input wakes a read that waits too long. */
    private final Socket rawSocket;
    /** When the current wait for the client's next octets began (nanoTime, odd), or 0 when not waiting. */
    private volatile long readingSince;
    /** How long such a wait may last: the pre-login or the idle timeout. */
    private volatile long readTimeoutNanos;
    /** Set by the watchdog when a wait lasted too long; the read then ends as a timeout. */
    private volatile boolean readTimedOut;
    private WatchedOutputStream watchedOut;
    private LineReader in;
    private ResponseWriter out;
    private boolean secure;
    private volatile SessionState state = SessionState.AUTHORIZATION;
    private String pendingUser;
    private String userSlot;
    private Account account;
    private Transaction transaction;
    private boolean utf8;
    private boolean closeRequested;
    private volatile boolean aborting;
    private String endReason = "disconnected";
    private final long id;
    private int badCommands;
    private int authFailures;

    /**
     * @param id        this connection's number in the server, logged with each of its lines (MDC key
     *                  {@value #LOG_KEY}) so that its auth and logout lines can be told apart from others
     * @param timestamps makes the APOP timestamp of the greeting, called only when APOP is offered
     */
    public Session(Socket socket, boolean implicitTls, ServerContext ctx, long id, Supplier<String> timestamps,
            Runnable onEnd) {
        this.socket = socket;
        this.rawSocket = socket;
        this.id = id;
        this.implicitTls = implicitTls;
        this.ctx = ctx;
        this.config = ctx.config();
        this.timestamps = timestamps;
        this.onEnd = onEnd;
        this.address = socket.getInetAddress();
        this.peer = address == null ? "?" : address.getHostAddress();
        this.local = address != null && config.localNetworks().stream().anyMatch(c -> c.contains(address));
    }

    /** The MDC key under which a session's lines carry its connection number. */
    public static final String LOG_KEY = "session";

    @Override
    public void run() {
        MDC.put(LOG_KEY, Long.toString(id));
        try {
            socket.setTcpNoDelay(true);
            if (implicitTls) {
                socket = ctx.tls().orElseThrow().wrapImplicit(socket);
                secure = true;
            }
            attachStreams();
            setTimeout(config.preAuthTimeout());
            if (ctx.auth().capabilities().apop()) {
                timestamp = timestamps.get();
            }
            out.ok("Postoffice POP3 server ready" + (timestamp != null ? " " + timestamp : ""));
            loop();
            out.flush();
        } catch (SocketTimeoutException e) {
            endReason = "idle timeout";
            try {
                out.err("autologout: idle for too long, closing the connection");
                out.flush();
            } catch (IOException | RuntimeException ignored) {
                // the peer is gone, or never finished the TLS handshake; nothing to tell it
            }
        } catch (IOException e) {
            if (!aborting) {
                endReason = "connection error: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            endReason = "internal error";
            log.error("session {} failed", peer, e);
            try {
                out.err(ResponseCode.SYS_TEMP, "internal server error, closing the connection");
                out.flush();
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        } finally {
            finish();
            MDC.remove(LOG_KEY);
        }
    }

    private void attachStreams() throws IOException {
        watchedOut = new WatchedOutputStream(socket.getOutputStream());
        out = new ResponseWriter(watchedOut, WRITE_BUFFER);
        in = new LineReader(new WatchedInputStream(socket.getInputStream()), READ_BUFFER,
                ServerConfig.HARD_LINE_LIMIT, out::flush);
    }

    /**
     * How long the client may keep the server waiting for its next octets. Not SO_TIMEOUT: a timed read parks the
     * virtual thread with a timer, and arming and cancelling one per read cost a scheduler thread wake-up each
     * (most of the thread hand-offs of a login). The server's watchdog checks waits once a second instead
     * ({@link #checkReadIdle}).
     */
    private void setTimeout(Duration d) {
        readTimeoutNanos = d.toNanos();
    }

    private void loop() throws IOException {
        while (!closeRequested) {
            // AUTH's initial response is exempt from RFC 2449's 255 octets (RFC 5034 section 4), so lines are
            // read up to the SASL bound and every other command is held to the 255.
            LineReader.Result r = in.read(ServerConfig.MAX_SASL_LINE);
            if (r == LineReader.Result.LINE && in.lineLength() + 2 > ServerConfig.MAX_COMMAND_LINE
                    && !startsWithAuth(in.line(), in.lineLength())) {
                r = LineReader.Result.TOO_LONG;
            }
            switch (r) {
                case EOF -> {
                    endReason = "disconnected";
                    return;
                }
                case TOO_LONG_FATAL -> {
                    out.err("line too long, closing the connection");
                    endReason = "line too long";
                    return;
                }
                case TOO_LONG -> badCommand("line too long (at most " + ServerConfig.MAX_COMMAND_LINE
                        + " octets including CRLF)");
                case LINE -> {
                    Command command;
                    try {
                        command = CommandParser.parse(in.line(), in.lineLength());
                    } catch (CommandSyntaxException e) {
                        badCommand(e.getMessage());
                        continue;
                    }
                    CommandHandlers.dispatch(this, command);
                }
            }
        }
    }

    private static boolean startsWithAuth(byte[] line, int length) {
        return length > 5 && (line[0] | 0x20) == 'a' && (line[1] | 0x20) == 'u' && (line[2] | 0x20) == 't'
                && (line[3] | 0x20) == 'h' && line[4] == ' ';
    }

    /** Answers an invalid command; too many in a row end the session. */
    public void badCommand(String reason) throws IOException {
        badCommands++;
        if (badCommands >= config.maxBadCommands()) {
            out.err(reason + "; too many invalid commands, closing the connection");
            endReason = "too many invalid commands";
            closeRequested = true;
        } else {
            out.err(reason);
        }
    }

    /** Called by handlers after a command was accepted, resetting the invalid-command streak. */
    public void commandAccepted() {
        badCommands = 0;
    }

    // ---- connection properties ----

    public ServerContext context() {
        return ctx;
    }

    public ServerConfig config() {
        return config;
    }

    /** Whether the connection is under TLS (POP3S or after STLS). */
    public boolean secure() {
        return secure;
    }

    /**
     * Whether cleartext passwords may be sent now: under TLS, from a local address, or when the operator
     * allowed it (RFC 8314 section 4.1 asks to refuse them otherwise).
     */
    public boolean plaintextAllowed() {
        return secure || local || config.allowPlaintextAuth();
    }

    /** SASL mechanisms that may be used right now, in order of preference (CAPA SASL, bare AUTH). */
    public List<String> mechanismsNow() {
        List<String> out = new ArrayList<>();
        for (String m : SaslMechanisms.ALL) {
            if ((config.saslMechanisms().isEmpty() || config.saslMechanisms().contains(m))
                    && ctx.sasl().supports(m)
                    && (plaintextAllowed() || !SaslMechanisms.sendsCleartextSecret(m))) {
                out.add(m);
            }
        }
        return out;
    }

    public boolean stlsPossible() {
        return state == SessionState.AUTHORIZATION && !secure && ctx.tls().isPresent();
    }

    /**
     * STLS (RFC 2595 section 4) after {@code +OK} went out: throws away whatever the client pipelined in
     * cleartext (it must never run as if it had come through TLS), negotiates TLS, and forgets what was
     * learned before (a pending USER).
     */
    public void startTls() throws IOException {
        out.flush();
        int discarded = in.discardBuffered();
        if (discarded > 0) {
            log.info("STLS: discarded {} octets the client {} sent before the TLS handshake", discarded, peer);
        }
        try {
            socket = ctx.tls().orElseThrow().wrapForStls(socket);
        } catch (IOException e) {
            aborting = true;
            endReason = "TLS handshake failed";
            closeRequested = true;
            throw e;
        }
        secure = true;
        pendingUser = null;
        attachStreams();
    }

    public void enableUtf8() {
        utf8 = true;
    }

    public boolean utf8() {
        return utf8;
    }

    // ---- authorization ----

    /**
     * The timestamp APOP digests must be made with: the greeting's, while APOP is offered. Null if the greeting
     * carried none (APOP was not offered then) or APOP is no longer offered.
     */
    public String apopTimestamp() {
        return timestamp != null && ctx.auth().capabilities().apop() ? timestamp : null;
    }

    public Optional<String> pendingUser() {
        return Optional.ofNullable(pendingUser);
    }

    /**
     * USER: remembers the name for PASS after taking a per-user connection slot for it (bounded per user
     * and address, whether or not the user exists). Returns false, after answering, when over the limit.
     */
    public boolean setPendingUser(String user) throws IOException {
        String name = canonicalName(SaslPrep.name(user).orElse(user));
        if (!name.equals(userSlot)) {
            releaseUserSlot();
            if (!ctx.limits().acquireUser(name, address)) {
                log.info("auth: ip={} user={} mechanism=USER result=too-many-connections", peer, printable(name));
                out.err(ResponseCode.IN_USE, "too many connections for this user from your address");
                return false;
            }
            userSlot = name;
        }
        pendingUser = name;
        return true;
    }

    private void releaseUserSlot() {
        if (userSlot != null) {
            ctx.limits().releaseUser(userSlot, address);
            userSlot = null;
        }
    }

    /**
     * A login name as typed: {@code local+domain} and {@code local%domain} (SDPS-era forms) mean
     * {@code local@domain} when the operator enables aliases.
     */
    public String canonicalName(String name) {
        if (!config.loginAliases() || name.indexOf('@') >= 0) {
            return name;
        }
        int sep = Math.max(name.lastIndexOf('+'), name.lastIndexOf('%'));
        return sep > 0 && sep < name.length() - 1 ? name.substring(0, sep) + "@" + name.substring(sep + 1) : name;
    }

    /**
     * Completes an authentication attempt: on success opens and locks the maildrop and enters the
     * TRANSACTION state; otherwise answers with the right response code and stays in AUTHORIZATION (or
     * closes the connection after too many failures).
     */
    public void completeLogin(String user, String mechanism, AuthResult result) throws IOException {
        completeLogin(user, mechanism, result, "authentication failed");
    }

    /** As above, with the text a rejection is answered with (a SASL mechanism's reason, safe to send). */
    public void completeLogin(String user, String mechanism, AuthResult result, String failureText)
            throws IOException {
        pendingUser = null;
        switch (result) {
            case AuthResult.Success s -> {
                ctx.throttle().succeeded(address);
                openMaildrop(s.account(), mechanism);
            }
            case AuthResult.Rejected r -> {
                authLog(user, mechanism, "fail");
                authFailures++;
                sleep(ctx.throttle().failed(address));
                if (authFailures >= config.maxAuthFailures()) {
                    out.err(ResponseCode.AUTH, failureText + "; too many failures, closing the connection");
                    endReason = "too many authentication failures";
                    closeRequested = true;
                } else {
                    out.err(ResponseCode.AUTH, failureText);
                }
            }
            case AuthResult.Unavailable u -> {
                authLog(user, mechanism, "unavailable");
                log.warn("user directory unavailable: {}", u.reason());
                out.err(ResponseCode.SYS_TEMP, "authentication is temporarily unavailable, try again later");
            }
        }
    }

    private void authLog(String user, String mechanism, String result) {
        log.info("auth: ip={} user={} mechanism={} secure={} result={}", peer, printable(user), mechanism,
                secure ? "yes" : "no", result);
    }

    private void openMaildrop(Account a, String mechanism) throws IOException {
        Maildrop maildrop;
        try {
            maildrop = ctx.store().open(a.mailbox());
        } catch (MaildropBusyException e) {
            authLog(a.name(), mechanism, "in-use");
            out.err(ResponseCode.IN_USE, "maildrop is locked by another session, try again later");
            return;
        } catch (StorageException e) {
            authLog(a.name(), mechanism, "maildrop-unavailable");
            log.warn("maildrop of {} cannot be opened: {}", a.name(), e.getMessage());
            out.err(e.temporary() ? ResponseCode.SYS_TEMP : ResponseCode.SYS_PERM,
                    "maildrop cannot be opened" + (e.temporary() ? ", try again later" : ""));
            return;
        }
        if (!config.loginDelay().isZero() && !loginDelayPassed(maildrop, a.name())) {
            maildrop.close(); // nothing was done: release the lock, no UPDATE
            authLog(a.name(), mechanism, "login-delay");
            out.err(ResponseCode.LOGIN_DELAY, "minimum time between logins is "
                    + config.loginDelay().toSeconds() + " seconds");
            return;
        }
        account = a;
        transaction = new Transaction(maildrop, expire(maildrop, a.name()));
        state = SessionState.TRANSACTION;
        setTimeout(config.idleTimeout());
        authLog(a.name(), mechanism, "ok");
        out.ok(a.name() + "'s maildrop has " + transaction.visibleCount() + " messages ("
                + transaction.visibleSize() + " octets)");
    }

    /**
     * RFC 2449 LOGIN-DELAY: whether the user's previous login, recorded with the maildrop (so a restart or
     * another server on the same storage does not forget it), is at least the delay ago; if so, records this
     * one. A recorded time in the future (the clock was set back) does not count, so that a clock change
     * cannot lock users out; if the time cannot be recorded the login goes ahead.
     */
    private boolean loginDelayPassed(Maildrop maildrop, String user) {
        Instant now = Instant.now();
        Optional<Instant> last = maildrop.history().lastLogin().filter(t -> !t.isAfter(now));
        if (last.isPresent() && Duration.between(last.get(), now).compareTo(config.loginDelay()) < 0) {
            return false;
        }
        try {
            maildrop.history().recordLogin(now);
        } catch (StorageException e) {
            log.warn("cannot record the login of {} for LOGIN-DELAY: {}", user, e.getMessage());
        }
        return true;
    }

    /**
     * RFC 2449 EXPIRE: removes messages first retrieved more than the policy's days ago, before the
     * client sees the list; returns the messages that remain.
     */
    private List<StoredMessage> expire(Maildrop maildrop, String user) {
        List<StoredMessage> all = maildrop.messages();
        Optional<Integer> days = expireDays();
        if (days.isEmpty() || days.get() == 0) {
            return all;
        }
        Instant cutoff = Instant.now().minus(Duration.ofDays(days.get()));
        List<StoredMessage> keep = new ArrayList<>(all.size());
        List<StoredMessage> expired = new ArrayList<>();
        for (StoredMessage m : all) {
            Optional<Instant> first = maildrop.history().firstRetrieved(m);
            (first.isPresent() && !first.get().isAfter(cutoff) ? expired : keep).add(m);
        }
        if (expired.isEmpty()) {
            return all;
        }
        try {
            maildrop.commit(expired, List.of(), Instant.now());
            log.info("expire: user={} removed={} days={}", user, expired.size(), days.get());
            return keep;
        } catch (StorageException e) {
            log.warn("expire failed: {}", e.getMessage());
            return all;
        }
    }

    /**
     * The RFC 2449 EXPIRE policy in effect, in days, or empty for NEVER: after login the user's own
     * ({@code expire=} in the users file) or else the server's; before login the server's.
     */
    public Optional<Integer> expireDays() {
        return account != null ? account.policy().expire().days(config.expireDays()) : config.expireDays();
    }

    /**
     * The EXPIRE capability's argument. After login, the user's value. Before login, when the policy varies
     * per user, the shortest any user has followed by USER (RFC 2449 section 6.7).
     */
    public String expireCapability() {
        Optional<Integer> days = expireDays();
        if (account == null) {
            var directory = ctx.auth().capabilities();
            if (directory.perUserExpire()) {
                Optional<Integer> min = directory.minUserExpireDays();
                if (min.isPresent() && (days.isEmpty() || min.get() < days.get())) {
                    days = min;
                }
                return days.map(String::valueOf).orElse("NEVER") + " USER";
            }
        }
        return days.map(String::valueOf).orElse("NEVER");
    }

    // ---- transaction ----

    public SessionState state() {
        return state;
    }

    public Transaction transaction() {
        return transaction;
    }

    public ResponseWriter out() {
        return out;
    }

    /**
     * The zero-copy path for stored messages that need no conversion: on a cleartext connection, file octets go
     * to the socket with sendfile. Null under TLS (the octets must be encrypted in the JVM) or when the socket
     * has no channel.
     */
    public ResponseWriter.DirectTransfer directTransfer() {
        SocketChannel channel = secure ? null : socket.getChannel();
        if (channel == null) {
            return null;
        }
        return (file, position, count) -> watchedOut.transfer(file, position, count, channel);
    }

    /** The command reader, for handlers that read more lines (the SASL exchange). */
    public LineReader in() {
        return in;
    }

    /**
     * Ends the session after the current response. From TRANSACTION this is the UPDATE state: the
     * marked messages are removed, retrievals recorded for EXPIRE, then the lock is released.
     */
    public void quit() throws IOException {
        closeRequested = true;
        endReason = "QUIT";
        if (state != SessionState.TRANSACTION) {
            out.ok("Postoffice POP3 server signing off");
            return;
        }
        if (!enterUpdate()) {
            endReason = "shutdown before UPDATE";
            return;
        }
        Maildrop maildrop = transaction.maildrop();
        Optional<Integer> expire = expireDays();
        if (expire.isPresent() && expire.get() == 0) {
            // EXPIRE 0: the server keeps no message once retrieved.
            transaction.markRetrievedDeleted();
        }
        boolean removed;
        try {
            maildrop.commit(transaction.markedDeleted(),
                    expire.isPresent() ? transaction.retrievedMessages() : List.of(), Instant.now());
            removed = true;
        } catch (StorageException e) {
            log.warn("update failed: ip={} user={} reason={}", peer, account.name(), e.getMessage());
            removed = false;
        }
        // Release the lock before answering, so a client that reconnects at once is not told IN-USE.
        maildrop.close();
        if (removed) {
            out.ok("Postoffice POP3 server signing off (" + transaction.visibleCount() + " messages left)");
        } else {
            out.err(ResponseCode.SYS_TEMP, "some deleted messages could not be removed; they are still in the"
                    + " maildrop");
        }
    }

    /**
     * Aborts the session mid-stream (an unreadable message after {@code +OK} was sent): the connection
     * closes at once without UPDATE.
     */
    public void abort(String reason) throws IOException {
        endReason = reason;
        aborting = true;
        closeRequested = true;
        throw new IOException(reason);
    }

    // ---- lifecycle, shared with the server ----

    private synchronized boolean enterUpdate() {
        if (aborting) {
            return false;
        }
        state = SessionState.UPDATE;
        return true;
    }

    /**
     * Closes the connection for a server shutdown unless the session is already in the UPDATE state,
     * which is let finish. Returns true if the session was closed.
     */
    public synchronized boolean shutdown() {
        if (state == SessionState.UPDATE) {
            return false;
        }
        aborting = true;
        endReason = "server shutdown";
        closeQuietly();
        return true;
    }

    /**
     * Ends a wait for the client that has lasted longer than the timeout: the read is woken by shutting down the
     * connection's input and ends as a {@link SocketTimeoutException}, so the session says why before it closes.
     */
    public void checkReadIdle(long nowNanos) {
        long since = readingSince;
        long limit = readTimeoutNanos;
        if (since != 0 && limit > 0 && nowNanos - since > limit && !readTimedOut) {
            readTimedOut = true;
            try {
                rawSocket.shutdownInput();
            } catch (IOException e) {
                closeQuietly();
            }
        }
    }

    /** Closes a connection whose write has been blocked longer than the idle timeout. */
    public void checkWriteStall(long nowNanos) {
        WatchedOutputStream w = watchedOut;
        long started = w == null ? 0 : w.blockedSince();
        if (started != 0 && nowNanos - started > config.idleTimeout().toNanos()) {
            aborting = true;
            endReason = "write timeout";
            closeQuietly();
        }
    }

    private void finish() {
        closeQuietly();
        releaseUserSlot();
        if (transaction != null) {
            transaction.maildrop().close();
            boolean updated = state == SessionState.UPDATE;
            log.info("logout: ip={} user={} reason={} retr={}/{} del={}/{} left={}/{} bytes_out={}", peer,
                    account.name(), endReason, transaction.retrieved(), transaction.retrievedOctets(),
                    updated ? transaction.deletedCount() : 0, updated ? transaction.deletedSize() : 0,
                    updated ? transaction.visibleCount() : transaction.size(),
                    updated ? transaction.visibleSize() : transaction.visibleSize() + transaction.deletedSize(),
                    out == null ? 0 : out.bytesWritten());
        } else {
            log.debug("disconnect: ip={} reason={}", peer, endReason);
        }
        onEnd.run();
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    public String peer() {
        return peer;
    }

    public InetAddress address() {
        return address;
    }

    /** A user name as given on the wire, made safe for a log line. */
    public static String printable(String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            b.append(c < 0x21 || c == 0x7f || c == '=' ? '?' : c);
        }
        return b.toString();
    }

    private static void sleep(Duration d) {
        long millis = d.toMillis();
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tracks how long a write has been blocked on a peer that does not read. */
    /** The client's stream, noting when a read waits (see {@link #checkReadIdle}). */
    private final class WatchedInputStream extends java.io.InputStream {
        private final java.io.InputStream in;

        WatchedInputStream(java.io.InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            readingSince = System.nanoTime() | 1;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                throw readTimedOut ? timedOut() : e;
            } finally {
                readingSince = 0;
            }
            if (n < 0 && readTimedOut) {
                throw timedOut();
            }
            return n;
        }

        private SocketTimeoutException timedOut() {
            return new SocketTimeoutException("no command from the client within the timeout");
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }
    }

    static final class WatchedOutputStream extends OutputStream {
        private final OutputStream out;
        private volatile long blockedSince;

        WatchedOutputStream(OutputStream out) {
            this.out = out;
        }

        long blockedSince() {
            return blockedSince;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            blockedSince = System.nanoTime() | 1;
            try {
                out.write(b, off, len);
            } finally {
                blockedSince = 0;
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        /**
         * Sends file octets with {@link FileChannel#transferTo}, watched like a write. Virtual threads keep the
         * socket non-blocking underneath, so this returns 0 rather than waiting when the peer's window is full.
         */
        long transfer(FileChannel file, long position, long count, SocketChannel channel) throws IOException {
            blockedSince = System.nanoTime() | 1;
            try {
                return file.transferTo(position, count, channel);
            } finally {
                blockedSince = 0;
            }
        }
    }
}
