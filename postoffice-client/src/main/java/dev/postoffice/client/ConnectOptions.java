package dev.postoffice.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How to reach and log in to a server.
 *
 * @param tls            certificate checks
 * @param stls           require STLS on a {@code pop3://} connection, even to this machine (it is required for
 *                       other hosts anyway unless {@code allowCleartext})
 * @param allowCleartext allow a password to cross a connection without TLS to another host
 * @param timeout        connect and read timeout
 * @param keytab         for GSSAPI: log in from this keytab (as the URL's user) instead of the ticket cache
 */
public record ConnectOptions(TlsOptions tls, boolean stls, boolean allowCleartext, Duration timeout, Optional<Path> keytab) {
    public static final ConnectOptions DEFAULT = new ConnectOptions(TlsOptions.DEFAULT, false, false, Duration.ofSeconds(60));

    /** Without a keytab: GSSAPI uses the ticket cache. */
    public ConnectOptions(TlsOptions tls, boolean stls, boolean allowCleartext, Duration timeout) {
        this(tls, stls, allowCleartext, timeout, Optional.empty());
    }
}
