package dev.postoffice.storage.maildir;

import dev.postoffice.storage.MaildropBusyException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
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
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cross-process POP3 session lock of one Maildir: a dot-lock file that exists while a session holds the
 * maildrop and is not kept open, so a session costs no file descriptor for it.
 *
 * <p>The file holds one owner line:
 *
 * <pre>postoffice-pop3-lock host=mail1 pid=4242 start=2026-01-02T03:04:05.670Z boot=&lt;boot id&gt; ticks=123456 created=- token=&lt;16 hex&gt;</pre>
 *
 * {@code start} is the holder's start time ({@link ProcessHandle.Info#startInstant()}); on Linux {@code boot}
 * (the kernel's boot id) and {@code ticks} (the process start in clock ticks since boot, from
 * {@code /proc/<pid>/stat}) identify the process exactly, immune to wall-clock steps, which shift the
 * {@code start} the JDK computes from the boot time. Absent values are written as {@code -}.
 *
 * <p><b>Linked locks.</b> Creating and deleting a file per login allocates and frees an inode each time, which
 * is costly on some file systems (ext4 scans for recently deleted inodes on every allocation). So when the
 * caller names a <em>template directory</em> (one this server owns, such as {@code <data>/home}), the process
 * writes its owner line once into a <em>template</em>, {@code <dir>/.postoffice-lock-<host>-<pid>-<token>}
 * (mode 0600, created with {@code O_EXCL} the first time a lock is taken, deleted at JVM shutdown), and a
 * lock is a hard link to it: {@code link(template, lock)} is atomic and fails if the lock exists, exactly like
 * {@code O_EXCL}, but allocates no inode. Such a lock's {@code created} is {@code -} and its {@code token}
 * names the template. Its release compares the lock's file key (device and inode) with the template's instead
 * of reading the file; the process keeps each template open (one descriptor per template, not per lock) so
 * that its inode number cannot be reused by another file while locks may link it. One {@code utimes} of the
 * template refreshes the mtime of every lock linked to it. Templates left by crashed processes are removed
 * when a template is created in the same directory and they are found stale (the rules below).
 *
 * <p><b>Separate files.</b> Without a template directory, or when the template cannot be created, or the
 * link fails for any reason other than an existing lock (another file system: {@code EXDEV}; a file system
 * without hard links), the lock is a file of its own created with {@code O_EXCL}
 * ({@link StandardOpenOption#CREATE_NEW}), mode 0600, as before: its line has {@code created} (the login time)
 * and a {@code token} random per lock, which its release reads back to tell whether the file is still its
 * own. Refusals on the template's own file system turn linking off for that template directory for good;
 * a Maildir on another file system is remembered by device.
 *
 * <p>When the file already exists, whether it is stale is decided as follows:
 * <ul>
 *   <li>Unreadable, empty or garbled (a crash between create and write, or not ours): stale only when its
 *       mtime is older than {@link #UNREADABLE_GRACE}, otherwise the maildrop is busy.</li>
 *   <li>Another host (shared storage): busy unless its mtime is older than {@link #FOREIGN_STALE_AFTER}.
 *       Every process refreshes the mtime of the locks it holds every {@link #REFRESH_EVERY}.</li>
 *   <li>This host, this pid: a link to one of this process's templates is held if a lock of this process is
 *       (being) taken on that file, by this path or another one to the same directory (a bind mount), and
 *       otherwise stale (a leftover of a failed release); a separate file is held if its token is one of
 *       this process's locks, and otherwise stale (a leftover of an earlier process with the same pid, such
 *       as a server that is always pid 1 in its container).</li>
 *   <li>This host, another pid: busy if that process is alive and started when the owner line says; stale
 *       if it is gone (or a zombie), if the host rebooted since, or if the pid now belongs to a process that
 *       started at another time (pid reuse). When nothing tells the start time, a live pid counts as the
 *       holder.</li>
 * </ul>
 * Both kinds of lock, and lines of earlier versions (which always have {@code created} and a per-lock
 * {@code token}), are judged alike, so servers of both versions can share storage.
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
    /** Name prefix of the templates that linked locks are hard links of. */
    static final String TEMPLATE_PREFIX = ".postoffice-lock-";
    /**
     * The most locks of this process linked to one template at once; more are separate files. ext3 allows
     * 32,000 links to an inode, ext4 65,000; others more.
     */
    static final int MAX_LINKS = 30_000;

    /** A two-second window for start times computed from the boot time, which jitters by a second. */
    private static final long START_TOLERANCE_MILLIS = 1_000;
    private static final int MAX_BYTES = 1024;
    private static final Set<OpenOption> CREATE_OPTIONS =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    private static final Logger log = LoggerFactory.getLogger(DotLock.class);

    /** Makes a hard link; tests replace it to simulate file systems that refuse them. */
    @FunctionalInterface
    interface Linker {
        void link(Path link, Path existing) throws IOException;
    }

    static volatile Linker linker = Files::createLink;

    /** The locks this process holds (and the ones it is taking). */
    private static final Set<DotLock> HELD = ConcurrentHashMap.newKeySet();
    /**
     * Paths of the linked locks in {@link #HELD}, with their number of entries (threads that call
     * {@link #acquire} directly, without the in-process lock, may compete for one path).
     */
    private static final ConcurrentHashMap<Path, Integer> LINKED = new ConcurrentHashMap<>();
    /** The separate-file locks in {@link #HELD}, by token. */
    private static final Map<String, DotLock> OWN_FILES = new ConcurrentHashMap<>();
    /** Template state by template directory. */
    private static final ConcurrentHashMap<Path, Slot> SLOTS = new ConcurrentHashMap<>();
    /** Every template of this process whose inode it still keeps open; their file keys mark our linked locks. */
    private static final List<Template> TEMPLATES = new CopyOnWriteArrayList<>();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();
    private static volatile boolean shuttingDown;
    private static volatile ScheduledExecutorService refresher;

    private final Path file;
    /** The per-lock token of a separate file; null for a linked lock. */
    private final String token;
    /** The template a linked lock is a hard link of; null for a separate file. */
    private final Template template;
    /** Taken and not yet released: refreshed by the refresher. */
    private volatile boolean active;
    private volatile boolean vanishedReported;
    private boolean released;

    private DotLock(Path file, String token, Template template) {
        this.file = file;
        this.token = token;
        this.template = template;
    }

    /** Whether the holder of a lock file is still there. */
    enum Verdict { HELD, STALE, GONE }

    /** Takes the lock as a separate file (no template directory); see {@link #acquire(Path, Path)}. */
    static DotLock acquire(Path file) throws MaildropBusyException, IOException {
        return acquire(file, null);
    }

    /**
     * Takes the lock. The caller holds the in-process lock of the Maildir, so no other session of this
     * process competes for the same file.
     *
     * @param templateDir a directory of this server where the process may keep its template, on the same file
     *                    system as the lock for it to be a link; null for a separate file
     * @throws MaildropBusyException if another live session holds it
     * @throws IOException           if the lock file cannot be created or something other than a regular
     *                               file is in the way
     */
    static DotLock acquire(Path file, Path templateDir) throws MaildropBusyException, IOException {
        boolean broke = false;
        Owner holder = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            DotLock lock = take(file, templateDir);
            if (lock != null) {
                lock.active = true;
                startRefresher();
                return lock;
            }
            Judgement j = judge(file);
            holder = j.owner;
            if (j.verdict == Verdict.GONE) {
                continue; // released between our attempt and our read: try again
            }
            if (j.verdict == Verdict.STALE && !broke) {
                broke = true;
                if (breakStale(file)) {
                    continue; // gone now: one more attempt, which a faster process may still win
                }
            }
            break;
        }
        throw new MaildropBusyException("the maildrop is in use by another session"
                + (holder != null ? " (" + holder.describe() + ")" : ""));
    }

    /**
     * One attempt to create the lock file: a link to the template when there is one, else a separate file.
     *
     * @return the lock, or null if a file (or anything else) of that name exists
     */
    private static DotLock take(Path file, Path templateDir) throws IOException {
        Template t = templateDir == null ? null : slot(templateDir).usable(file);
        if (t != null) {
            DotLock lock = new DotLock(file, null, t);
            // Registered before the link exists: a concurrent judge (another path to the same directory, such
            // as a bind mount) that finds a link to our template must count it as held.
            lock.register();
            boolean linked = false;
            try {
                linker.link(file, t.path);
                linked = true;
                return lock;
            } catch (FileAlreadyExistsException e) {
                return null;
            } catch (IOException | UnsupportedOperationException e) {
                t.slot.linkFailed(t, file, e); // and take a separate file below
            } finally {
                if (!linked) {
                    lock.deregister();
                }
            }
        }
        DotLock lock = new DotLock(file, newToken(), null);
        lock.register(); // before the file exists, for the same reason
        boolean created = false;
        try {
            created = create(file, Owner.self(lock.token, Instant.now()).line());
        } finally {
            if (!created) {
                lock.deregister();
            }
        }
        return created ? lock : null;
    }

    private void register() {
        HELD.add(this);
        if (template != null) {
            template.links.incrementAndGet();
            LINKED.merge(file, 1, Integer::sum);
        } else {
            OWN_FILES.put(token, this);
        }
    }

    private void deregister() {
        if (template != null) {
            LINKED.computeIfPresent(file, (k, n) -> n == 1 ? null : n - 1);
            template.links.decrementAndGet();
        } else {
            OWN_FILES.remove(token);
        }
        HELD.remove(this);
    }

    private static String newToken() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /**
     * Creates a file with {@code O_EXCL} and writes the owner line.
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
            writeLine(ch, line);
        } catch (IOException | RuntimeException e) {
            FileOps.deleteQuietly(file, e);
            throw e;
        }
        return true;
    }

    private static void writeLine(FileChannel ch, String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            ch.write(b);
        }
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
            boolean held = ourTemplate(c.key()) != null ? linkedHere(file) : OWN_FILES.containsKey(owner.token());
            return new Judgement(held ? Verdict.HELD : Verdict.STALE, owner);
        }
        return new Judgement(alive(owner) ? Verdict.HELD : Verdict.STALE, owner);
    }

    /** The template of this process with that file key, or null. */
    private static Template ourTemplate(Object key) {
        if (key != null) {
            for (Template t : TEMPLATES) {
                if (t.key.equals(key)) {
                    return t;
                }
            }
        }
        return null;
    }

    /**
     * Whether a lock of this process is registered for that link to one of our templates: by the same path,
     * or by another path to the same directory (a bind mount), which costs a stat per lock held but happens
     * only for a leftover of a failed release or such a second path.
     */
    private static boolean linkedHere(Path file) {
        if (LINKED.containsKey(file)) {
            return true;
        }
        Path dir = file.toAbsolutePath().getParent();
        Object dirKey = dir == null ? null : fileKey(dir);
        if (dirKey == null) {
            return true; // cannot tell: count it as held, the safe side
        }
        for (DotLock lock : HELD) {
            if (lock.template != null && lock.file.getFileName().equals(file.getFileName())) {
                Path other = lock.file.toAbsolutePath().getParent();
                if (other != null && dirKey.equals(fileKey(other))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The device a file (or the directory a link points to) is on, or -1 if unknown. */
    private static long device(Path p) {
        try {
            return Files.getAttribute(p, "unix:dev") instanceof Long dev ? dev : -1;
        } catch (IOException | RuntimeException e) {
            return -1; // not a Unix file system provider
        }
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
     * breaker is about to take it. The breaker then tries to create the lock once; another process that
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

    /** A lock file's mtime, file key and owner line (null if the file does not hold a valid one). */
    private record Contents(FileTime mtime, Object key, Owner owner) {}

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
            return new Contents(attrs.lastModifiedTime(), attrs.fileKey(), owner);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Deletes the lock file if it is still ours; idempotent, never throws. A file that is no longer ours
     * (another process broke this lock, which happens only if it judged it stale) is left alone. Between the
     * check and the delete nobody replaces a lock of a live holder, so the delete removes our file.
     *
     * <p>A linked lock is ours if it is still a link to our template: same file key, one stat and no read.
     * Since the process keeps the template open, no other file can have that device and inode meanwhile. That
     * holds on local file systems; over NFS an open file does not keep an inode of the server that another
     * client deletes. Such a deletion needs our template and all its links deleted by others, which happens
     * only to a process that could not refresh them for {@link #FOREIGN_STALE_AFTER}; so when the template is
     * gone or has not been refreshed for half that time, the owner line is read and checked too.
     */
    synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        active = false;
        try {
            if (template != null) {
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    attrs = null;
                }
                if (attrs != null && template.key.equals(attrs.fileKey())
                        && (template.trusted() || template.isIn(file))) {
                    Files.deleteIfExists(file);
                } else if (attrs == null) {
                    log.warn("the lock file {} vanished while the maildrop was open", file);
                } else {
                    notOurs(attrs.isRegularFile() ? read(file) : null);
                }
            } else {
                Contents c = read(file);
                if (c != null && c.owner() != null && token.equals(c.owner().token())) {
                    Files.delete(file);
                } else if (c == null) {
                    log.warn("the lock file {} vanished while the maildrop was open", file);
                } else {
                    notOurs(c);
                }
            }
        } catch (IOException e) {
            log.warn("cannot remove the lock file {}: {}", file, e.toString());
        } finally {
            deregister();
        }
    }

    /**
     * Whether the lock file is still this lock's (not broken as stale and taken by another session), checked
     * the way {@link #release()} checks it.
     */
    synchronized boolean stillOurs() {
        if (released) {
            return false;
        }
        try {
            if (template != null) {
                BasicFileAttributes attrs =
                        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return template.key.equals(attrs.fileKey()) && (template.trusted() || template.isIn(file));
            }
            Contents c = read(file);
            return c != null && c.owner() != null && token.equals(c.owner().token());
        } catch (IOException e) {
            return false;
        }
    }

    private void notOurs(Contents c) {
        log.warn("the lock file {} is no longer ours ({}); left alone", file,
                c != null && c.owner() != null ? c.owner().describe() : "unreadable");
    }

    /** Whether this lock is a link to a template (false: a separate file). For tests. */
    boolean linked() {
        return template != null;
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

    /**
     * Refreshes the mtime of every lock this process holds; run every {@link #REFRESH_EVERY}. One touch of each
     * template does it for all the locks linked to it; separate files, and the links of a template that is
     * gone (deleted by someone, or at shutdown), are touched one by one.
     */
    static void refreshAll() {
        FileTime now = FileTime.from(Instant.now());
        Set<Template> fresh = new HashSet<>();
        for (Template t : TEMPLATES) {
            if (!t.gone && t.touch(now)) {
                fresh.add(t);
            } else if (t.gone && t.links.get() == 0) {
                // No lock of ours links it, and no new one can (its name is gone and never reused).
                TEMPLATES.remove(t);
                t.unpin();
            }
        }
        for (DotLock lock : HELD) {
            if (lock.active && (lock.template == null || !fresh.contains(lock.template))) {
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

    private static Slot slot(Path dir) {
        Slot s = SLOTS.get(dir);
        return s != null ? s : SLOTS.computeIfAbsent(dir, Slot::new);
    }

    /** The current template of a template directory, or null if there is none (for tests). */
    static Path template(Path dir) {
        Slot s = SLOTS.get(dir);
        Template t = s == null ? null : s.current;
        return t == null || t.gone ? null : t.path;
    }

    /**
     * Deletes the templates of other processes in a directory that are stale by the rules for lock files:
     * of this host and a process that is gone, of another host and not refreshed for
     * {@link #FOREIGN_STALE_AFTER}, or unreadable and older than {@link #UNREADABLE_GRACE}. Locks linked to
     * such a template keep their owner line (the inode lives on while linked) and are judged by it as before.
     */
    static void removeStaleTemplates(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().startsWith(TEMPLATE_PREFIX))) {
            for (Path p : entries) {
                try {
                    Contents c = read(p);
                    if (c == null || ourTemplate(c.key()) != null) {
                        continue;
                    }
                    Judgement j = judge(p);
                    if (j.verdict == Verdict.STALE) {
                        Files.deleteIfExists(p);
                        log.info("removed the stale lock template {} ({})", p,
                                j.owner != null ? j.owner.describe() : "unreadable");
                    }
                } catch (IOException e) {
                    // not a regular file, or unreadable: not ours to remove
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            log.warn("cannot look for stale lock templates in {}: {}", dir, e.toString());
        }
    }

    /** Deletes this process's templates; run at JVM shutdown. Locks then are separate files. */
    private static void removeTemplates() {
        shuttingDown = true;
        for (Slot s : SLOTS.values()) {
            synchronized (s) {
                Template t = s.current;
                if (t != null && !t.gone) {
                    t.gone = true; // its links, if sessions still hold some, are refreshed one by one
                    FileOps.deleteQuietly(t.path, null);
                }
            }
        }
    }

    /** The template state of one template directory. */
    private static final class Slot {
        final Path dir;
        volatile Template current;
        /** Links to templates here fail on their own file system: separate files from now on. */
        volatile boolean refused;
        /** Devices of Maildirs that are on another file system than the template. */
        final Set<Long> otherDevices = ConcurrentHashMap.newKeySet();
        /** When the template may be created again after a failure (epoch millis). */
        long retryAt;
        boolean createFailureLogged;

        Slot(Path dir) {
            this.dir = dir;
        }

        /** The template to link the lock to, or null for a separate file. */
        Template usable(Path file) {
            if (refused || shuttingDown) {
                return null;
            }
            if (!otherDevices.isEmpty()) {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null && otherDevices.contains(device(parent))) {
                    return null;
                }
            }
            Template t = current;
            if (t == null || t.gone) {
                t = create();
                if (t == null) {
                    return null;
                }
            }
            if (t.links.get() >= MAX_LINKS) {
                return null;
            }
            t.keepFresh();
            return t;
        }

        private Template create() {
            Template t;
            synchronized (this) {
                t = current;
                if (t != null && !t.gone) {
                    return t;
                }
                long now = System.currentTimeMillis();
                if (refused || shuttingDown || now < retryAt) {
                    return null;
                }
                try {
                    hookShutdown();
                    t = Template.create(this);
                } catch (IOException | RuntimeException e) {
                    retryAt = now + REFRESH_EVERY.toMillis(); // at most one try a minute, logged once
                    if (!createFailureLogged) {
                        createFailureLogged = true;
                        log.warn("cannot create a lock template in {} ({}); POP3 locks are separate files meanwhile",
                                dir, e.toString());
                    } else {
                        log.debug("cannot create a lock template in {}: {}", dir, e.toString());
                    }
                    return null;
                }
                TEMPLATES.add(t);
                current = t;
            }
            startRefresher(); // templates are refreshed even while no lock links them, or others take them as stale
            removeStaleTemplates(dir);
            return t;
        }

        /** After a failed link other than to an existing lock: decides what to do next time. */
        void linkFailed(Template t, Path file, Exception e) {
            if (e instanceof NoSuchFileException) {
                if (!Files.exists(t.path, LinkOption.NOFOLLOW_LINKS)) {
                    t.gone = true;
                    log.warn("the lock template {} vanished; making a new one", t.path);
                }
                return; // or the Maildir is gone: the separate file will tell
            }
            if (e instanceof AccessDeniedException) {
                return; // the separate file will tell
            }
            Path parent = file.toAbsolutePath().getParent();
            long dev = parent == null ? -1 : device(parent);
            if (dev >= 0 && t.dev >= 0 && dev != t.dev) {
                if (otherDevices.add(dev)) {
                    log.info("{} is on another file system than the lock template {}: locks there are separate files",
                            parent, t.path);
                }
                return;
            }
            if (!refused) {
                refused = true;
                log.warn("cannot link lock files to the template {} ({}): POP3 locks are separate files from now on",
                        t.path, e.toString());
            }
        }

        private static void hookShutdown() {
            if (HOOKED.compareAndSet(false, true)) {
                // Throws IllegalStateException during shutdown: no template then.
                Runtime.getRuntime().addShutdownHook(new Thread(DotLock::removeTemplates, "postoffice-lock-templates"));
            }
        }
    }

    /** A template: this process's owner line, which linked locks are hard links of. */
    private static final class Template {
        final Slot slot;
        final Path path;
        final Object key;
        final long dev;
        /** Kept open so that the inode (and with it the file key) stays this file's while locks may link it. */
        final FileChannel pin;
        /** Our locks linked to it, or being linked. */
        final AtomicInteger links = new AtomicInteger();
        /** Its name is gone (deleted by someone, or at shutdown); a new template replaces it. */
        volatile boolean gone;
        /** When its mtime was last set (epoch millis). */
        volatile long touchedAt;
        /** The token of its owner line. */
        final String token;

        private Template(Slot slot, Path path, String token, Object key, long dev, FileChannel pin) {
            this.slot = slot;
            this.token = token;
            this.path = path;
            this.key = key;
            this.dev = dev;
            this.pin = pin;
            this.touchedAt = System.currentTimeMillis();
        }

        static Template create(Slot slot) throws IOException {
            String token = newToken();
            Path path = slot.dir.resolve(TEMPLATE_PREFIX + Self.HOST + "-" + Self.PID + "-" + token);
            FileChannel ch = FileChannel.open(path, CREATE_OPTIONS, FileOps.privateFile(path));
            try {
                writeLine(ch, Owner.self(token, null).line());
                Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
                if (key == null) {
                    throw new IOException("the file system has no file keys");
                }
                return new Template(slot, path, token, key, device(path), ch);
            } catch (IOException | RuntimeException e) {
                try {
                    ch.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                FileOps.deleteQuietly(path, e);
                throw e;
            }
        }

        /**
         * Sets the mtime now if the refresher has not for two periods, so that a new link never shows an old
         * mtime even if the refresher lags.
         */
        void keepFresh() {
            long now = System.currentTimeMillis();
            if (now - touchedAt > 2 * REFRESH_EVERY.toMillis()) {
                touch(FileTime.fromMillis(now));
            }
        }

        /** Sets the mtime, and so that of every lock linked to it; false if that failed. */
        boolean touch(FileTime now) {
            try {
                Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(now, null, null);
                touchedAt = now.toMillis();
                return true;
            } catch (NoSuchFileException e) {
                gone = true;
                log.warn("the lock template {} vanished; its locks are refreshed one by one", path);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot refresh the lock template {}: {}", path, e.toString());
            }
            return false;
        }

        /** Whether a file with its key is surely a link to it: it is there and was refreshed recently. */
        boolean trusted() {
            return !gone && System.currentTimeMillis() - touchedAt < FOREIGN_STALE_AFTER.toMillis() / 2;
        }

        /** Whether a file holds this template's owner line. */
        boolean isIn(Path file) throws IOException {
            Contents c = read(file);
            Owner o = c == null ? null : c.owner();
            return o != null && o.token().equals(token) && o.pid() == Self.PID && o.host().equals(Self.HOST);
        }

        void unpin() {
            try {
                pin.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    /**
     * One owner line.
     *
     * @param start   the holder's start time, or null if unknown
     * @param boot    the kernel boot id, or null if unknown
     * @param ticks   the holder's start in clock ticks since boot, or -1 if unknown
     * @param created when a separate lock file was created; null for a template (and its links)
     * @param token   random per separate lock file, or per template
     */
    record Owner(String host, long pid, Instant start, String boot, long ticks, Instant created, String token) {
        static Owner self(String token, Instant created) {
            return new Owner(Self.HOST, Self.PID, Self.START, Self.BOOT_ID, Self.TICKS, created, token);
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
