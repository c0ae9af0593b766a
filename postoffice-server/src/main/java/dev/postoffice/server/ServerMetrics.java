package dev.postoffice.server;

/**
 * What the server reports for monitoring; the app implements it over a metrics registry (see docs/operations.md),
 * tests and embedders use {@link #NONE}. Called on the session threads, so an implementation must be thread-safe and
 * cheap: no allocation per call (resolve its meters ahead of time).
 */
public interface ServerMetrics {
    /** Reports nothing. */
    ServerMetrics NONE = new ServerMetrics() { };

    /** A connection was accepted on a listener ({@code "pop3"} or {@code "pop3s"}), refused or not. */
    default void connectionAccepted(String listener) { }

    /** A session started on a listener (the connection was within the limits). */
    default void sessionStarted(String listener) { }

    /** That session ended. */
    default void sessionEnded(String listener) { }

    /** An authentication attempt ended; {@code result} as in the {@code auth:} log line ({@code ok}, {@code fail}...). */
    default void login(String mechanism, String result) { }

    /** A command ran: its keyword (upper case) and how long it took from parsing to its reply being written. */
    default void command(String keyword, long nanos) { }

    /** RETR sent a message of this many octets. */
    default void retrieved(long octets) { }

    /** UPDATE removed this many messages. */
    default void deleted(int messages) { }

    /** A TLS handshake ended; {@code protocol} is e.g. {@code TLSv1.3}, or {@code none} when it failed. */
    default void tlsHandshake(boolean ok, String protocol) { }
}
