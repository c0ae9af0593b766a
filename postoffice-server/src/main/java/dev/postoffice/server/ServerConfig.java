package dev.postoffice.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a running server. {@link #defaults()} gives what a demanding operator would choose; every
 * value can be overridden from the command line or the configuration file.
 *
 * @param pop3Listen       where the cleartext POP3 listener binds (default 0.0.0.0:110)
 * @param hostname         the name in the greeting's APOP timestamp and in logs
 * @param idleTimeout      autologout after this long without a command (RFC 1939 section 3: at least
 *                         10 minutes); also the longest a write may stay blocked on a peer that does not
 *                         read
 * @param authFailureDelay how long a failed authentication waits before its {@code -ERR}; the same for
 *                         an unknown user and a wrong password
 * @param maxBadCommands   consecutive invalid commands after which the connection is closed
 * @param shutdownGrace    how long shutdown waits for sessions already in the UPDATE state
 */
public record ServerConfig(
        InetSocketAddress pop3Listen,
        String hostname,
        Duration idleTimeout,
        Duration authFailureDelay,
        int maxBadCommands,
        Duration shutdownGrace) {

    /** RFC 1939 section 3: an autologout timer must be at least 10 minutes. */
    public static final Duration RFC_MIN_IDLE_TIMEOUT = Duration.ofMinutes(10);

    /** RFC 2449 section 4: a command line is at most 255 octets including the CRLF. */
    public static final int MAX_COMMAND_LINE = 255;

    /** Octets of one overlong line after which the connection is closed. */
    public static final int HARD_LINE_LIMIT = 64 * 1024;

    public ServerConfig {
        Objects.requireNonNull(pop3Listen, "pop3Listen");
        Objects.requireNonNull(hostname, "hostname");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive");
        }
        if (authFailureDelay.isNegative()) {
            throw new IllegalArgumentException("auth failure delay must not be negative");
        }
        if (maxBadCommands < 1) {
            throw new IllegalArgumentException("max bad commands must be at least 1");
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig(new InetSocketAddress("0.0.0.0", 110), localHostName(), RFC_MIN_IDLE_TIMEOUT,
                Duration.ofSeconds(2), 10, Duration.ofSeconds(30));
    }

    public ServerConfig withPop3Listen(InetSocketAddress a) {
        return new ServerConfig(a, hostname, idleTimeout, authFailureDelay, maxBadCommands, shutdownGrace);
    }

    public ServerConfig withHostname(String h) {
        return new ServerConfig(pop3Listen, h, idleTimeout, authFailureDelay, maxBadCommands, shutdownGrace);
    }

    public ServerConfig withIdleTimeout(Duration d) {
        return new ServerConfig(pop3Listen, hostname, d, authFailureDelay, maxBadCommands, shutdownGrace);
    }

    public ServerConfig withAuthFailureDelay(Duration d) {
        return new ServerConfig(pop3Listen, hostname, idleTimeout, d, maxBadCommands, shutdownGrace);
    }

    public ServerConfig withMaxBadCommands(int n) {
        return new ServerConfig(pop3Listen, hostname, idleTimeout, authFailureDelay, n, shutdownGrace);
    }

    public ServerConfig withShutdownGrace(Duration d) {
        return new ServerConfig(pop3Listen, hostname, idleTimeout, authFailureDelay, maxBadCommands, d);
    }

    private static String localHostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
