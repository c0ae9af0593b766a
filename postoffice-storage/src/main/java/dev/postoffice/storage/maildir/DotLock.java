package dev.postoffice.storage.maildir;

import dev.postoffice.storage.MaildropBusyException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cross-process POP3 session lock of one Maildir: a dot-lock file that exists while a session holds the
 * maildrop and is not kept open, so a session costs no file descriptor for it.
 *
 * <p>The file is created with {@code O_EXCL} ({@link StandardOpenOption#CREATE_NEW}), mode 0600, and holds
 * one owner line:
 *
 * <pre>postoffice-pop3-lock host=mail1 pid=4242 start=2026-01-02T03:04:05.670Z boot=&lt;boot id&gt; ticks=123456 created=2026-01-02T09:00:00Z token=&lt;16 hex&gt;</pre>
 *
 * {@code start} is the holder's start time ({@link ProcessHandle.Info#startInstant()}); on Linux {@code boot}
 * (the kernel's boot id) and {@code ticks} (the process start in clock ticks since boot, from
 * {@code /proc/<pid>/stat}) identify the process exactly, immune to wall-clock steps, which shift the
 * {@code start} the JDK computes from the boot time. {@code token} is random per lock: it tells whether the
 * file is still the one this process created. Absent values are written as {@code -}.
 *
 * <p>When the file already exists, whether it is stale is decided as follows:
 * <ul>
 *   <li>Unreadable, empty or garbled (a crash between create and write, or not ours): stale only when its
 *       mtime is older than {@link #UNREADABLE_GRACE}, otherwise the maildrop is busy.</li>
 *   <li>Another host (shared storage): busy unless its mtime is older than {@link #FOREIGN_STALE_AFTER}.
 *       Every process refreshes the mtime of the locks it holds every {@link #REFRESH_EVERY}.</li>
 *   <li>This host, this pid: stale unless this process holds that lock now (its token is in {@link #HELD}).
 *       The caller holds the in-process lock for the Maildir, so such a file is a leftover of an earlier
 *       process with the same pid (a server that is always pid 1 in its container) or of a failed delete.</li>
 *   <li>This host, another pid: busy if that process is alive and started when the owner line says; stale
 *       if it is gone (or a zombie), if the host rebooted since, or if the pid now belongs to a process that
 *       started at another time (pid reuse). When nothing tells the start time, a live pid counts as the
 *       holder.</li>
 * </ul>
 *
 * <p>Breaking a stale lock is serialised by a second dot-lock, {@code <lock>.break}; see {@link #breakStale}.
 */
final class DotLock {
    /** A lock from another host whose mtime is older than this is stale. */
    static final Duration FOREIGN_STALE_AFTER = Duration.ofMinutes(10);
    /** How often the mtime of every lock held by this process is refreshed. */
    static final Duration REFRESH_EVERY = Duration.ofMinutes(1);
    /** An unreadable or garbled lock (or break guard) younger than this may still be being written. */
    static final Duration UNREADABLE_GRACE = Duration.ofSeconds(30);
    /** First word of the owner line. */
    static final String MAGIC = "postoffice-pop3-lock";
    /** Suffix of the guard that serialises the breaking of a stale lock. */
    static final String BREAK_SUFFIX = ".break";

    /** A two-second window for start times computed from the boot time, which jitters by a second. */
    private static final long START_TOLERANCE_MILLIS = 1_000;
    private static final int MAX_BYTES = 1024;
    private static final Set<OpenOption> CREATE_OPTIONS =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    private static final Logger log = LoggerFactory.getLogger(DotLock.class);

    /** The locks this process holds (and the ones it is creating), by token. */
    private static final Map<String, DotLock> HELD = new ConcurrentHashMap<>();
    private static volatile ScheduledExecutorService refresher;

    private final Path file;
    private final String token;
    /** Created and not yet released: refreshed by the refresher. */
    private volatile boolean active;
    private volatile boolean vanishedReported;
    private boolean released;

    private DotLock(Path file, String token) {
        this.file = file;
        this.token = token;
    }

    /** Whether the holder of a lock file is still there. */
    enum Verdict { HELD, STALE, GONE }

    /**
     * Takes the lock. The caller holds the in-process lock of the Maildir, so no other session of this
     * process competes for the same file.
     *
     * @throws MaildropBusyException if another live session holds it
     * @throws IOException           if the lock file cannot be created or something other than a regular
     *                               file is in the way
     */
    static DotLock acquire(Path file) throws MaildropBusyException, IOException {
        boolean broke = false;
        Owner holder = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            String token = newToken();
            DotLock lock = new DotLock(file, token);
            // Registered before the file exists: a concurrent judge (another path to the same directory, such
            // as a bind mount) that reads our pid and token must count it as held.
            HELD.put(token, lock);
            boolean created = false;
            try {
                created = create(file, Owner.self(token, Instant.now()).line());
            } finally {
                if (!created) {
                    HELD.remove(token);
                }
            }
            if (created) {
                lock.active = true;
                startRefresher();
                return lock;
            }
            Judgement j = judge(file);
            holder = j.owner;
            if (j.verdict == Verdict.GONE) {
                continue; // released between our create and our read: try again
            }
            if (j.verdict == Verdict.STALE && !broke) {
                broke = true;
                if (breakStale(file)) {
                    continue; // gone now: one more CREATE_NEW, which a faster process may still win
                }
            }
            break;
        }
        throw new MaildropBusyException("the maildrop is in use by another session"
                + (holder != null ? " (" + holder.describe() + ")" : ""));
    }

    private static String newToken() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /**
     * Creates the lock file with {@code O_EXCL} and writes the owner line.
     *
     * @return false if a file (or anything else) of that name exists
     */
    private static boolean create(Path file, String line) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, CREATE_OPTIONS, FileOps.privateFile(file));
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        // Not fsynced: after a crash of the machine the holder's pid is gone (or reused, with another start
        // time; on Linux the boot id differs too), and an empty or half-written file is stale after
        // UNREADABLE_GRACE.
        try (ch) {
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException | RuntimeException e) {
            FileOps.deleteQuietly(file, e);
            throw e;
        }
        return true;
    }

    /** The verdict on an existing lock file, with its owner when the file could be read. */
    record Judgement(Verdict verdict, Owner owner) {}

    /** Decides whether the lock file's holder is still there (see the class comment). */
    static Judgement judge(Path file) throws IOException {
        Contents c = read(file);
        if (c == null) {
            return new Judgement(Verdict.GONE, null);
        }
        Duration age = Duration.between(c.mtime().toInstant(), Instant.now());
        Owner owner = c.owner();
        if (owner == null) {
            return new Judgement(age.compareTo(UNREADABLE_GRACE) > 0 ? Verdict.STALE : Verdict.HELD, null);
        }
        if (!owner.host().equalsIgnoreCase(Self.HOST)) {
            // Nothing tells whether a process on another host is alive but its refreshing of the mtime.
            return new Judgement(age.compareTo(FOREIGN_STALE_AFTER) > 0 ? Verdict.STALE : Verdict.HELD, owner);
        }
        if (owner.pid() == Self.PID) {
            return new Judgement(HELD.containsKey(owner.token()) ? Verdict.HELD : Verdict.STALE, owner);
        }
        return new Judgement(alive(owner) ? Verdict.HELD : Verdict.STALE, owner);
    }

    /** Whether the process an owner line of this host names is still running. */
    private static boolean alive(Owner owner) {
        if (Self.BOOT_ID != null && owner.boot() != null && owner.ticks() >= 0) {
            if (!owner.boot().equals(Self.BOOT_ID)) {
                return false; // written before the last reboot
            }
            ProcStat stat;
            try {
                stat = ProcStat.read(owner.pid());
            } catch (NoSuchFileException e) {
                return false;
            } catch (AccessDeniedException e) {
                return true; // it exists (another user's, with hidepid=1): cannot tell a reused pid
            } catch (IOException | RuntimeException e) {
                stat = null; // an unexpected format: ask the JDK below
            }
            if (stat != null) {
                return stat.state() != 'Z' && stat.state() != 'X' && stat.startTicks() == owner.ticks();
            }
        }
        ProcessHandle handle = ProcessHandle.of(owner.pid()).orElse(null);
        if (handle == null || !handle.isAlive()) {
            return false;
        }
        Instant start = handle.info().startInstant().orElse(null);
        if (start == null || owner.start() == null) {
            return true; // cannot tell a reused pid: assume the holder
        }
        return Math.abs(Duration.between(start, owner.start()).toMillis()) <= START_TOLERANCE_MILLIS;
    }

    /**
     * Removes a stale lock file, unless a concurrent process is doing it or it has been re-taken.
     *
     * <p>Deleting the stale file right away is not safe: two processes A and B both judge it stale, A
     * deletes it and creates its own lock, then B deletes A's fresh lock and creates another, and both
     * believe they hold the maildrop. Renaming the stale file away first only narrows this: B's rename
     * may catch A's fresh file, which B must then put back while a third process can create one. So the
     * breaking itself is guarded by a second dot-lock, {@code <lock>.break}, created with {@code O_EXCL}:
     * only its holder may delete the lock file, and it judges the file again after taking the guard. Between
     * that judgement and the delete no one else can replace the file: a breaker would need the guard, and
     * the only other one who deletes a lock file is its holder, which was just found dead (or silent for
     * ten minutes on another host). A process that finds the guard taken reports the maildrop busy: the
     * breaker is about to take it. The breaker then tries {@code CREATE_NEW} once; another process that
     * arrives between the delete and that create wins fairly.
     *
     * <p>A guard lives for a few system calls, so one older than {@link #UNREADABLE_GRACE} was left by a
     * breaker that died; it is deleted and this attempt reports busy (the next login proceeds). Two
     * processes deleting such a leftover at the same moment could remove each other's fresh guard; that
     * needs a crash in the middle of breaking and then a race within milliseconds, and is accepted.
     *
     * @return true if the lock file is gone now (the caller may try to create it once more)
     */
    private static boolean breakStale(Path file) throws IOException {
        Path guard = file.resolveSibling(file.getFileName() + BREAK_SUFFIX);
        if (!create(guard, Owner.self(newToken(), Instant.now()).line())) {
            removeLeftoverGuard(guard);
            return false;
        }
        try {
            Judgement j = judge(file);
            if (j.verdict == Verdict.STALE) {
                Files.deleteIfExists(file);
                log.info("removed the stale lock {} ({})", file,
                        j.owner != null ? j.owner.describe() : "unreadable and older than " + UNREADABLE_GRACE);
            }
            return j.verdict != Verdict.HELD;
        } finally {
            FileOps.deleteQuietly(guard, null);
        }
    }

    private static void removeLeftoverGuard(Path guard) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(guard, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isRegularFile()
                    && Duration.between(attrs.lastModifiedTime().toInstant(), Instant.now()).compareTo(UNREADABLE_GRACE) > 0) {
                Files.deleteIfExists(guard);
                log.warn("removed the leftover lock-breaking guard {}", guard);
            }
        } catch (IOException e) {
            // gone meanwhile, or unreadable: the maildrop counts as busy this time
        }
        if (Files.exists(guard, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(guard, LinkOption.NOFOLLOW_LINKS)) {
            log.warn("{} is in the way of breaking a stale lock and is not a regular file", guard);
        }
    }

    /** A lock file's mtime and owner line (null if the file does not hold a valid one). */
    private record Contents(FileTime mtime, Owner owner) {}

    /**
     * Reads a lock file; null if there is none.
     *
     * @throws IOException if it cannot be read or is not a regular file (a FIFO would block the read)
     */
    private static Contents read(Path file) throws IOException {
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile()) {
                throw new IOException(file + " is in the way of the lock and is not a regular file");
            }
            Owner owner = null;
            if (attrs.size() <= MAX_BYTES) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                    ByteBuffer b = ByteBuffer.allocate(MAX_BYTES + 1);
                    while (b.hasRemaining() && ch.read(b) >= 0) {
                        // fill
                    }
                    if (b.hasRemaining()) {
                        owner = Owner.parse(new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1));
                    }
                }
            }
            return new Contents(attrs.lastModifiedTime(), owner);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Deletes the lock file if it is still ours; idempotent, never throws. A file that is no longer ours
     * (another process broke this lock, which happens only if it judged it stale) is left alone. Between the
     * check and the delete nobody replaces a lock of a live holder, so the delete removes our file.
     */
    synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        active = false;
        try {
            Contents c = read(file);
            if (c != null && c.owner() != null && token.equals(c.owner().token())) {
                Files.delete(file);
            } else if (c == null) {
                log.warn("the lock file {} vanished while the maildrop was open", file);
            } else {
                log.warn("the lock file {} is no longer ours ({}); left alone", file,
                        c.owner() != null ? c.owner().describe() : "unreadable");
            }
        } catch (IOException e) {
            log.warn("cannot remove the lock file {}: {}", file, e.toString());
        } finally {
            HELD.remove(token);
        }
    }

    /** Sets the lock file's mtime, so that processes on other hosts see it is alive. */
    private void touch(FileTime now) {
        try {
            Files.getFileAttributeView(file, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(now, null, null);
        } catch (NoSuchFileException e) {
            if (!vanishedReported) {
                vanishedReported = true;
                log.warn("the lock file {} vanished while the maildrop is open", file);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("cannot refresh the lock file {}: {}", file, e.toString());
        }
    }

    /** Refreshes the mtime of every lock this process holds; run every {@link #REFRESH_EVERY}. */
    static void refreshAll() {
        FileTime now = FileTime.from(Instant.now());
        for (DotLock lock : HELD.values()) {
            if (lock.active) {
                lock.touch(now);
            }
        }
    }

    private static void startRefresher() {
        if (refresher != null) {
            return;
        }
        synchronized (DotLock.class) {
            if (refresher == null) {
                ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "postoffice-lock-refresh");
                    t.setDaemon(true);
                    return t;
                });
                long period = REFRESH_EVERY.toMillis();
                s.scheduleWithFixedDelay(() -> {
                    try {
                        refreshAll();
                    } catch (RuntimeException e) {
                        log.warn("refreshing the lock files failed: {}", e.toString()); // keep the schedule
                    }
                }, period, period, TimeUnit.MILLISECONDS);
                refresher = s;
            }
        }
    }

    /**
     * One owner line.
     *
     * @param start the holder's start time, or null if unknown
     * @param boot  the kernel boot id, or null if unknown
     * @param ticks the holder's start in clock ticks since boot, or -1 if unknown
     */
    record Owner(String host, long pid, Instant start, String boot, long ticks, Instant created, String token) {
        static Owner self(String token, Instant now) {
            return new Owner(Self.HOST, Self.PID, Self.START, Self.BOOT_ID, Self.TICKS, now, token);
        }

        String line() {
            return MAGIC + " host=" + host + " pid=" + pid + " start=" + orDash(start) + " boot=" + orDash(boot)
                    + " ticks=" + (ticks >= 0 ? Long.toString(ticks) : "-") + " created=" + orDash(created)
                    + " token=" + token + "\n";
        }

        String describe() {
            return "pid " + pid + " on " + host + (created != null ? " since " + created : "");
        }

        private static String orDash(Object o) {
            return o == null ? "-" : o.toString();
        }

        /** Parses an owner line (with its line feed); null if it is not one. Unknown fields are ignored. */
        static Owner parse(String text) {
            int nl = text.indexOf('\n');
            if (nl < 0 || nl != text.length() - 1) {
                return null; // half written, or more than one line
            }
            String[] words = text.substring(0, nl).split(" ");
            if (words.length < 2 || !words[0].equals(MAGIC)) {
                return null;
            }
            String host = null;
            String token = null;
            String boot = null;
            long pid = -1;
            long ticks = -1;
            Instant start = null;
            Instant created = null;
            try {
                for (int i = 1; i < words.length; i++) {
                    int eq = words[i].indexOf('=');
                    if (eq <= 0) {
                        return null;
                    }
                    String key = words[i].substring(0, eq);
                    String value = words[i].substring(eq + 1);
                    if (value.isEmpty()) {
                        return null;
                    }
                    boolean none = value.equals("-");
                    switch (key) {
                        case "host" -> host = value;
                        case "pid" -> pid = Long.parseLong(value);
                        case "token" -> token = value;
                        case "boot" -> boot = none ? null : value;
                        case "ticks" -> ticks = none ? -1 : Long.parseLong(value);
                        case "start" -> start = none ? null : Instant.parse(value);
                        case "created" -> created = none ? null : Instant.parse(value);
                        default -> {
                            // a field of a later version
                        }
                    }
                }
            } catch (NumberFormatException | DateTimeException e) {
                return null;
            }
            if (host == null || token == null || pid <= 0 || ticks < -1) {
                return null;
            }
            return new Owner(host, pid, start, boot, ticks, created, token);
        }
    }

    /** State and start time of a process from {@code /proc/<pid>/stat} (Linux). */
    record ProcStat(char state, long startTicks) {
        static ProcStat read(long pid) throws IOException {
            return parse(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1));
        }

        /** Fields after the command, which is in parentheses and may itself contain spaces and ')'. */
        static ProcStat parse(String stat) throws IOException {
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

    /** What the owner line says about this process, looked up once. */
    static final class Self {
        static final long PID = ProcessHandle.current().pid();
        static final String HOST = sanitize(MaildirStore.Host.NAME);
        static final Instant START = ProcessHandle.current().info().startInstant().orElse(null);
        static final String BOOT_ID = bootId();
        static final long TICKS = BOOT_ID == null ? -1 : ownTicks();

        private Self() {}

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
                return ProcStat.read(PID).startTicks();
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        /** The host name as one word of the owner line. */
        private static String sanitize(String host) {
            StringBuilder b = new StringBuilder(host.length());
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                b.append(c > 0x20 && c < 0x7F ? c : '_');
            }
            return b.isEmpty() ? "localhost" : b.toString();
        }
    }
}
