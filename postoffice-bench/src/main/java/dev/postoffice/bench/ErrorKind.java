package dev.postoffice.bench;

/** What went wrong in a session, as the report counts it. */
public enum ErrorKind {
    /** The TCP connection was refused (nothing listens, or the backlog overflowed). */
    CONNECT_REFUSED("connect_refused"),
    /** {@code -ERR [IN-USE]}: the maildrop is locked by another session. */
    IN_USE("in_use"),
    /** {@code -ERR [AUTH]}, or a failed PASS without a response code. */
    AUTH("auth"),
    /** No answer (or no connection) within the timeout. */
    TIMEOUT("timeout"),
    /** An answer that breaks the protocol: no status indicator, a bad listing, a size that does not match. */
    PROTOCOL("protocol"),
    /** Any other {@code -ERR}, for example {@code [SYS/TEMP]}. */
    ERR_OTHER("err_other"),
    /** The server closed the connection in the middle of a session. */
    CLOSED("closed"),
    /** Any other I/O error, such as a connection reset. */
    IO("io");

    private final String key;

    ErrorKind(String key) {
        this.key = key;
    }

    /** The name used in the JSON report. */
    public String key() {
        return key;
    }
}
