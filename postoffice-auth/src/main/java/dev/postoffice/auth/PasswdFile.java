package dev.postoffice.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Dovecot passwd-file ({@code user:password:uid:gid:gecos:home:shell:extra_fields}) as a {@link UserDirectory},
 * plus the edits the command line needs.
 *
 * <p>Lookups use a parsed copy of the file that is re-read only when the file's modification or status-change
 * time, size or identity (inode) changes, so the hot path costs one {@code stat}; for two seconds after a change
 * the content is compared too ({@link FileVersion}), so an edit of equal size in the same tick is not missed. A missing file has no users. Lines that cannot
 * be used are skipped with a warning naming the line number, never its contents. When a user appears twice, the
 * first line wins (as in Dovecot) and the second is warned about.
 *
 * <p>Edits lock {@code <file>.lock} (a POSIX record lock, plus an in-process lock, since the former does not
 * exclude threads of one JVM), re-read the file, change only the lines concerned and replace the file atomically
 * (temporary file in the same directory, fsync, rename, fsync of the directory). A new file gets mode 0600; an
 * existing file's mode, owner and group carry over as far as the process is allowed to set them.
 */
public final class PasswdFile implements EditableUserDirectory {
    private static final Logger log = LoggerFactory.getLogger(PasswdFile.class);

    private static final int MAX_NAME_LENGTH = 255;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final ConcurrentMap<Path, ReentrantLock> PROCESS_LOCKS = new ConcurrentHashMap<>();

    /** The parsed users of one version of the file, in file order, and what their secrets allow. */
    private record Snapshot(FileVersion version, Map<String, UserRecord> users, DirectoryCapabilities capabilities) {
        Snapshot(FileVersion version, Map<String, UserRecord> users) {
            this(version, users, DirectoryCapabilities.ofUsers(users.values()));
        }
    }

    private final Path file;
    private final Path lockFile;
    private final Object reloadLock = new Object();
    private volatile Snapshot snapshot;

    /** A passwd-file at {@code file}; nothing is read until the first lookup. */
    public PasswdFile(Path file) {
        this.file = Objects.requireNonNull(file, "file");
        Path name = file.getFileName();
        if (name == null) {
            throw new IllegalArgumentException("Not a file path: " + file);
        }
        this.lockFile = file.resolveSibling(name + ".lock");
    }

    /** The file this directory reads. */
    public Path file() {
        return file;
    }

    @Override
    public String describe() {
        return file.toString();
    }

    /**
     * Parses one line in this format (for directories that keep the same fields elsewhere, a SQL table), with the
     * same rules as the file.
     *
     * @throws IllegalArgumentException saying what is wrong (never quoting the secret)
     */
    public static UserRecord parseLine(String line) {
        return switch (PasswdLines.parse(new PasswdLines.Line(1, line.getBytes(StandardCharsets.UTF_8), ""))) {
            case PasswdLines.Parsed.User u -> u.record();
            case PasswdLines.Parsed.Malformed m -> throw new IllegalArgumentException(m.reason());
            case PasswdLines.Parsed.Ignored i -> throw new IllegalArgumentException("not a user");
        };
    }

    @Override
    public Optional<UserRecord> find(String name) throws IOException {
        Objects.requireNonNull(name, "name");
        return Optional.ofNullable(current().users().get(name));
    }

    /** Computed when the file is (re-)read; otherwise costs one {@code stat}, like a lookup. */
    @Override
    public DirectoryCapabilities capabilities() throws IOException {
        return current().capabilities();
    }

    /**
     * All users the file defines, in file order (the first line of a user that appears twice); for {@code user
     * list}, since the server needs only {@link #find} and {@link #capabilities}.
     */
    @Override
    public List<UserRecord> list() throws IOException {
        return List.copyOf(current().users().values());
    }

    /**
     * What is wrong with the file, one {@code LINE: problem} each, never quoting a secret ({@code postoffice doctor}):
     * malformed lines, users defined twice, secrets in no scheme this server can verify.
     */
    public List<String> problems() throws IOException {
        List<String> out = new ArrayList<>();
        Map<String, Integer> seen = new java.util.HashMap<>();
        for (PasswdLines.Line line : PasswdLines.split(Files.readAllBytes(file))) {
            switch (PasswdLines.parse(line)) {
                case PasswdLines.Parsed.Malformed m -> out.add(line.number() + ": " + m.reason());
                case PasswdLines.Parsed.Ignored i -> { }
                case PasswdLines.Parsed.User u -> {
                    String name = u.record().account().name();
                    Integer first = seen.putIfAbsent(name, line.number());
                    if (first != null) {
                        out.add(line.number() + ": user " + name + " is defined again (first on line " + first
                                + "); only the first counts");
                    } else if (!PasswordSchemes.verifiable(u.record().secret())) {
                        out.add(line.number() + ": user " + name
                                + "'s password is in no scheme this server can verify");
                    }
                }
            }
        }
        return out;
    }

    /**
     * Appends {@code name:secret}.
     *
     * @throws IllegalArgumentException if the name is invalid (see {@link #validateName}) or the secret is empty or
     *                                  contains {@code ':'} or a control character
     * @throws UserExistsException      if a line for the user exists already (even one skipped as malformed)
     */
    @Override
    public void add(String name, String secret) throws IOException {
        validateName(name);
        validateSecret(secret);
        edit(lines -> {
            if (lines.stream().anyMatch(line -> isUser(line, name))) {
                throw new UserExistsException(name);
            }
            String newline = lines.stream().map(PasswdLines.Line::terminator)
                    .filter(t -> t.endsWith("\n")).findFirst().orElse("\n");
            if (!lines.isEmpty()) {
                int last = lines.size() - 1;
                PasswdLines.Line tail = lines.get(last);
                if (tail.terminator().isEmpty()) {
                    lines.set(last, tail.withTerminator(newline));
                } else if (tail.terminator().equals("\r")) {
                    lines.set(last, tail.withTerminator("\r\n"));
                }
            }
            lines.add(new PasswdLines.Line(lines.size() + 1,
                    (name + ":" + secret).getBytes(StandardCharsets.UTF_8), newline));
        });
    }

    /**
     * Replaces the password field of the user's line, keeping every other field.
     *
     * @throws IllegalArgumentException if the secret is empty or contains {@code ':'} or a control character
     * @throws NoSuchUserException      if the file has no line for the user
     */
    @Override
    public void setSecret(String name, String secret) throws IOException {
        Objects.requireNonNull(name, "name");
        validateSecret(secret);
        edit(lines -> {
            for (int i = 0; i < lines.size(); i++) {
                PasswdLines.Line line = lines.get(i);
                if (isUser(line, name)) {
                    String text = line.text().orElseThrow();
                    lines.set(i, line.withContent(PasswdLines.withSecret(text, secret)));
                    return;
                }
            }
            throw new NoSuchUserException(name);
        });
    }

    /**
     * Removes every line for the user.
     *
     * @throws NoSuchUserException if the file has no line for the user
     */
    @Override
    public void remove(String name) throws IOException {
        Objects.requireNonNull(name, "name");
        edit(lines -> {
            if (!lines.removeIf(line -> isUser(line, name))) {
                throw new NoSuchUserException(name);
            }
        });
    }

    /**
     * Checks that {@code name} can be a login name and a directory name: 1 to 255 characters and at most 255 bytes
     * of UTF-8, no {@code ':'}, {@code '/'} or {@code '\\'}, no whitespace, control, format (such as bidi
     * overrides) or unpaired surrogate characters, not {@code "."} or {@code ".."}, and not starting with
     * {@code '#'} (which would make the line a comment). {@code local@domain} and non-ASCII letters are fine.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static void validateName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("User name must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("User name must be at most " + MAX_NAME_LENGTH
                    + " characters and " + MAX_NAME_LENGTH + " bytes of UTF-8");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("User name must not be '.' or '..'");
        }
        if (name.charAt(0) == '#') {
            throw new IllegalArgumentException("User name must not start with '#'");
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == ':' || cp == '/' || cp == '\\') {
                throw new IllegalArgumentException("User name must not contain '" + (char) cp + "'");
            }
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                throw new IllegalArgumentException("User name must not contain whitespace");
            }
            int type = Character.getType(cp);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE) {
                throw new IllegalArgumentException(String.format(
                        "User name must not contain control or format characters (found U+%04X)", cp));
            }
        }
    }

    private static void validateSecret(String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("Secret must not be empty");
        }
        if (secret.chars().anyMatch(c -> c == ':' || Character.isISOControl(c))) {
            // Deliberately not quoting the secret.
            throw new IllegalArgumentException("Secret must not contain ':' or control characters");
        }
    }

    private static boolean isUser(PasswdLines.Line line, String name) {
        return line.userName().filter(name::equals).isPresent();
    }

    // ---- reading ----

    private Snapshot current() throws IOException {
        FileVersion.Stamp stamp = FileVersion.Stamp.of(file);
        Snapshot s = snapshot;
        if (s != null && s.version().surelyCurrent(stamp)) {
            return s;
        }
        synchronized (reloadLock) {
            s = snapshot;
            stamp = FileVersion.Stamp.of(file);
            if (s != null && s.version().surelyCurrent(stamp)) {
                return s;
            }
            // The stamp is taken before reading: if the file changes meanwhile, the next stat differs and we
            // read again, so the cache can be stale for one lookup at most, never for good. An equal stat
            // shortly after a change is not trusted (FileVersion): the content decides.
            long readAt = System.currentTimeMillis();
            byte[] bytes = stamp == FileVersion.Stamp.MISSING ? new byte[0] : readOrEmpty(file);
            FileVersion version = FileVersion.of(stamp, bytes, readAt);
            s = s != null && s.version().sameContent(version)
                    ? new Snapshot(version, s.users(), s.capabilities())
                    : new Snapshot(version, parseUsers(bytes));
            snapshot = s;
            return s;
        }
    }

    private Map<String, UserRecord> parseUsers(byte[] bytes) {
        Map<String, UserRecord> users = new LinkedHashMap<>();
        for (PasswdLines.Line line : PasswdLines.split(bytes)) {
            switch (PasswdLines.parse(line)) {
                case PasswdLines.Parsed.User(UserRecord user) -> {
                    if (users.putIfAbsent(user.name(), user) != null) {
                        log.warn("passwd-file {}: line {}: user {} exists more than once; line ignored",
                                file, line.number(), user.name());
                    }
                }
                case PasswdLines.Parsed.Malformed(String reason) ->
                        log.warn("passwd-file {}: line {}: {}; line ignored", file, line.number(), reason);
                case PasswdLines.Parsed.Ignored() -> { }
            }
        }
        return Collections.unmodifiableMap(users);
    }

    private static byte[] readOrEmpty(Path path) throws IOException {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }

    // ---- editing ----

    private void edit(Consumer<List<PasswdLines.Line>> change) throws IOException {
        ReentrantLock processLock = PROCESS_LOCKS.computeIfAbsent(
                lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
        processLock.lock();
        try (FileChannel channel = openLockFile()) {
            channel.lock(); // released when the channel closes
            Path target = Files.exists(file) ? file.toRealPath() : file;
            List<PasswdLines.Line> lines = new ArrayList<>(PasswdLines.split(readOrEmpty(target)));
            change.accept(lines);
            writeAtomically(target, PasswdLines.join(lines));
            snapshot = null;
        } finally {
            processLock.unlock();
        }
    }

    private FileChannel openLockFile() throws IOException {
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        return FileChannel.open(lockFile, options, ownerOnly(lockFile));
    }

    private static void writeAtomically(Path target, byte[] contents) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", ownerOnly(dir));
        boolean moved = false;
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(contents);
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                copyOwnershipAndMode(target, tmp);
                out.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("Cannot replace " + target + " atomically", e);
            }
            moved = true;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Gives the replacement the mode, owner and group of the file it replaces; warns where not permitted. */
    private static void copyOwnershipAndMode(Path original, Path replacement) throws IOException {
        PosixFileAttributeView originalView =
                Files.getFileAttributeView(original, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        PosixFileAttributeView view = Files.getFileAttributeView(replacement, PosixFileAttributeView.class);
        if (originalView == null || view == null) {
            return;
        }
        PosixFileAttributes attrs;
        try {
            attrs = originalView.readAttributes();
        } catch (NoSuchFileException e) {
            return; // a new file keeps the 0600 it was created with
        }
        view.setPermissions(attrs.permissions());
        PosixFileAttributes mine = view.readAttributes();
        try {
            if (!mine.owner().equals(attrs.owner())) {
                view.setOwner(attrs.owner());
            }
            if (!mine.group().equals(attrs.group())) {
                view.setGroup(attrs.group());
            }
        } catch (IOException e) {
            log.warn("passwd-file {}: cannot keep owner {} and group {} ({}); the new file belongs to {}:{}",
                    original, attrs.owner().getName(), attrs.group().getName(), e.getMessage(),
                    mine.owner().getName(), mine.group().getName());
        }
    }

    /** Mode 0600 for a file created on {@code path}'s file system, if that file system has POSIX modes. */
    private static FileAttribute<?>[] ownerOnly(Path path) {
        boolean posix = path.getFileSystem().supportedFileAttributeViews().contains("posix");
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
    }
}
