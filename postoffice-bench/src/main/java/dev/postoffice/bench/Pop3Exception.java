package dev.postoffice.bench;

import java.io.IOException;

/** A failed POP3 exchange, classified for the report. */
public final class Pop3Exception extends IOException {
    private final ErrorKind kind;

    public Pop3Exception(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Pop3Exception(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public ErrorKind kind() {
        return kind;
    }
}
