package dev.postoffice.storage;

/** The maildrop is locked by another POP3 session (RFC 2449 response code IN-USE). */
public class MaildropBusyException extends StorageException {
    public MaildropBusyException(String message) {
        super(message, true);
    }
}
