package dev.postoffice.server.command;

import dev.postoffice.protocol.Reply;
import dev.postoffice.server.ServerContext;
import dev.postoffice.server.login.LoginPolicy;
import java.time.Instant;

/**
 * What a command handler may see and change of its session: the narrow view that keeps handlers testable
 * without a socket. The session implements it; tests implement it over the in-memory store.
 */
public interface CommandContext {
    /** The server's shared services and configuration. */
    ServerContext server();

    /** This connection's login rules: cleartext policy, mechanisms, throttle, per-user slots. */
    LoginPolicy login();

    SessionState state();

    /** Moves to another state. */
    void enter(SessionState next);

    /** Whether the connection is under TLS (POP3S or after STLS). */
    boolean secure();

    /** The APOP timestamp of the greeting, while APOP is offered; null otherwise. */
    String apopTimestamp();

    /** After the reply has been sent, negotiates TLS (STLS, RFC 2595 section 4). */
    void startTlsAfterReply();

    /** After the reply has been sent, closes the connection; {@code reason} goes to the logout line. */
    void closeAfterReply(String reason);

    /**
     * Enters the UPDATE state unless the session is being shut down (then nothing may be removed and the caller
     * answers nothing). Returns whether it did.
     */
    boolean enterUpdate(SessionState.Update update);

    /** RFC 6856 UTF8 was issued. */
    void enableUtf8();

    /**
     * Answers an invalid command (wrong state, bad syntax): counts it, and after too many in a row closes the
     * connection after the reply.
     */
    Reply invalidCommand(String reason);

    /** A valid command ends a run of invalid ones. */
    void commandAccepted();

    /** The current time (a clock tests can set). */
    Instant now();
}
