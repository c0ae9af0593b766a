package dev.postoffice.storage.maildir.lock;

import java.time.Duration;
import java.time.Instant;

/**
 * Whether an existing lock file (or template) is held or stale: a pure function of what was read from it,
 * the time, this process, what this store knows of it and the probe's answer, so that every rule of the table
 * in docs/storage.md is tested without a file.
 */
public final class Staleness {
    /** A lock from another host whose mtime is older than this is stale. */
    public static final Duration FOREIGN_STALE_AFTER = Duration.ofMinutes(10);
    /** An unreadable or garbled lock (or break guard) younger than this may still be being written. */
    public static final Duration UNREADABLE_GRACE = Duration.ofSeconds(30);

    private Staleness() {}

    /** Whether the holder of a lock file is still there. */
    public enum Verdict {
        /** Its holder is (or may be) there: the maildrop is busy. */
        HELD,
        /** Left by a holder that cannot come back: it may be broken. */
        STALE,
        /** There is no file. */
        GONE
    }

    /** What the store that judges knows of a lock of this process. */
    public enum Ours {
        /** One of its locks holds (or is taking) the file. */
        HOLDS,
        /** The store made it and no lock of the store holds it any longer: a leftover of a failed release. */
        RELEASED,
        /** Not made by this store (or not of this process at all). */
        NO
    }

    /**
     * The verdict on a lock file.
     *
     * @param mtime the file's mtime, or null if there is no file
     * @param owner its owner line, or null if it does not hold a valid one
     * @param self  this process; a line with its host and pid was written by this process or by an earlier one
     *              that had the same pid
     * @param ours  whether the judging store made and holds the file (consulted only for this process's lines)
     * @param probe asked only for another process of this host
     */
    public static Verdict verdict(Instant mtime, Owner owner, Instant now, ProcessId self, Ours ours,
            ProcessProbe probe) {
        if (mtime == null) {
            return Verdict.GONE;
        }
        Duration age = Duration.between(mtime, now);
        if (owner == null) {
            return age.compareTo(UNREADABLE_GRACE) > 0 ? Verdict.STALE : Verdict.HELD;
        }
        if (!owner.host().equalsIgnoreCase(self.host())) {
            // Nothing tells whether a process on another host is alive but its refreshing of the mtime.
            return age.compareTo(FOREIGN_STALE_AFTER) > 0 ? Verdict.STALE : Verdict.HELD;
        }
        if (owner.pid() == self.pid()) {
            return switch (ours) {
                case HOLDS -> Verdict.HELD;
                case RELEASED -> Verdict.STALE;
                // Another store of this live process holds it (stores always release their locks), unless an
                // earlier process with the same pid wrote it, such as a server that is always pid 1 in its container.
                case NO -> sameProcess(owner.process(), self) ? Verdict.HELD : Verdict.STALE;
            };
        }
        return probe.alive(owner.process()) ? Verdict.HELD : Verdict.STALE;
    }

    /** Whether a line with this process's pid names this process, not an earlier one; true if nothing tells. */
    static boolean sameProcess(ProcessId line, ProcessId self) {
        if (line.boot() != null && self.boot() != null && line.ticks() >= 0 && self.ticks() >= 0) {
            return line.boot().equals(self.boot()) && line.ticks() == self.ticks();
        }
        if (line.start() != null && self.start() != null) {
            return Math.abs(Duration.between(line.start(), self.start()).toMillis()) <= ProcProbe.START_TOLERANCE_MILLIS;
        }
        return true;
    }
}
