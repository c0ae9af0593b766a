package dev.postoffice.server.tls;

import java.io.IOException;

/**
 * The TLS certificate or key cannot be used. The message is one line that names the files involved and
 * is meant to be shown to the operator as it is, without a stack trace. An {@link IOException}, so that
 * starting a server has one checked exception; catch it before {@code IOException} to tell it apart.
 */
public final class TlsConfigException extends IOException {
    private static final long serialVersionUID = 1L;

    public TlsConfigException(String message) {
        super(message);
    }

    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
