package dev.postoffice.storage;

import java.util.Objects;
import java.util.Optional;

/**
 * What the transport knew of a message besides its content: the envelope sender (empty for a bounce or when
 * unknown) and the recipient address as given (it may carry a {@code +detail}).
 */
public record Envelope(Optional<String> sender, Optional<String> recipient) {
    public Envelope {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(recipient, "recipient");
    }

    /** No envelope: a message handed over by file or pipe. */
    public static Envelope none() {
        return new Envelope(Optional.empty(), Optional.empty());
    }
}
