package dev.postoffice.server.command;

import dev.postoffice.storage.StoredMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The TRANSACTION state's view of a maildrop: the message list fixed at login, numbered from 1, the deletion
 * marks that take effect only in the UPDATE state (RFC 1939 section 5), and what RETR sent.
 */
public final class Marks {
    private final List<StoredMessage> messages;
    private final boolean[] deleted;
    private final boolean[] retrievedFlags;
    private final long totalSize;
    private int deletedCount;
    private long deletedSize;
    private int retrieved;
    private long retrievedOctets;

    public Marks(List<StoredMessage> messages) {
        this.messages = List.copyOf(messages);
        this.deleted = new boolean[messages.size()];
        this.retrievedFlags = new boolean[messages.size()];
        long total = 0;
        for (StoredMessage m : messages) {
            total += m.size();
        }
        this.totalSize = total;
    }

    /** Messages in the maildrop including those marked deleted; the highest valid message number. */
    public int size() {
        return messages.size();
    }

    /** The message with this number, or null if there is none or it is marked deleted. */
    public StoredMessage visible(int number) {
        if (number < 1 || number > messages.size() || deleted[number - 1]) {
            return null;
        }
        return messages.get(number - 1);
    }

    /** Whether a number names a message that exists but is marked deleted. */
    public boolean isDeleted(int number) {
        return number >= 1 && number <= messages.size() && deleted[number - 1];
    }

    /** Marks a visible message deleted; returns false if it is not visible. */
    public boolean markDeleted(int number) {
        StoredMessage m = visible(number);
        if (m == null) {
            return false;
        }
        deleted[number - 1] = true;
        deletedCount++;
        deletedSize += m.size();
        return true;
    }

    /** RSET: unmarks every message. */
    public void unmarkAll() {
        java.util.Arrays.fill(deleted, false);
        deletedCount = 0;
        deletedSize = 0;
    }

    public int visibleCount() {
        return messages.size() - deletedCount;
    }

    public long visibleSize() {
        return totalSize - deletedSize;
    }

    public int deletedCount() {
        return deletedCount;
    }

    public long deletedSize() {
        return deletedSize;
    }

    public List<StoredMessage> markedDeleted() {
        List<StoredMessage> out = new ArrayList<>(deletedCount);
        for (int i = 0; i < deleted.length; i++) {
            if (deleted[i]) {
                out.add(messages.get(i));
            }
        }
        return out;
    }

    /** Notes that RETR sent a message (TOP does not count, RFC 2449 EXPIRE). */
    public void countRetrieved(int number, long octets) {
        retrieved++;
        retrievedOctets += octets;
        retrievedFlags[number - 1] = true;
    }

    /** Messages retrieved with RETR in this session and not marked deleted. */
    public List<StoredMessage> retrievedMessages() {
        List<StoredMessage> out = new ArrayList<>();
        for (int i = 0; i < retrievedFlags.length; i++) {
            if (retrievedFlags[i] && !deleted[i]) {
                out.add(messages.get(i));
            }
        }
        return out;
    }

    /** EXPIRE 0: marks every retrieved message deleted. */
    void markRetrievedDeleted() {
        for (int i = 0; i < retrievedFlags.length; i++) {
            if (retrievedFlags[i]) {
                markDeleted(i + 1);
            }
        }
    }

    public int retrieved() {
        return retrieved;
    }

    public long retrievedOctets() {
        return retrievedOctets;
    }
}
