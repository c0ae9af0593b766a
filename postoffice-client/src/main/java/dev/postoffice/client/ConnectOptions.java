package dev.postoffice.client;

import java.time.Duration;

/**
 * How to reach and log in to a server.
 *
 * @param tls            certificate checks
 * @param stls           require STLS on a {@code pop3://} connection, even to this machine (it is required for
 *                       other hosts anyway unless {@code allowCleartext})
 * @param allowCleartext allow a password to cross a connection without TLS to another host
 * @param timeout        connect and read timeout
 */
public record ConnectOptions(TlsOptions tls, boolean stls, boolean allowCleartext, Duration timeout) {
    public static final ConnectOptions DEFAULT = new ConnectOptions(TlsOptions.DEFAULT, false, false, Duration.ofSeconds(60));
}
