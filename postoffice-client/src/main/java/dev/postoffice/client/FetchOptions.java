package dev.postoffice.client;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * What one fetch does.
 *
 * @param keep      leave messages on the server; each is downloaded once
 * @param keepFor   with {@code keep}: delete a message once it has been kept this long since its first download
 *                  (null: keep forever)
 * @param all       download every message whatever the state says
 * @param maxSize   leave messages larger than this many octets on the server, undownloaded
 * @param batch     messages per durability batch (one directory fsync and one journal fsync each)
 */
public record FetchOptions(boolean keep, Duration keepFor, boolean all, OptionalLong maxSize, int batch) {
    public static final FetchOptions DELETE = new FetchOptions(false, null, false, OptionalLong.empty(), 64);
    public static final FetchOptions KEEP = new FetchOptions(true, null, false, OptionalLong.empty(), 64);

    public FetchOptions {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1");
        }
    }
}
