package dev.postoffice.protocol.client;

import java.io.IOException;

/** The server sent something a POP3 client cannot make sense of (the connection is no longer usable). */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
