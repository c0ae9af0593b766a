package dev.postoffice.storage.maildir.lock;

import dev.postoffice.storage.Lease;
import dev.postoffice.storage.LeaseLostException;
import dev.postoffice.storage.MaildropBusyException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The POP3 session locks of one store: the in-process lock of each Maildir and its dot-lock file, the store's
 * templates, its refresher and its shutdown hook. Stores are independent, and exclude each other through the
 * lock files like processes do. The rules are in docs/storage.md ("Locking and removal").
 */
public final class Locks implements AutoCloseable {
    /** Suffix of the guard that serialises the breaking of a stale lock. */
    public static final String BREAK_SUFFIX = ".break";
    /** Name prefix of the templates that linked locks are hard links of. */
    public static final String TEMPLATE_PREFIX = Template.PREFIX;

    private static final HexFormat HEX = HexFormat.of();

    private final ProcessId self;
    private final ProcessProbe probe;
    private final LinkTemplates templates;
    private final StaleLocks stale = new StaleLocks(this);
    private final Spares spares = new Spares(this);
    private final Refresher refresher;
    /**
     * The first 10 of the 16 hex digits of every token this store writes, random per store: it tells a file
     * the store made and no longer holds (stale) from one of another store of this process (held).
     */
    private final String tokenPrefix;
    private final AtomicInteger tokenCounter = new AtomicInteger(ThreadLocalRandom.current().nextInt());
    /** The lock files of the Maildirs that sessions of this store hold (the in-process lock). */
    private final Set<Path> inProcess = ConcurrentHashMap.newKeySet();
    /** The locks this store holds (and the ones it is taking). */
    private final Set<HeldLock> held = ConcurrentHashMap.newKeySet();
    /**
     * Paths of the linked locks in {@link #held}, with their number of entries (threads that call
     * {@link #acquire} directly, without the in-process lock, may compete for one path).
     */
    private final ConcurrentHashMap<Path, Integer> linked = new ConcurrentHashMap<>();
    /** The separate-file locks in {@link #held}, by token. */
    private final Map<String, HeldLock> ownFiles = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private Thread hook;

    /** The locks of a store on this host, refreshed on a scheduler that the caller shuts down. */
    public Locks(String hostName, ScheduledExecutorService scheduler) {
        this(ThisProcess.id(hostName), new ProcProbe(), Linker.FILES, Objects.requireNonNull(scheduler, "scheduler"));
    }

    /** The locks of a store on this host, refreshed on a scheduler of their own that {@link #close()} stops. */
    public static Locks withOwnScheduler(String hostName) {
        return new Locks(ThisProcess.id(hostName), new ProcProbe(), Linker.FILES, null);
    }

    /**
     * @param self      the process the owner lines name
     * @param probe     tells whether another process of this host is alive
     * @param linker    makes the hard links to templates
     * @param scheduler runs the refresher; null for a single daemon thread of its own, made at the first lock
     */
    public Locks(ProcessId self, ProcessProbe probe, Linker linker, ScheduledExecutorService scheduler) {
        this.self = self;
        this.probe = probe;
        this.templates = new LinkTemplates(this, linker);
        this.refresher = new Refresher(scheduler, this::refresh);
        this.tokenPrefix = HEX.toHexDigits(new SecureRandom().nextLong()).substring(0, 10);
    }

    /** The verdict on an existing lock file, with its owner when the file could be read. */
    public record Judgement(Staleness.Verdict verdict, Owner owner) {}

    /** The process the owner lines of this store name. */
    public ProcessId self() {
        return self;
    }

    /**
     * Takes the in-process lock and the lock file for a session.
     *
     * @param file        the lock file, in the Maildir's canonical path (the in-process lock is by path)
     * @param templateDir a directory of this server where the store may keep its template, on the same file
     *                    system as the lock for it to be a link; null for a separate file
     * @throws MaildropBusyException if another live session holds it
     * @throws IOException           if the lock file cannot be created or something else is in the way
     */
    public Lease lease(Path file, Path templateDir) throws MaildropBusyException, IOException {
        if (!inProcess.add(file)) {
            throw new MaildropBusyException("the maildrop is in use by another session");
        }
        boolean taken = false;
        try {
            Lease lease = new SessionLease(file, acquire(file, templateDir));
            taken = true;
            return lease;
        } finally {
            if (!taken) {
                inProcess.remove(file);
            }
        }
    }

    /**
     * Takes the lock file alone, without the in-process lock (which keeps the sessions of this store from
     * competing for one file; tests race threads here as processes would).
     *
     * @see #lease
     */
    public HeldLock acquire(Path file, Path templateDir) throws MaildropBusyException, IOException {
        if (closed.get()) {
            throw new IOException("the store's locks are closed");
        }
        boolean broke = false;
        Owner holder = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            HeldLock lock = take(file, templateDir);
            if (lock != null) {
                lock.active = true;
                refresher.start();
                return lock;
            }
            Judgement j = judge(file);
            holder = j.owner();
            if (j.verdict() == Staleness.Verdict.GONE) {
                continue; // released between our attempt and our read: try again
            }
            if (j.verdict() == Staleness.Verdict.STALE && !broke) {
                broke = true;
                if (breakStale(file, templateDir)) {
                    continue; // gone now: one more attempt, which a faster process may still win
                }
            }
            break;
        }
        throw new MaildropBusyException("the maildrop is in use by another session"
                + (holder != null ? " (" + holder.describe() + ")" : ""));
    }

    /** Breaks a stale lock under its guard; with a spare as the guard if there is no room for one. */
    private boolean breakStale(Path file, Path templateDir) throws IOException {
        try {
            return stale.breakStale(file);
        } catch (IOException e) {
            if (templateDir == null) {
                throw e;
            }
            try {
                return spares.breakStale(file, templateDir);
            } catch (IOException second) {
                e.addSuppressed(second);
                throw e;
            }
        }
    }

    /** Deletes the lock file if it is stale (run under the breaking guard); true if it is gone now. */
    boolean breakIfStale(Path file) throws IOException {
        return stale.breakIfStale(file);
    }

    Spares spares() {
        return spares;
    }

    /**
     * One attempt to create the lock file: a link to the template when there is one, else a separate file.
     *
     * @return the lock, or null if a file (or anything else) of that name exists
     */
    private HeldLock take(Path file, Path templateDir) throws IOException {
        Template t = templateDir == null ? null : templates.usable(templateDir, file);
        if (t != null) {
            HeldLock lock = new HeldLock(this, file, null, t);
            // Registered before the link exists: a concurrent judge (another path to the same directory, such
            // as a bind mount) that finds a link to our template must count it as held.
            register(lock);
            boolean linkedNow = false;
            try {
                templates.link(file, t);
                linkedNow = true;
                return lock;
            } catch (FileAlreadyExistsException e) {
                return null;
            } catch (IOException | UnsupportedOperationException e) {
                templates.linkFailed(t, file, e); // and take a separate file below
            } finally {
                if (!linkedNow) {
                    deregister(lock);
                }
            }
        }
        HeldLock lock = new HeldLock(this, file, newToken(), null);
        register(lock); // before the file exists, for the same reason
        boolean created = false;
        try {
            created = LockFiles.create(file, Owner.of(self, lock.token, Instant.now()).line());
        } catch (IOException e) {
            if (templateDir == null) {
                throw e;
            }
            try {
                return spares.claim(file, templateDir); // no room for a new file (no inode, no block)
            } catch (IOException second) {
                e.addSuppressed(second);
                throw e;
            }
        } finally {
            if (!created) {
                deregister(lock);
            }
        }
        return created ? lock : null;
    }

    void register(HeldLock lock) {
        held.add(lock);
        if (lock.template != null) {
            lock.template.links.incrementAndGet();
            linked.merge(lock.file, 1, Integer::sum);
        } else {
            ownFiles.put(lock.token, lock);
        }
    }

    void deregister(HeldLock lock) {
        if (lock.template != null) {
            linked.computeIfPresent(lock.file, (k, n) -> n == 1 ? null : n - 1);
            templates.unlinked(lock.template);
        } else {
            ownFiles.remove(lock.token);
        }
        held.remove(lock);
    }

    /** A new token: this store's prefix and a counter, 16 hex digits like the random ones of other versions. */
    String newToken() {
        return tokenPrefix + HEX.toHexDigits(tokenCounter.getAndIncrement()).substring(2);
    }

    /** Decides whether the lock file's holder is still there (see {@link Staleness}). */
    public Judgement judge(Path file) throws IOException {
        LockFiles.Contents c = LockFiles.read(file);
        if (c == null) {
            return new Judgement(Staleness.Verdict.GONE, null);
        }
        Owner owner = c.owner();
        Staleness.Ours ours = owner != null && owner.pid() == self.pid() && owner.host().equalsIgnoreCase(self.host())
                ? ours(file, c) : Staleness.Ours.NO;
        return new Judgement(Staleness.verdict(c.mtime().toInstant(), owner, Instant.now(), self, ours, probe), owner);
    }

    /** What this store knows of a lock file with this process's pid. */
    private Staleness.Ours ours(Path file, LockFiles.Contents c) {
        if (templates.withKey(c.key()) != null) {
            return linkedHere(file) ? Staleness.Ours.HOLDS : Staleness.Ours.RELEASED;
        }
        String token = c.owner().token();
        if (token.length() == 16 && token.startsWith(tokenPrefix)) {
            return ownFiles.containsKey(token) ? Staleness.Ours.HOLDS : Staleness.Ours.RELEASED;
        }
        return Staleness.Ours.NO;
    }

    /**
     * Whether a lock of this store is registered for that link to one of its templates: by the same path, or
     * by another path to the same directory (a bind mount), which costs a stat per lock held but happens only
     * for a leftover of a failed release or such a second path.
     */
    private boolean linkedHere(Path file) {
        if (linked.containsKey(file)) {
            return true;
        }
        Path dir = file.toAbsolutePath().getParent();
        Object dirKey = dir == null ? null : LockFiles.fileKey(dir);
        if (dirKey == null) {
            return true; // cannot tell: count it as held, the safe side
        }
        for (HeldLock lock : held) {
            if (lock.template != null && lock.file.getFileName().equals(file.getFileName())) {
                Path other = lock.file.toAbsolutePath().getParent();
                if (other != null && dirKey.equals(LockFiles.fileKey(other))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether a file read in a template directory is one of this store's templates or spares. */
    boolean isOurs(LockFiles.Contents c) {
        return templates.withKey(c.key()) != null || (c.owner() != null && spares.owns(c.owner().token()));
    }

    /**
     * Refreshes the mtime of every lock this store holds, and notices the ones that are no longer its own; run
     * every minute. One touch of each template does it for all the locks linked to it; separate files, and the
     * links of a template that is gone (deleted by someone, or at shutdown), are touched one by one.
     */
    public void refresh() {
        FileTime now = FileTime.from(Instant.now());
        Set<Template> fresh = templates.refresh(now);
        spares.refresh(now);
        for (HeldLock lock : held) {
            lock.refresh(now, lock.template != null && fresh.contains(lock.template));
        }
    }

    /** The current template of a template directory, or null if there is none. */
    public Path template(Path dir) {
        return templates.current(dir);
    }

    /** Deletes the stale templates of other processes in a directory (done whenever a template is created). */
    public void removeStaleTemplates(Path dir) {
        stale.removeStaleTemplates(dir);
    }

    /** A template was created in that directory. */
    void templateCreated(Path dir) {
        refresher.start(); // templates are refreshed even while no lock links them, or others take them as stale
        stale.removeStaleTemplates(dir);
        spares.provision(dir);
    }

    /**
     * Before the first template: the JVM's exit deletes the templates of a store that was not closed.
     *
     * @throws IllegalStateException during shutdown, or once closed: no template then
     */
    synchronized void hookShutdown() {
        if (closed.get()) {
            throw new IllegalStateException("closed");
        }
        if (hook == null) {
            Thread h = new Thread(this::removeFiles, "postoffice-lock-templates");
            Runtime.getRuntime().addShutdownHook(h);
            hook = h;
        }
    }

    /**
     * Stops refreshing and deletes the store's templates; no lock can be taken afterwards. Locks still held
     * stay until their sessions end, but are no longer refreshed: close the store after its sessions.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        refresher.stop();
        removeFiles();
        Thread h;
        synchronized (this) {
            h = hook;
            hook = null;
        }
        if (h != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(h);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway, and finds nothing left to delete
            }
        }
    }

    /** Deletes the templates and the free spares (at close or at the JVM's exit). */
    private void removeFiles() {
        templates.removeAll();
        spares.removeAll();
    }

    /** A session's lease: its in-process lock and its lock file. */
    private final class SessionLease implements Lease {
        private final Path file;
        private final HeldLock lock;
        private final AtomicBoolean closedLease = new AtomicBoolean();

        SessionLease(Path file, HeldLock lock) {
            this.file = file;
            this.lock = lock;
        }

        @Override
        public void verify() throws LeaseLostException {
            if (!lock.stillOurs()) {
                throw new LeaseLostException("the lock file of " + file.getParent() + " is no longer this session's");
            }
        }

        @Override
        public void close() {
            if (!closedLease.compareAndSet(false, true)) {
                return;
            }
            try {
                lock.release(); // the file first: until it is gone, the in-process lock keeps our other sessions out
            } finally {
                inProcess.remove(file);
            }
        }
    }
}
