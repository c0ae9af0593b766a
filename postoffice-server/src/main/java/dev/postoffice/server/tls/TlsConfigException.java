package dev.postoffice.server.tls;

import java.io.IOException;

/**
 * The TLS certificate or key, or the chosen {@link TlsProvider}, cannot be used. The message is one line that names
 * the files or the setting involved and is meant to be shown to the operator as it is, without a stack trace. An
 * {@link IOException}, so that starting a server has one checked exception; catch it before {@code IOException} to
 * tell it apart.
 */
public final class TlsConfigException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean aboutProvider;

    public TlsConfigException(String message) {
        this(message, null);
    }

    public TlsConfigException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private TlsConfigException(String message, Throwable cause, boolean aboutProvider) {
        super(message, cause);
        this.aboutProvider = aboutProvider;
    }

    /** The {@code tls-provider} cannot run here (its native library, its TLS): no certificate would help. */
    static TlsConfigException provider(String message, Throwable cause) {
        return new TlsConfigException(message, cause, true);
    }

    /** Whether the fault is the {@code tls-provider} setting's rather than the certificate's or the key's. */
    public boolean aboutProvider() {
        return aboutProvider;
    }
}
