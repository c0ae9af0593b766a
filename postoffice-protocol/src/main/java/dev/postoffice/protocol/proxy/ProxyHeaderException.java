package dev.postoffice.protocol.proxy;

import java.io.IOException;

/** The octets at the start of a connection are not a valid PROXY protocol header. The message is safe to log. */
public final class ProxyHeaderException extends IOException {
    public ProxyHeaderException(String message) {
        super(message);
    }
}
