package dev.postoffice.storage;

/**
 * A delivery refused because the maildrop is over its {@link Quota}. Permanent as a storage failure; whether the
 * sender should try again later is the caller's policy (LMTP's {@code quota-full-tempfail}).
 */
public class QuotaExceededException extends StorageException {
    private final Usage usage;
    private final Quota quota;

    public QuotaExceededException(Usage usage, Quota quota, long size) {
        super("over quota: " + usage.bytes() + " octets in " + usage.messages() + " messages, limits "
                + quota.maxBytes() + " octets and " + quota.maxMessages() + " messages (0: none), message of "
                + size + " octets", false);
        this.usage = usage;
        this.quota = quota;
    }

    public Usage usage() {
        return usage;
    }

    public Quota quota() {
        return quota;
    }
}
