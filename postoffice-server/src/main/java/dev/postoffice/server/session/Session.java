package dev.postoffice.server.session;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthResult;
import dev.postoffice.auth.AuthService;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.CommandParser;
import dev.postoffice.protocol.CommandSyntaxException;
import dev.postoffice.protocol.LineReader;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.command.CommandHandlers;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private final Socket socket;
    private final ServerConfig config;
    private final AuthService auth;
    private final MaildropStore store;
    private final String timestamp;
    private final String peer;
    private final Runnable onEnd;
    private final WatchedOutputStream watchedOut;

    private LineReader in;
    private ResponseWriter out;
    private volatile SessionState state = SessionState.AUTHORIZATION;
    private String pendingUser;
    private Account account;
    private Transaction transaction;
    private boolean closeRequested;
    private boolean aborting;
    private String endReason = "disconnected";
    private int badCommands;

    public Session(Socket socket, ServerConfig config, AuthService auth, MaildropStore store, String timestamp,
                   Runnable onEnd) throws IOException {
        this.socket = socket;
        this.config = config;
        this.auth = auth;
        this.store = store;
        this.timestamp = timestamp;
        this.onEnd = onEnd;
        this.peer = describe(socket);
        this.watchedOut = new WatchedOutputStream(socket.getOutputStream());
    }

    @Override
    public void run() {
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, config.idleTimeout().toMillis()));
            InputStream raw = socket.getInputStream();
            out = new ResponseWriter(watchedOut, WRITE_BUFFER);
            in = new LineReader(raw, READ_BUFFER, ServerConfig.HARD_LINE_LIMIT, out::flush);
            out.ok("Postoffice POP3 server ready " + timestamp);
            loop();
            out.flush();
        } catch (SocketTimeoutException e) {
            endReason = "idle timeout";
            try {
                out.err("autologout: idle for too long, closing the connection");
                out.flush();
            } catch (IOException ignored) {
                // the peer is gone; nothing to tell it
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
        }
    }

    private void loop() throws IOException {
        while (!closeRequested) {
            LineReader.Result r = in.read(ServerConfig.MAX_COMMAND_LINE);
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

    // ---- authorization ----

    public String apopTimestamp() {
        return timestamp;
    }

    public Optional<String> pendingUser() {
        return Optional.ofNullable(pendingUser);
    }

    public void setPendingUser(String user) {
        this.pendingUser = user;
    }

    public AuthService auth() {
        return auth;
    }

    /**
     * Completes an authentication attempt: on success opens and locks the maildrop and enters the
     * TRANSACTION state; otherwise answers with the right response code and stays in AUTHORIZATION.
     */
    public void completeLogin(String user, String mechanism, AuthResult result) throws IOException {
        pendingUser = null;
        switch (result) {
            case AuthResult.Success s -> openMaildrop(s.account(), mechanism);
            case AuthResult.Rejected r -> {
                log.info("auth failed: peer={} user={} mechanism={} result=rejected", peer, printable(user), mechanism);
                sleep(config.authFailureDelay().toMillis());
                out.err(ResponseCode.AUTH, "authentication failed");
            }
            case AuthResult.Unavailable u -> {
                log.warn("auth failed: peer={} user={} mechanism={} result=unavailable reason={}", peer,
                        printable(user), mechanism, u.reason());
                out.err(ResponseCode.SYS_TEMP, "authentication is temporarily unavailable, try again later");
            }
        }
    }

    private void openMaildrop(Account a, String mechanism) throws IOException {
        Maildrop maildrop;
        try {
            maildrop = store.open(a.name(), a.home());
        } catch (MaildropBusyException e) {
            log.info("auth ok, maildrop busy: peer={} user={} mechanism={}", peer, a.name(), mechanism);
            out.err(ResponseCode.IN_USE, "maildrop is locked by another session, try again later");
            return;
        } catch (StorageException e) {
            log.warn("auth ok, maildrop unavailable: peer={} user={} reason={}", peer, a.name(), e.getMessage());
            out.err(e.temporary() ? ResponseCode.SYS_TEMP : ResponseCode.SYS_PERM,
                    "maildrop cannot be opened" + (e.temporary() ? ", try again later" : ""));
            return;
        }
        account = a;
        transaction = new Transaction(maildrop);
        state = SessionState.TRANSACTION;
        log.info("login: peer={} user={} mechanism={} messages={} octets={}", peer, a.name(), mechanism,
                transaction.visibleCount(), transaction.visibleSize());
        out.ok(a.name() + "'s maildrop has " + transaction.visibleCount() + " messages ("
                + transaction.visibleSize() + " octets)");
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
     * Ends the session after the current response. From TRANSACTION this is the UPDATE state: the
     * marked messages are removed, then the lock is released.
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
        boolean removed;
        try {
            transaction.maildrop().remove(transaction.markedDeleted());
            removed = true;
        } catch (StorageException e) {
            log.warn("update failed: peer={} user={} reason={}", peer, account.name(), e.getMessage());
            removed = false;
        } finally {
            // Release the lock before answering, so a client that reconnects at once is not told IN-USE.
            transaction.maildrop().close();
        }
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

    /** Closes a connection whose write has been blocked longer than the idle timeout. */
    public void checkWriteStall(long nowNanos) {
        long started = watchedOut.blockedSince();
        if (started != 0 && nowNanos - started > config.idleTimeout().toNanos()) {
            aborting = true;
            endReason = "write timeout";
            closeQuietly();
        }
    }

    private void finish() {
        closeQuietly();
        if (transaction != null) {
            transaction.maildrop().close();
            log.info("logout: peer={} user={} reason={} retr={}/{} del={}/{} left={}/{} bytes_out={}", peer,
                    account.name(), endReason, transaction.retrieved(), transaction.retrievedOctets(),
                    state == SessionState.UPDATE ? transaction.deletedCount() : 0,
                    state == SessionState.UPDATE ? transaction.deletedSize() : 0,
                    state == SessionState.UPDATE ? transaction.visibleCount() : transaction.size(),
                    state == SessionState.UPDATE ? transaction.visibleSize()
                            : transaction.visibleSize() + transaction.deletedSize(),
                    out == null ? 0 : out.bytesWritten());
        } else {
            log.debug("disconnect: peer={} reason={}", peer, endReason);
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

    private static String describe(Socket s) {
        if (s.getRemoteSocketAddress() instanceof InetSocketAddress a) {
            return a.getAddress().getHostAddress() + ":" + a.getPort();
        }
        return String.valueOf(s.getRemoteSocketAddress());
    }

    /** A user name as given on the wire, made safe for a log line. */
    static String printable(String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            b.append(c < 0x21 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    private static void sleep(long millis) {
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
    }
}
