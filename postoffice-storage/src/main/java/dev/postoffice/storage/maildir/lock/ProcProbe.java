package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The {@link ProcessProbe} of a real host: on Linux the boot id and {@code /proc/<pid>/stat} (state and start
 * in clock ticks, immune to clock steps), elsewhere or as a fallback the JDK's process handle and start time.
 */
public final class ProcProbe implements ProcessProbe {
    /** A two-second window for start times computed from the boot time, which jitters by a second. */
    static final long START_TOLERANCE_MILLIS = 1_000;

    private final String bootId;

    /** A probe for this host, as booted now. */
    public ProcProbe() {
        this(ThisProcess.BOOT_ID);
    }

    /** @param bootId this host's kernel boot id, or null if unknown (not Linux) */
    public ProcProbe(String bootId) {
        this.bootId = bootId;
    }

    @Override
    public boolean alive(ProcessId p) {
        if (bootId != null && p.boot() != null && p.ticks() >= 0) {
            if (!p.boot().equals(bootId)) {
                return false; // written before the last reboot
            }
            ProcStat stat;
            try {
                stat = ProcStat.read(p.pid());
            } catch (NoSuchFileException e) {
                return false;
            } catch (AccessDeniedException e) {
                return true; // it exists (another user's, with hidepid=1): cannot tell a reused pid
            } catch (IOException | RuntimeException e) {
                stat = null; // an unexpected format: ask the JDK below
            }
            if (stat != null) {
                return stat.state() != 'Z' && stat.state() != 'X' && stat.startTicks() == p.ticks();
            }
        }
        ProcessHandle handle = ProcessHandle.of(p.pid()).orElse(null);
        if (handle == null || !handle.isAlive()) {
            return false;
        }
        Instant start = handle.info().startInstant().orElse(null);
        if (start == null || p.start() == null) {
            return true; // cannot tell a reused pid: assume the holder
        }
        return Math.abs(Duration.between(start, p.start()).toMillis()) <= START_TOLERANCE_MILLIS;
    }

    /** State and start time of a process from {@code /proc/<pid>/stat} (Linux). */
    public record ProcStat(char state, long startTicks) {
        public static ProcStat read(long pid) throws IOException {
            return parse(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1));
        }

        /** Fields after the command, which is in parentheses and may itself contain spaces and ')'. */
        public static ProcStat parse(String stat) throws IOException {
            int paren = stat.lastIndexOf(')');
            String[] fields = paren < 0 ? new String[0] : stat.substring(paren + 1).strip().split(" ");
            // fields[0] is field 3 of proc(5), "state"; fields[19] is field 22, "starttime".
            if (fields.length < 20 || fields[0].length() != 1) {
                throw new IOException("unexpected /proc stat format");
            }
            try {
                return new ProcStat(fields[0].charAt(0), Long.parseLong(fields[19]));
            } catch (NumberFormatException e) {
                throw new IOException("unexpected /proc stat format", e);
            }
        }
    }
}
