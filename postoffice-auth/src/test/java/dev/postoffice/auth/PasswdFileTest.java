package dev.postoffice.auth;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.testkit.LogCapture;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import ch.qos.logback.classic.Level;

class PasswdFileTest {
    private static final String SECRET = "{PLAIN}hunter2-do-not-log";

    @TempDir
    Path dir;

    private Path write(String contents) throws IOException {
        return write(contents.getBytes(UTF_8));
    }

    private Path write(byte[] contents) throws IOException {
        Path file = dir.resolve("users");
        Files.write(file, contents);
        return file;
    }

    private static UserRecord user(String name, String secret) {
        return new UserRecord(name, secret, Optional.empty(), Map.of());
    }

    // ---- parsing ----

    static Stream<Arguments> lines() {
        return Stream.of(
                Arguments.of("user and password only", "alice:{PLAIN}pw",
                        user("alice", "{PLAIN}pw")),
                Arguments.of("empty password field", "alice:",
                        user("alice", "")),
                Arguments.of("all fields", "alice:{PLAIN}pw:1000:1000:Alice A.:/var/mail/alice:/bin/false:quota_rule=*:storage=1G nologin",
                        new UserRecord("alice", "{PLAIN}pw", Optional.of(Path.of("/var/mail/alice")),
                                Map.of("quota_rule", "*:storage=1G", "nologin", ""))),
                Arguments.of("empty uid, gid and gecos", "bob@example.org:{PLAIN}pw::::/home/bob",
                        new UserRecord("bob@example.org", "{PLAIN}pw", Optional.of(Path.of("/home/bob")), Map.of())),
                Arguments.of("empty home", "bob:{PLAIN}pw:1:1::::x=1",
                        new UserRecord("bob", "{PLAIN}pw", Optional.empty(), Map.of("x", "1"))),
                Arguments.of("extra fields separated by several spaces", "bob:pw:::::: a=1   b=2  ",
                        new UserRecord("bob", "pw", Optional.empty(), Map.of("a", "1", "b", "2"))),
                Arguments.of("Dovecot's old format: empty field, then the mail location", "bob:pw:1:1::/home/bob:::maildir:~/Maildir",
                        new UserRecord("bob", "pw", Optional.of(Path.of("/home/bob")),
                                Map.of("userdb_mail", "maildir:~/Maildir"))),
                Arguments.of("UTF-8 name", "j\u00f6rg:pw",
                        user("j\u00f6rg", "pw")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lines")
    void parsesLinesLikeDovecot(String label, String line, UserRecord expected) throws IOException {
        PasswdFile file = new PasswdFile(write("# comment\n" + line + "\n"));
        assertThat(file.find(expected.name())).contains(expected);
        assertThat(file.list()).containsExactly(expected);
    }

    @Test
    void extraFieldsKeepFileOrderAndCannotBeChanged() throws IOException {
        PasswdFile file = new PasswdFile(write("a:pw:::::: z=1 y=2 x=3 y=4\n"));
        Map<String, String> extra = file.find("a").orElseThrow().extra();
        assertThat(extra.keySet()).containsExactly("z", "y", "x");
        assertThat(extra).containsEntry("y", "4");
        assertThatThrownBy(() -> extra.put("w", "5")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void skipsCommentsBlankLinesAndLinesWithoutUserName() throws IOException {
        PasswdFile file = new PasswdFile(write(
                "# alice:{PLAIN}commented\n\n:{PLAIN}no-user\nbob:{PLAIN}pw\n   \n\t\n#\n"));
        try (LogCapture logs = new LogCapture(PasswdFile.class)) {
            assertThat(file.list()).extracting(UserRecord::name).containsExactly("bob");
            assertThat(file.find("alice")).isEmpty();
            assertThat(file.find("# alice")).isEmpty();
            assertThat(logs.all()).isEmpty();
        }
    }

    @Test
    void handlesCrlfAndMissingFinalNewline() throws IOException {
        PasswdFile file = new PasswdFile(write("alice:{PLAIN}a\r\nbob:{PLAIN}b\r\ncarol:{PLAIN}c"));
        assertThat(file.list()).containsExactly(user("alice", "{PLAIN}a"), user("bob", "{PLAIN}b"),
                user("carol", "{PLAIN}c"));
    }

    @Test
    void lookupIsExactAndCaseSensitive() throws IOException {
        PasswdFile file = new PasswdFile(write("Alice:{PLAIN}pw\nbob@example.org:{PLAIN}pw\n"));
        assertThat(file.find("Alice")).isPresent();
        assertThat(file.find("alice")).isEmpty();
        assertThat(file.find("bob")).isEmpty();
        assertThat(file.find("bob@example.org")).isPresent();
        assertThat(file.find("")).isEmpty();
    }

    @Test
    void firstLineWinsForDuplicateUsersWithAWarning() throws IOException {
        PasswdFile file = new PasswdFile(write("alice:{PLAIN}first\nbob:x\nalice:" + SECRET + "\n"));
        try (LogCapture logs = new LogCapture(PasswdFile.class)) {
            assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}first");
            assertThat(logs.messages(Level.WARN)).singleElement().asString()
                    .contains("line 3").contains("alice").doesNotContain("hunter2");
        }
    }

    static Stream<Arguments> malformedLines() {
        return Stream.of(
                Arguments.of("invalid UTF-8", new byte[] {'b', 'a', 'd', (byte) 0xC3, ':', 'x'}, "not valid UTF-8"),
                Arguments.of("slash in name", ("../etc:" + SECRET).getBytes(UTF_8), "invalid user name"),
                Arguments.of("dot-dot name", (".." + ":" + SECRET).getBytes(UTF_8), "invalid user name"),
                Arguments.of("space in name", ("bad name:" + SECRET).getBytes(UTF_8), "invalid user name"),
                Arguments.of("leading space", (" bad:" + SECRET).getBytes(UTF_8), "invalid user name"),
                Arguments.of("user name only", "carol".getBytes(UTF_8), "no password field"),
                Arguments.of("secret only", SECRET.getBytes(UTF_8), "no password field"),
                Arguments.of("relative home", ("bad:" + SECRET + ":1:1::var/mail/bad").getBytes(UTF_8),
                        "relative home"),
                Arguments.of("NUL in home", ("bad:" + SECRET + ":1:1::/var/\0mail").getBytes(UTF_8),
                        "invalid home"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedLines")
    void skipsMalformedLinesWithAWarningThatNamesTheLineButNotTheSecret(String label, byte[] bad, String reason)
            throws IOException {
        ByteArrayOutputStream contents = new ByteArrayOutputStream();
        contents.writeBytes("# users\nalice:{PLAIN}a\n".getBytes(UTF_8));
        contents.writeBytes(bad);
        contents.writeBytes("\nbob:{PLAIN}b\n".getBytes(UTF_8));
        PasswdFile file = new PasswdFile(write(contents.toByteArray()));
        try (LogCapture logs = new LogCapture(PasswdFile.class)) {
            assertThat(file.list()).extracting(UserRecord::name).containsExactly("alice", "bob");
            assertThat(logs.messages(Level.WARN)).singleElement().asString()
                    .contains("line 3").contains(reason).doesNotContain("hunter2");
            assertThat(logs.all()).noneMatch(m -> m.contains("hunter2"));
        }
    }

    @Test
    void missingFileHasNoUsersUntilItAppears() throws IOException {
        Path path = dir.resolve("users");
        PasswdFile file = new PasswdFile(path);
        assertThat(file.find("alice")).isEmpty();
        assertThat(file.list()).isEmpty();
        Files.writeString(path, "alice:{PLAIN}pw\n");
        assertThat(file.find("alice")).isPresent();
        Files.delete(path);
        assertThat(file.find("alice")).isEmpty();
    }

    @Test
    void unreadableFileIsAnIOException() throws IOException {
        Path path = dir.resolve("users");
        Files.createDirectory(path); // exists, but cannot be read as a file
        PasswdFile file = new PasswdFile(path);
        assertThatThrownBy(() -> file.find("alice")).isInstanceOf(IOException.class);
    }

    // ---- caching ----

    @Test
    void rereadsWhenTheSizeChanges() throws IOException {
        Path path = write("alice:{PLAIN}one\n");
        PasswdFile file = new PasswdFile(path);
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}one");
        FileTime mtime = Files.getLastModifiedTime(path);
        Files.writeString(path, "alice:{PLAIN}three\n");
        Files.setLastModifiedTime(path, mtime);
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}three");
    }

    @Test
    void rereadsWhenOnlyTheModificationTimeChanges() throws IOException {
        Path path = write("alice:{PLAIN}one\n");
        PasswdFile file = new PasswdFile(path);
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}one");
        FileTime mtime = Files.getLastModifiedTime(path);
        Files.writeString(path, "alice:{PLAIN}two\n"); // same size, same inode
        Files.setLastModifiedTime(path, FileTime.fromMillis(mtime.toMillis() + 1000));
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}two");
    }

    @Test
    void rereadsWhenTheFileIsReplacedEvenWithSameSizeAndTime() throws IOException {
        Path path = write("alice:{PLAIN}one\n");
        PasswdFile file = new PasswdFile(path);
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}one");
        FileTime mtime = Files.getLastModifiedTime(path);
        Path tmp = dir.resolve("users.new");
        Files.writeString(tmp, "alice:{PLAIN}two\n");
        Files.setLastModifiedTime(tmp, mtime);
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}two");
    }

    @Test
    void doesNotRereadAnUnchangedFile() throws IOException {
        Path path = write("alice:{PLAIN}one\nbad name:x\n");
        PasswdFile file = new PasswdFile(path);
        try (LogCapture logs = new LogCapture(PasswdFile.class)) {
            for (int i = 0; i < 5; i++) {
                assertThat(file.find("alice")).isPresent();
            }
            assertThat(file.list()).hasSize(1);
            // parsed once: the malformed line was warned about once
            assertThat(logs.messages(Level.WARN)).hasSize(1);
        }
    }

    @Test
    void anEditOfEqualSizeWithTheModificationTimeResetIsNotMissed() throws IOException {
        // Issue 10 §7: a revoked password kept working after an edit of equal size in the same mtime tick.
        Path path = write("alice:{PLAIN}one\n");
        PasswdFile file = new PasswdFile(path);
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}one");
        FileTime mtime = Files.getLastModifiedTime(path);
        Files.writeString(path, "alice:{PLAIN}two\n"); // same inode, same size
        Files.setLastModifiedTime(path, mtime);
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}two");
    }

    @Test
    void concurrentLookupsDuringRewritesSeeWholeVersions() throws Exception {
        Path path = write("alice:{PLAIN}v0\n");
        PasswdFile reader = new PasswdFile(path);
        PasswdFile writer = new PasswdFile(path);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> readers = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                readers.add(pool.submit(() -> {
                    int lookups = 0;
                    while (!stop.get()) {
                        UserRecord r = reader.find("alice").orElseThrow();
                        assertThat(r.secret()).startsWith("{PLAIN}v");
                        lookups++;
                    }
                    return lookups;
                }));
            }
            for (int v = 1; v <= 40; v++) {
                writer.setSecret("alice", "{PLAIN}v" + v);
            }
            stop.set(true);
            for (Future<Integer> f : readers) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isPositive();
            }
            assertThat(reader.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}v40");
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- editing ----

    /** A file with everything an edit must keep intact. */
    private static final String HAND_WRITTEN = "# Postoffice users\r\n"
            + "alice:{PLAIN}a:1000:1000:Alice:/home/alice:/bin/sh:quota_rule=*:storage=1G  nologin\n"
            + "\n"
            + "   \n"
            + "#bob:{PLAIN}old\n"
            + "bad name:{PLAIN}x\n"
            + "carol:{PLAIN}c\r\n";

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static final byte[] INVALID_UTF8_LINE = {'x', 'x', (byte) 0xFF, ':', 'y', '\n'};

    @Test
    void addAppendsAndKeepsEveryOtherByte() throws IOException {
        byte[] original = concat(bytes(HAND_WRITTEN), INVALID_UTF8_LINE, bytes("dave:{PLAIN}d"));
        Path path = write(original);
        new PasswdFile(path).add("erin@example.org", "{PLAIN}e");
        // the unterminated last line gets the file's first newline style ("\r\n") before the new line
        assertThat(Files.readAllBytes(path)).isEqualTo(concat(original, bytes("\r\nerin@example.org:{PLAIN}e\r\n")));
    }

    @Test
    void addToAFileEndingWithNewlineJustAppends() throws IOException {
        Path path = write("alice:{PLAIN}a\n");
        PasswdFile file = new PasswdFile(path);
        file.add("bob", "{PLAIN}b");
        assertThat(Files.readString(path)).isEqualTo("alice:{PLAIN}a\nbob:{PLAIN}b\n");
        assertThat(file.find("bob")).contains(user("bob", "{PLAIN}b"));
    }

    @Test
    void addCreatesAMissingFileWithMode0600() throws IOException {
        Path path = dir.resolve("users");
        PasswdFile file = new PasswdFile(path);
        file.add("alice", "{PLAIN}a");
        assertThat(Files.readString(path)).isEqualTo("alice:{PLAIN}a\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
        assertThat(file.list()).containsExactly(user("alice", "{PLAIN}a"));
    }

    @Test
    void editsKeepTheModeOfAnExistingFile() throws IOException {
        Path path = write("alice:{PLAIN}a\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r-----"));
        new PasswdFile(path).add("bob", "{PLAIN}b");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-r-----");
    }

    @Test
    void addRefusesAnExistingUserAndLeavesTheFileAlone() throws IOException {
        Path path = write(HAND_WRITTEN);
        PasswdFile file = new PasswdFile(path);
        assertThatThrownBy(() -> file.add("carol", "{PLAIN}new"))
                .isInstanceOf(UserExistsException.class)
                .hasMessageContaining("carol")
                .satisfies(e -> assertThat(((UserExistsException) e).name()).isEqualTo("carol"));
        // a line that lookups skip as malformed still counts: appending would only shadow it
        assertThatThrownBy(() -> file.add("bad name", "{PLAIN}new")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readString(path)).isEqualTo(HAND_WRITTEN);
    }

    @Test
    void addRefusesAUserWhoseExistingLineIsMalformed() throws IOException {
        String contents = "alice:{PLAIN}a:1:1::relative/home\n";
        Path path = write(contents);
        PasswdFile file = new PasswdFile(path);
        assertThat(file.find("alice")).isEmpty();
        assertThatThrownBy(() -> file.add("alice", "{PLAIN}b")).isInstanceOf(UserExistsException.class);
        assertThat(Files.readString(path)).isEqualTo(contents);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a:b", "line\nbreak", "cr\rhere", "nul\0"})
    void addAndSetSecretRefuseSecretsThatBreakTheFormat(String secret) throws IOException {
        Path path = write("alice:{PLAIN}a\n");
        PasswdFile file = new PasswdFile(path);
        assertThatThrownBy(() -> file.add("bob", secret)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Secret must not");
        assertThatThrownBy(() -> file.setSecret("alice", secret)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readString(path)).isEqualTo("alice:{PLAIN}a\n");
    }

    @Test
    void addRefusesInvalidNames() throws IOException {
        PasswdFile file = new PasswdFile(dir.resolve("users"));
        assertThatThrownBy(() -> file.add("a/b", "{PLAIN}x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("users")).doesNotExist();
    }

    @Test
    void setSecretReplacesOnlyThePasswordField() throws IOException {
        byte[] original = concat(bytes(HAND_WRITTEN), INVALID_UTF8_LINE);
        Path path = write(original);
        PasswdFile file = new PasswdFile(path);
        file.setSecret("alice", "{PLAIN}new");
        String expected = HAND_WRITTEN.replace("alice:{PLAIN}a:", "alice:{PLAIN}new:");
        assertThat(Files.readAllBytes(path)).isEqualTo(concat(bytes(expected), INVALID_UTF8_LINE));
        UserRecord alice = file.find("alice").orElseThrow();
        assertThat(alice.secret()).isEqualTo("{PLAIN}new");
        assertThat(alice.home()).contains(Path.of("/home/alice"));
        assertThat(alice.extra()).containsEntry("quota_rule", "*:storage=1G").containsKey("nologin");
    }

    @Test
    void setSecretKeepsCrlfAndRepairsLinesWithoutPasswordField() throws IOException {
        Path path = write("carol:{PLAIN}c\r\ndave\r\n");
        PasswdFile file = new PasswdFile(path);
        file.setSecret("carol", "{PLAIN}C");
        file.setSecret("dave", "{PLAIN}D");
        assertThat(Files.readString(path)).isEqualTo("carol:{PLAIN}C\r\ndave:{PLAIN}D\r\n");
    }

    @Test
    void setSecretChangesTheLineLookupsUseWhenAUserIsDuplicated() throws IOException {
        Path path = write("alice:{PLAIN}1\nalice:{PLAIN}2\n");
        PasswdFile file = new PasswdFile(path);
        file.setSecret("alice", "{PLAIN}new");
        assertThat(Files.readString(path)).isEqualTo("alice:{PLAIN}new\nalice:{PLAIN}2\n");
        assertThat(file.find("alice").orElseThrow().secret()).isEqualTo("{PLAIN}new");
    }

    @Test
    void setSecretAndRemoveRefuseMissingUsers() throws IOException {
        Path path = write(HAND_WRITTEN);
        PasswdFile file = new PasswdFile(path);
        assertThatThrownBy(() -> file.setSecret("bob", "{PLAIN}x"))
                .isInstanceOf(NoSuchUserException.class).hasMessageContaining("bob");
        assertThatThrownBy(() -> file.remove("bob"))
                .isInstanceOf(NoSuchUserException.class)
                .satisfies(e -> assertThat(((NoSuchUserException) e).name()).isEqualTo("bob"));
        assertThat(Files.readString(path)).isEqualTo(HAND_WRITTEN);
        PasswdFile missing = new PasswdFile(dir.resolve("none"));
        assertThatThrownBy(() -> missing.remove("bob")).isInstanceOf(NoSuchUserException.class);
        assertThat(dir.resolve("none")).doesNotExist();
    }

    @Test
    void removeDeletesEveryLineOfTheUserAndNothingElse() throws IOException {
        byte[] original = concat(bytes(HAND_WRITTEN), INVALID_UTF8_LINE, bytes("alice:{PLAIN}dup"));
        Path path = write(original);
        PasswdFile file = new PasswdFile(path);
        file.remove("alice");
        String expected = HAND_WRITTEN.replace(
                "alice:{PLAIN}a:1000:1000:Alice:/home/alice:/bin/sh:quota_rule=*:storage=1G  nologin\n", "");
        assertThat(Files.readAllBytes(path)).isEqualTo(concat(bytes(expected), INVALID_UTF8_LINE));
        assertThat(file.find("alice")).isEmpty();
        assertThat(file.list()).extracting(UserRecord::name).containsExactly("carol");
    }

    @Test
    void editsLeaveNoTemporaryFilesAndUseASiblingLockFile() throws IOException {
        Path path = write("alice:{PLAIN}a\n");
        PasswdFile file = new PasswdFile(path);
        file.add("bob", "{PLAIN}b");
        file.setSecret("bob", "{PLAIN}c");
        file.remove("alice");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("users", "users.lock");
        }
    }

    @Test
    void editsGoThroughASymlinkToItsTarget() throws IOException {
        Path real = dir.resolve("real-users");
        Files.writeString(real, "alice:{PLAIN}a\n");
        Path link = Files.createSymbolicLink(dir.resolve("users"), real);
        PasswdFile file = new PasswdFile(link);
        file.add("bob", "{PLAIN}b");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("alice:{PLAIN}a\nbob:{PLAIN}b\n");
        assertThat(file.find("bob")).isPresent();
    }

    @Test
    void concurrentAddsFromManyThreadsLoseNothing() throws Exception {
        Path path = dir.resolve("users");
        int threads = 8;
        int perThread = 15;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String prefix = "t" + t + "-";
                PasswdFile own = new PasswdFile(path); // separate instances, same file
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        own.add(prefix + i, "{PLAIN}x");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(new PasswdFile(path).list()).hasSize(threads * perThread);
    }

    /** Several JVMs adding at once: only the lock on {@code users.lock} keeps them from losing lines. */
    @Test
    void concurrentAddsFromSeveralProcessesLoseNothing() throws Exception {
        Path path = dir.resolve("users");
        Files.writeString(path, "# shared\n");
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classpath = System.getProperty("java.class.path");
        int processes = 4;
        int perProcess = 25;
        List<Process> children = new ArrayList<>();
        for (int p = 0; p < processes; p++) {
            children.add(new ProcessBuilder(java, "-cp", classpath, PasswdFileAddMain.class.getName(),
                    path.toString(), "p" + p + "-", Integer.toString(perProcess))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start());
        }
        for (Process child : children) {
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
        }
        List<String> names = new PasswdFile(path).list().stream().map(UserRecord::name).toList();
        assertThat(names).hasSize(processes * perProcess).doesNotHaveDuplicates();
        assertThat(names).containsAll(IntStream.range(0, perProcess).mapToObj(i -> "p3-" + i).toList());
        assertThat(Files.readString(path)).startsWith("# shared\n");
    }

    // ---- names ----

    @ParameterizedTest
    @ValueSource(strings = {"alice", "alice@example.org", "j\u00f6rg", "\u7528\u6237", "a.b-c_d+e", "...",
            ".hidden", "a#b", "x"})
    void acceptsValidNames(String name) {
        PasswdFile.validateName(name);
    }

    @Test
    void acceptsNamesUpToTheLimits() {
        PasswdFile.validateName("a".repeat(255));
        PasswdFile.validateName("\u00e9".repeat(127)); // 254 bytes
        PasswdFile.validateName("\uD83D\uDD11".repeat(63)); // 126 chars, 252 bytes
    }

    static Stream<Arguments> invalidNames() {
        return Stream.of(
                Arguments.of(null, "empty"),
                Arguments.of("", "empty"),
                Arguments.of(".", "'.'"),
                Arguments.of("..", "'.'"),
                Arguments.of("a:b", "':'"),
                Arguments.of("a/b", "'/'"),
                Arguments.of("a\\b", "'\\'"),
                Arguments.of("a b", "whitespace"),
                Arguments.of("a\tb", "whitespace"),
                Arguments.of("a\u00a0b", "whitespace"),
                Arguments.of("a\u2028b", "whitespace"),
                Arguments.of("a\nb", "whitespace"),
                Arguments.of("a\0b", "control"),
                Arguments.of("a\u007fb", "control"),
                Arguments.of("a\u202eb", "format"),
                Arguments.of("a\u200bb", "format"),
                Arguments.of("a\uD800b", "U+D800"),
                Arguments.of("#alice", "'#'"),
                Arguments.of("a".repeat(256), "255"),
                Arguments.of("\u00e9".repeat(128), "bytes"));
    }

    @ParameterizedTest
    @MethodSource("invalidNames")
    void rejectsInvalidNamesWithAClearMessage(String name, String mentions) {
        assertThatThrownBy(() -> PasswdFile.validateName(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("User name must")
                .hasMessageContaining(mentions);
    }

    @Test
    void constructorRejectsARootPath() {
        assertThatThrownBy(() -> new PasswdFile(Path.of("/"))).isInstanceOf(IllegalArgumentException.class);
    }
}
