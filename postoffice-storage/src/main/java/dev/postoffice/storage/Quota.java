package dev.postoffice.storage;

/**
 * A maildrop's limits, checked by a delivery against the usage the store keeps.
 *
 * @param maxBytes    the most canonical octets the maildrop may hold; 0 for no limit
 * @param maxMessages the most messages it may hold; 0 for no limit
 * @param grace       let in the message that crosses a limit, as long as the maildrop was below it
 */
public record Quota(long maxBytes, long maxMessages, boolean grace) {
    /** No limits. */
    public static final Quota NONE = new Quota(0, 0, false);

    public Quota {
        if (maxBytes < 0 || maxMessages < 0) {
            throw new IllegalArgumentException("a quota limit cannot be negative");
        }
    }

    /** Whether a limit is set. */
    public boolean limited() {
        return maxBytes > 0 || maxMessages > 0;
    }

    /** Whether a maildrop at {@code usage} may take one more message of {@code size} octets. */
    public boolean admits(Usage usage, long size) {
        if (grace) {
            return (maxBytes == 0 || usage.bytes() < maxBytes) && (maxMessages == 0 || usage.messages() < maxMessages);
        }
        return (maxBytes == 0 || usage.bytes() + size <= maxBytes)
                && (maxMessages == 0 || usage.messages() + 1 <= maxMessages);
    }
}
