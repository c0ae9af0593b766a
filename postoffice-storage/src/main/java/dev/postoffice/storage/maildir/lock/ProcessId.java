package dev.postoffice.storage.maildir.lock;

import java.time.Instant;

/**
 * Which process an owner line names: {@code host} and {@code pid}, and, to tell that process from a later one
 * with the same pid, its start time ({@code start}, from the JDK) and on Linux the kernel's boot id and the
 * start in clock ticks since boot ({@code boot}, {@code ticks}).
 *
 * @param start the start time, or null if unknown
 * @param boot  the kernel boot id, or null if unknown
 * @param ticks the start in clock ticks since boot, or -1 if unknown
 */
public record ProcessId(String host, long pid, Instant start, String boot, long ticks) {}
