package dev.postoffice.server.session;

/** The states of a POP3 session (RFC 1939 section 3). */
public enum SessionState {
    /** After the greeting, until the client has identified itself. */
    AUTHORIZATION,
    /** Logged in, maildrop locked: the client works with its messages. */
    TRANSACTION,
    /** After QUIT from TRANSACTION: deleted messages are removed and the lock released. */
    UPDATE
}
