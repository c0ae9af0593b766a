package dev.postoffice.lmtp;

import dev.postoffice.storage.Quota;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the LMTP listener.
 *
 * @param hostname           the name in the greeting and in {@code Received:}
 * @param maxMessageSize     the largest message accepted, advertised with SIZE (octets)
 * @param maxRecipients      recipients per transaction (RFC 5321 asks to accept at least 100)
 * @param recipientDelimiter separates a detail from the user in a local part ({@code user+detail}); empty for none
 * @param commandTimeout     how long to wait for a command (RFC 5321 section 4.5.3.2.7: 5 minutes)
 * @param dataTimeout        how long to wait for each block of DATA or BDAT (RFC 5321: 3 minutes)
 * @param maxConnections     connections at once; more are answered 421
 * @param defaultQuota       the quota of users without {@code quota_bytes=}/{@code quota_messages=} fields
 * @param quotaTempfail      answer over-quota recipients 452 4.2.2 (the MTA retries) instead of 552 5.2.2
 * @param spoolDir           where messages over a megabyte wait while they are delivered
 */
public record LmtpConfig(String hostname, long maxMessageSize, int maxRecipients, String recipientDelimiter,
        Duration commandTimeout, Duration dataTimeout, int maxConnections, Quota defaultQuota, boolean quotaTempfail,
        Path spoolDir) {
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 64L << 20;
    public static final int DEFAULT_MAX_RECIPIENTS = 100;

    public LmtpConfig {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(recipientDelimiter, "recipientDelimiter");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(dataTimeout, "dataTimeout");
        Objects.requireNonNull(defaultQuota, "defaultQuota");
        Objects.requireNonNull(spoolDir, "spoolDir");
        if (maxMessageSize <= 0 || maxRecipients <= 0 || maxConnections <= 0) {
            throw new IllegalArgumentException("LMTP limits must be positive");
        }
    }

    /** The defaults, spooling under {@code spoolDir}. */
    public static LmtpConfig defaults(String hostname, Path spoolDir) {
        return new LmtpConfig(hostname, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_RECIPIENTS, "+", Duration.ofMinutes(5),
                Duration.ofMinutes(3), 200, Quota.NONE, false, spoolDir);
    }

    public LmtpConfig withQuota(Quota quota, boolean tempfail) {
        return new LmtpConfig(hostname, maxMessageSize, maxRecipients, recipientDelimiter, commandTimeout,
                dataTimeout, maxConnections, quota, tempfail, spoolDir);
    }

    public LmtpConfig withLimits(long messageSize, int recipients, String delimiter) {
        return new LmtpConfig(hostname, messageSize, recipients, delimiter, commandTimeout, dataTimeout,
                maxConnections, defaultQuota, quotaTempfail, spoolDir);
    }

    public LmtpConfig withTimeouts(Duration command, Duration data) {
        return new LmtpConfig(hostname, maxMessageSize, maxRecipients, recipientDelimiter, command, data,
                maxConnections, defaultQuota, quotaTempfail, spoolDir);
    }
}
