package dev.postoffice.storage;

/**
 * A message in a maildrop snapshot.
 *
 * @param id   the backend's key for the message (for Maildir, the file's base name)
 * @param uidl the unique-id listing (RFC 1939 section 7): 1 to 70 characters in 0x21..0x7E, stable
 *             forever and never reused for another message of the same maildrop
 * @param size the canonical size in octets, exactly what RETR sends before byte-stuffing
 *             (see {@code dev.postoffice.message.MessageFormat})
 */
public record StoredMessage(String id, String uidl, long size) {}
