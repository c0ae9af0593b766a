package dev.postoffice.protocol.proxy;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What a PROXY protocol header (HAProxy's proxy-protocol.txt, version 1 or 2) said about a connection: either the
 * original client's and server's addresses, or that the connection is the proxy's own ({@link #local()}: a v2
 * {@code LOCAL} command such as a health check, v1 {@code UNKNOWN}, or a family without addresses), whose real
 * endpoints are to be used.
 *
 * @param source      the original client, or null when local
 * @param destination the address the client connected to, or null when local
 */
public record ProxyHeader(InetSocketAddress source, InetSocketAddress destination) {
    /** The header of a connection whose real endpoints count. */
    public static final ProxyHeader LOCAL = new ProxyHeader(null, null);

    public ProxyHeader {
        if ((source == null) != (destination == null)) {
            throw new IllegalArgumentException("source and destination go together");
        }
    }

    /** A header naming the original client and the address it connected to. */
    public static ProxyHeader proxied(InetSocketAddress source, InetSocketAddress destination) {
        return new ProxyHeader(Objects.requireNonNull(source, "source"),
                Objects.requireNonNull(destination, "destination"));
    }

    /** Whether the connection's real endpoints count (no client address was relayed). */
    public boolean local() {
        return source == null;
    }
}
