package dev.postoffice.storage;

/** A storage failure. {@link #temporary()} tells whether trying again later may succeed. */
public class StorageException extends Exception {
    private final boolean temporary;

    public StorageException(String message, boolean temporary, Throwable cause) {
        super(message, cause);
        this.temporary = temporary;
    }

    public StorageException(String message, boolean temporary) {
        this(message, temporary, null);
    }

    public boolean temporary() {
        return temporary;
    }
}
