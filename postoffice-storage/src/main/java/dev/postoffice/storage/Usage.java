package dev.postoffice.storage;

/** What a maildrop holds: canonical octets (the sum of LIST sizes) and messages. */
public record Usage(long bytes, long messages) {
    public static final Usage EMPTY = new Usage(0, 0);

    /** This usage with {@code bytes} and {@code messages} added (negative to remove), never below zero. */
    public Usage plus(long bytes, long messages) {
        return new Usage(Math.max(0, this.bytes + bytes), Math.max(0, this.messages + messages));
    }
}
