package dev.postoffice.server.session;

import java.time.Instant;

/**
 * One session as an administrator sees it ({@code postoffice who}).
 *
 * @param id       the connection number its log lines carry
 * @param user     the logged-in user, or null before login
 * @param address  the client's address
 * @param listener {@code pop3} or {@code pop3s}
 * @param state    {@code authorization}, {@code transaction} or {@code update}
 * @param since    when the connection was accepted
 * @param bytesOut octets sent to the client so far
 */
public record SessionInfo(long id, String user, String address, String listener, String state, Instant since,
        long bytesOut) {}
