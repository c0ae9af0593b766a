package dev.postoffice.lmtp;

/**
 * Told the outcome of every recipient the listener answers (at RCPT, or after DATA or BDAT), e.g. to count
 * deliveries in metrics. Called on the session's thread; it must be quick and must not throw.
 */
@FunctionalInterface
public interface DeliveryObserver {
    /** Observes nothing. */
    DeliveryObserver NONE = (outcome, result) -> { };

    /** What happened to one recipient. */
    enum Outcome { DELIVERED, OVER_QUOTA, UNKNOWN_USER, TOO_LARGE, TEMPORARY_FAILURE }

    /**
     * One recipient's outcome; {@code result} is the reply's class with the labels {@code postoffice deliver}
     * counts: {@code ok} (2xx), {@code temporary} (4xx, the MTA retries) or {@code permanent} (5xx).
     */
    void recipient(Outcome outcome, String result);

    /** The outcome of a reply to a delivered message: 2xx stored, {@code x.2.2} mailbox full, else temporary. */
    static Outcome outcome(String reply) {
        return reply.startsWith("2") ? Outcome.DELIVERED
                : reply.startsWith("452 4.2.2") || reply.startsWith("552 5.2.2") ? Outcome.OVER_QUOTA
                : Outcome.TEMPORARY_FAILURE;
    }

    /** The label for an LMTP reply: {@code ok}, {@code temporary} or {@code permanent}. */
    static String result(String reply) {
        return reply.startsWith("2") ? "ok" : reply.startsWith("4") ? "temporary" : "permanent";
    }
}
