package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.message.MessageForm;
import dev.postoffice.storage.DeliveryResult;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.Lease;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.MaildropBusyException;
import dev.postoffice.storage.MaildropStore;
import dev.postoffice.storage.StorageException;
import dev.postoffice.storage.Quota;
import dev.postoffice.storage.QuotaExceededException;
import dev.postoffice.storage.Usage;
import dev.postoffice.storage.maildir.lock.Locks;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maildrops kept as Maildirs, in the layout Postfix ({@code home_mailbox = Maildir/}) and Dovecot write:
 * {@code new/}, {@code cur/} and {@code tmp/}. A user's Maildir is {@code <home>/Maildir} when the user
 * directory names a home, otherwise {@code <dataDir>/home/<user>/Maildir}.
 *
 * <p>Besides the three directories, the Maildir holds two files of ours: {@code postoffice-pop3.lock},
 * the POP3 session lock, and {@code postoffice-sizes}, a cache of canonical message sizes (see
 * {@link SizeCache}). Sizes are those of {@link MessageFormat.SizeCounter}. UIDLs are the messages' base
 * names, or a digest of them for names that are not valid UIDLs, so they stay stable when other software
 * moves a message to {@code cur/} or changes its flags. This store never moves messages to {@code cur/}.
 *
 * <p>A home given by the user directory must exist (a missing one is a temporary failure, since creating
 * it could hide a file system that is not mounted yet); below it, and below {@code dataDir}, missing
 * directories are created with mode 0700. A Maildir that is or holds a symbolic link, or belongs to another user,
 * is refused for sessions and deliveries alike (see {@link MaildirGuard}), and files are only used through handles of
 * the directories approved ({@link MaildirDirs}). Thread-safe; the session lock is held in the store and across
 * stores, processes (and hosts sharing the storage) with a dot-lock file, which is not kept open (see
 * {@link Locks}). {@link #close()} stops refreshing the lock files and deletes the store's lock templates.
 */
public final class MaildirStore implements MaildropStore, MailDelivery, AutoCloseable {
    static final String LOCK_FILE = "postoffice-pop3.lock";
    private static final Logger log = LoggerFactory.getLogger(MaildirStore.class);

    private static final int BUFFER_SIZE = 1 << 16;
    private static final AtomicLong DELIVERIES = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long PID = ProcessHandle.current().pid();

    private final Path dataDir;
    private final MessageFormat.LineEnd lineEnd;
    private final SnapshotCache snapshots = new SnapshotCache();
    /** Approvals and real paths of the Maildirs logged in to, by the path the user directory gives. */
    private final KnownMaildirs known = new KnownMaildirs();
    private final MaildirUsage usage = new MaildirUsage();
    private final Locks locks;
    private volatile UidlFormat dovecotUidlFormat = UidlFormat.parse(UidlFormat.DEFAULT);

    /**
     * A store that delivers messages with CRLF line ends (see {@link #MaildirStore(Path, MessageFormat.LineEnd)}).
     *
     * @param dataDir the directory under which users without a home get {@code home/<user>/Maildir}
     */
    public MaildirStore(Path dataDir) {
        this(dataDir, MessageFormat.LineEnd.CRLF);
    }

    /**
     * @param dataDir the directory under which users without a home get {@code home/<user>/Maildir}
     * @param lineEnd the line end delivered messages are stored with. {@link MessageFormat.LineEnd#CRLF CRLF} is
     *                the form POP3 sends, so such a message (unless a line starts with '.') goes out unchanged,
     *                without passing through the JVM; {@link MessageFormat.LineEnd#LF LF} is the Maildir
     *                tradition, for Maildirs that other software reads too. Either way every line end of the
     *                message is rewritten to the chosen one.
     */
    public MaildirStore(Path dataDir, MessageFormat.LineEnd lineEnd) {
        this(dataDir, lineEnd, Locks.withOwnScheduler(Host.NAME));
    }

    /**
     * A store whose lock files are refreshed on the given scheduler, which the caller shuts down after
     * {@link #close()} (see {@link #MaildirStore(Path, MessageFormat.LineEnd)} for the rest).
     */
    public MaildirStore(Path dataDir, MessageFormat.LineEnd lineEnd, ScheduledExecutorService scheduler) {
        this(dataDir, lineEnd, new Locks(Host.NAME, scheduler));
    }

    /** A store with the given locks (tests: a failing linker, a fake process probe). */
    MaildirStore(Path dataDir, MessageFormat.LineEnd lineEnd, Locks locks) {
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        this.lineEnd = Objects.requireNonNull(lineEnd, "lineEnd");
        this.locks = Objects.requireNonNull(locks, "locks");
    }

    /** How long an approval is used without a full check (tests: zero checks at every login). */
    void approvalTtl(java.time.Duration ttl) {
        known.approvalTtl(ttl);
    }

    /** The store's locks (for tests). */
    Locks locks() {
        return locks;
    }

    /**
     * Stops refreshing the lock files and deletes this store's lock templates (its own refresh thread too, if
     * it made one). Call it after the sessions have ended; opening a maildrop fails afterwards.
     */
    @Override
    public void close() {
        locks.close();
    }

    /**
     * Sets how Dovecot formed the UIDLs of a Maildir it served ({@code pop3_uidl_format}; default
     * {@value UidlFormat#DEFAULT}), or null to read no {@code dovecot-uidlist}. Call before the first session.
     *
     * @return this store
     */
    public MaildirStore dovecotUidlFormat(UidlFormat format) {
        this.dovecotUidlFormat = format;
        return this;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The Maildir's approval ({@link MaildirGuard#check}: no links, owned by the right user) is remembered for up
     * to {@link KnownMaildirs#APPROVAL_TTL} (a minute) and used while its four directories keep the identities
     * approved, which every login confirms through the Maildir's handle ({@link MaildirDirs#confirm}); anything that
     * goes wrong on a remembered approval forgets it and opens once more after a full check. See docs/security.md.
     */
    @Override
    public Maildrop open(MailboxRef ref) throws MaildropBusyException, StorageException {
        Optional<Path> home = home(ref);
        Path maildir = maildir(ref.user(), home);
        KnownMaildirs.Approval approval = known.approval(maildir);
        if (approval != null) {
            try {
                return open(ref, maildir, home, approval.keys());
            } catch (MaildropBusyException e) {
                throw e;
            } catch (StorageException e) {
                // replaced, removed or unreadable: check it all again; the full check refuses what it must
                log.warn("the remembered approval of {} no longer holds ({}): checking it in full again", maildir,
                        e.getMessage());
                known.forget(maildir, approval);
            }
        }
        long checkedAt = System.nanoTime();
        Object[] dirKeys = approve(maildir, ref.user(), home);
        Maildrop maildrop = open(ref, maildir, home, dirKeys);
        known.approved(maildir, dirKeys, checkedAt);
        return maildrop;
    }

    private Maildrop open(MailboxRef ref, Path maildir, Optional<Path> home, Object[] dirKeys)
            throws MaildropBusyException, StorageException {
        MaildirDirs dirs = openDirs(maildir, dirKeys);
        Lease lease = null;
        boolean opened = false;
        Path key = maildir;
        try {
            key = known.realPath(maildir, dirKeys[0]);
            lease = locks.lease(key.resolve(LOCK_FILE), home.isEmpty() ? dataDir.resolve("home") : null);
            Maildrop maildrop = MaildirMaildrop.open(ref, key, dirs, lease, snapshots, dovecotUidlFormat, usage);
            opened = true;
            return maildrop;
        } catch (MaildirDirs.ReplacedException e) {
            throw new StorageException("refusing the maildir: " + e.getMessage(), false, e);
        } catch (IOException e) {
            throw new StorageException("cannot open the maildir " + key + ": " + e.getMessage(), true, e);
        } finally {
            if (!opened) {
                dirs.close();
                if (lease != null) {
                    lease.close();
                }
            }
        }
    }

    /** Opens the directories {@link MaildirGuard#check} approved; one replaced since is refused like a link. */
    private static MaildirDirs openDirs(Path maildir, Object[] dirKeys) throws StorageException {
        try {
            return MaildirDirs.open(maildir, dirKeys);
        } catch (MaildirDirs.ReplacedException e) {
            throw new StorageException("refusing the maildir: " + e.getMessage(), false, e);
        } catch (IOException e) {
            throw new StorageException("cannot open the maildir " + maildir + ": " + e.getMessage(), true, e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The message is streamed to {@code tmp/} with its line ends rewritten to this store's line end while
     * its stored and canonical sizes are counted, fsynced, renamed to
     * {@code new/<unique>,S=<stored size>,W=<canonical size>}, and {@code new/} is fsynced. The returned id is
     * that file name. A message that does not end in a line break gets a final one, so the stored file always
     * does, like any mail delivered over SMTP or LMTP (whose DATA ends in CRLF.CRLF). The quota is checked and
     * the usage updated under the Maildir's usage lock (see {@link MaildirUsage}), around the rename.
     *
     * @throws StorageException permanent for an empty message or an invalid user name; temporary for
     *                          I/O trouble (disk full, unreadable input), after removing the partial file
     */
    @Override
    public DeliveryResult deliver(MailboxRef ref, Envelope envelope, InputStream message, Quota quota)
            throws StorageException {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(quota, "quota");
        Optional<Path> home = home(ref);
        Path maildir = maildir(ref.user(), home);
        try (MaildirDirs dirs = openDirs(maildir, approve(maildir, ref.user(), home))) {
            return deliver(maildir, dirs, message, quota);
        }
    }

    private DeliveryResult deliver(Path maildir, MaildirDirs dirs, InputStream message, Quota quota)
            throws StorageException {
        String unique = nextUniqueName();
        FileChannel out;
        try {
            out = dirs.create(MaildirDirs.TMP, unique);
        } catch (IOException e) {
            throw new StorageException("cannot create a file in " + dirs.path(MaildirDirs.TMP, "") + ": "
                    + e.getMessage(), true, e);
        }
        boolean renamed = false;
        try {
            MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
            MessageFormat.LineEndConverter converter = new MessageFormat.LineEndConverter(lineEnd);
            long stored = 0;
            boolean empty = true;
            byte[] buf = new byte[BUFFER_SIZE];
            byte[] converted = new byte[MessageFormat.LineEndConverter.maxOutput(BUFFER_SIZE)];
            try (out) {
                for (int n; (n = message.read(buf)) >= 0; ) {
                    empty &= n == 0;
                    counter.update(buf, 0, n);
                    int m = converter.convert(buf, 0, n, converted);
                    writeFully(out, converted, m);
                    stored += m;
                }
                if (empty) {
                    throw new StorageException("empty message", false);
                }
                int m = converter.finish(converted);
                writeFully(out, converted, m);
                stored += m;
                out.force(true);
            }
            dev.postoffice.storage.CrashPoint.reach("deliver-tmp-written"); // test hook (issue 15's kill -9 matrix)
            String name = unique + ",S=" + stored + ",W=" + counter.size();
            try (MaildirUsage.Held held = usage.hold(dirs)) {
                Usage before = held.usage();
                if (!quota.admits(before, counter.size())) {
                    throw new QuotaExceededException(before, quota, counter.size());
                }
                dirs.move(MaildirDirs.TMP, unique, MaildirDirs.NEW, name);
                renamed = true;
                dev.postoffice.storage.CrashPoint.reach("deliver-renamed"); // test hook (issue 15's kill -9 matrix)
                try {
                    dirs.fsync(MaildirDirs.NEW);
                } catch (IOException e) {
                    // Not durable: withdraw it so that the sender's retry cannot produce a duplicate.
                    dirs.deleteQuietly(MaildirDirs.NEW, name, e);
                    throw e;
                }
                // Delivered (renamed and fsynced): a failure now must not make the sender retry and deliver twice.
                held.recordOrForget(before.plus(counter.size(), 1));
            }
            MessageForm form = lineEnd != MessageFormat.LineEnd.CRLF ? MessageForm.RAW
                    : counter.hasDotLines() ? MessageForm.DOTTED : MessageForm.WIRE;
            return new DeliveryResult(name, counter.size(), form);
        } catch (IOException e) {
            throw new StorageException("cannot store the message: " + e.getMessage(), true, e);
        } finally {
            if (!renamed) {
                dirs.deleteQuietly(MaildirDirs.TMP, unique, null);
            }
        }
    }

    /** {@inheritDoc} Read from the usage file, which is rebuilt by listing the Maildir only when missing. */
    @Override
    public Usage usage(MailboxRef ref) throws StorageException {
        Optional<Path> home = home(ref);
        Path maildir = maildir(ref.user(), home);
        if (!Files.isDirectory(maildir.resolve(MaildirMaildrop.NEW))) {
            return Usage.EMPTY;
        }
        Object[] keys = MaildirGuard.check(maildir, home);
        try (MaildirDirs dirs = MaildirDirs.open(maildir, keys); MaildirUsage.Held held = usage.hold(dirs)) {
            return held.usage();
        } catch (IOException e) {
            throw new StorageException("cannot read the usage of " + maildir + ": " + e.getMessage(), true, e);
        }
    }

    /** The home directory a mailbox's locator names, if any. */
    private static Optional<Path> home(MailboxRef ref) throws StorageException {
        try {
            return ref.locator().map(Path::of);
        } catch (InvalidPathException e) {
            throw new StorageException("invalid home directory", false, e);
        }
    }

    /** The user's Maildir, after checking the user name. */
    Path maildir(String user, Optional<Path> home) throws StorageException {
        if (user == null || user.isEmpty() || user.equals(".") || user.equals("..")
                || user.indexOf('/') >= 0 || user.indexOf('\0') >= 0) {
            throw new StorageException("invalid user name", false);
        }
        try {
            return home.isPresent()
                    ? home.get().resolve("Maildir")
                    : dataDir.resolve("home").resolve(user).resolve("Maildir");
        } catch (InvalidPathException e) {
            throw new StorageException("invalid user name", false, e);
        }
    }

    /**
     * Checks the user's Maildir ({@link MaildirGuard}), first creating what is missing of it: one stat per directory
     * at every delivery, and at a login without a remembered approval, where all four exist.
     *
     * @return the approved directories' keys
     */
    private Object[] approve(Path maildir, String user, Optional<Path> home) throws StorageException {
        Object[] keys = MaildirGuard.checkIfComplete(maildir, home);
        if (keys == null) {
            prepare(user, home);
            keys = MaildirGuard.check(maildir, home);
        }
        return keys;
    }

    /** Finds the user's Maildir and creates what is missing of it (mode 0700). */
    private Path prepare(String user, Optional<Path> home) throws StorageException {
        Path maildir = maildir(user, home);
        Path newDir = maildir.resolve(MaildirMaildrop.NEW);
        Path curDir = maildir.resolve(MaildirMaildrop.CUR);
        Path tmpDir = maildir.resolve(MaildirMaildrop.TMP);
        // The common case, at every login and delivery: all there. One stat each, no exception either way
        // (Files.isDirectory does not throw for a missing file); the Maildir and the home exist if these do.
        if (Files.isDirectory(newDir) && Files.isDirectory(curDir) && Files.isDirectory(tmpDir)) {
            return maildir;
        }
        // A given home must exist: creating it could hide a file system that is not mounted yet.
        if (home.isPresent() && !Files.isDirectory(home.get())) {
            throw new StorageException("the home directory " + home.get() + " does not exist", true);
        }
        try {
            FileOps.ensureDirectory(maildir, home.isEmpty());
            FileOps.ensureDirectory(newDir, false);
            FileOps.ensureDirectory(curDir, false);
            FileOps.ensureDirectory(tmpDir, false);
        } catch (IOException e) {
            throw new StorageException("cannot create the maildir " + maildir + ": " + e, true, e);
        }
        return maildir;
    }

    private static String nextUniqueName() {
        Instant now = Instant.now();
        return MaildirNames.uniqueName(now.getEpochSecond(), now.getNano() / 1000, PID,
                DELIVERIES.incrementAndGet(), RANDOM.nextInt(), Host.NAME);
    }

    private static void writeFully(FileChannel out, byte[] buf, int len) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    /** The escaped host name for unique names, looked up once. */
    static final class Host {
        static final String NAME = MaildirNames.escapeHostname(lookUp());

        private static String lookUp() {
            try {
                // The kernel's name, what gethostname() returns to Postfix and Dovecot, without a DNS lookup.
                String name = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).strip();
                if (!name.isEmpty()) {
                    return name;
                }
            } catch (IOException | RuntimeException e) {
                // not Linux: ask the platform
            }
            try {
                String name = InetAddress.getLocalHost().getHostName();
                if (name != null && !name.isEmpty()) {
                    return name;
                }
            } catch (IOException e) {
                // fall through
            }
            return "localhost";
        }
    }
}
