package dev.postoffice.storage.maildir.lock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** What an owner line says about this process, looked up once (constants: they never change while it runs). */
public final class ThisProcess {
    public static final long PID = ProcessHandle.current().pid();
    public static final Instant START = ProcessHandle.current().info().startInstant().orElse(null);
    /** The kernel's boot id (Linux), or null. */
    public static final String BOOT_ID = bootId();
    /** This process's start in clock ticks since boot (Linux), or -1. */
    public static final long TICKS = BOOT_ID == null ? -1 : ownTicks();

    private ThisProcess() {}

    /** This process on the host of that name (as delivery writes it into file names). */
    public static ProcessId id(String hostName) {
        return new ProcessId(sanitize(hostName), PID, START, BOOT_ID, TICKS);
    }

    private static String bootId() {
        try {
            String id = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.ISO_8859_1)
                    .strip();
            return id.matches("[0-9a-fA-F-]{8,64}") ? id : null;
        } catch (IOException | RuntimeException e) {
            return null; // not Linux
        }
    }

    private static long ownTicks() {
        try {
            return ProcProbe.ProcStat.read(PID).startTicks();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The host name as one word of the owner line. */
    static String sanitize(String host) {
        StringBuilder b = new StringBuilder(host.length());
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            b.append(c > 0x20 && c < 0x7F ? c : '_');
        }
        return b.isEmpty() ? "localhost" : b.toString();
    }
}
