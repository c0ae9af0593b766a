package dev.postoffice.storage;

import dev.postoffice.message.MessageForm;

/**
 * A stored message.
 *
 * @param id   the backend's key for it (for Maildir, the file name in {@code new/})
 * @param size its canonical size: what LIST will report and RETR send before byte-stuffing
 * @param form how it was stored, recorded at delivery so that no login has to read it to find out
 */
public record DeliveryResult(String id, long size, MessageForm form) {}
