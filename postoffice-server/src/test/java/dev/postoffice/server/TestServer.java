package dev.postoffice.server;

import dev.postoffice.server.listen.Pop3Server;
import dev.postoffice.auth.HashExecutor;
import dev.postoffice.auth.LoginCache;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.server.auth.ServerAuth;
import dev.postoffice.storage.maildir.MaildirStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A real server on a loopback port over a real data directory (passwd-file users, Maildir storage), as
 * the tests' fixture.
 */
final class TestServer implements AutoCloseable {
    /** One hashing pool for every test server, as a process has one. */
    private static final HashExecutor HASHING = new HashExecutor();

    final Path data;
    final PasswdFile users;
    final MaildirStore store;
    private final UnaryOperator<ServerConfig.Builder> customize;
    private final HashExecutor hashing;
    Pop3Server server;

    TestServer(Path data) throws IOException {
        this(data, UnaryOperator.identity());
    }

    TestServer(Path data, UnaryOperator<ServerConfig.Builder> customize) throws IOException {
        this(data, customize, HASHING);
    }

    /** A server whose password checks run on {@code hashing} (a test's own small pool). */
    TestServer(Path data, UnaryOperator<ServerConfig.Builder> customize, HashExecutor hashing) throws IOException {
        this.hashing = hashing;
        this.data = data;
        this.users = new PasswdFile(data.resolve("users"));
        this.store = new MaildirStore(data);
        this.customize = customize;
        start();
    }

    void start() throws IOException {
        ServerConfig config = customize.apply(ServerConfig.builder()
                .pop3Listen(new InetSocketAddress("127.0.0.1", 0))
                .pop3sListen(new InetSocketAddress("127.0.0.1", 0))
                .hostname("test.invalid")
                .authFailureDelay(Duration.ZERO)
                .authFailureDelayMax(Duration.ZERO)
                .shutdownGrace(Duration.ofSeconds(5))).build();
        server = Pop3Server.start(config, ServerAuth.create(users, config, hashing, LoginCache.DEFAULT_TTL), store, data);
    }

    void restart() throws IOException {
        server.close();
        start();
    }

    int port() {
        return server.port();
    }

    int tlsPort() {
        return server.tlsPort();
    }

    TestServer user(String name, String password) throws IOException {
        users.add(name, PasswordSchemes.encode("PLAIN", password));
        return this;
    }

    TestServer userWithScheme(String name, String password, String scheme) throws IOException {
        users.add(name, PasswordSchemes.encode(scheme, password));
        return this;
    }

    TestServer deliver(String user, String message) throws Exception {
        return deliver(user, message.getBytes(StandardCharsets.UTF_8));
    }

    TestServer deliver(String user, byte[] message) throws Exception {
        store.deliver(dev.postoffice.storage.MailboxRef.of(user), dev.postoffice.storage.Envelope.none(), new ByteArrayInputStream(message));
        return this;
    }

    /**
     * Puts a message file straight into the user's Maildir/new, as other software (an MTA, a migration)
     * would: no size in the name, stored bytes exactly as given.
     */
    TestServer dropForeign(String user, String name, String message) throws IOException {
        Path md = data.resolve("home").resolve(user).resolve("Maildir");
        for (String sub : new String[] {"new", "cur", "tmp"}) {
            Files.createDirectories(md.resolve(sub));
        }
        Files.write(md.resolve("new").resolve(name), message.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** The files in the user's Maildir (new and cur), for checking nothing was lost. */
    long storedCount(String user) throws IOException {
        Path md = data.resolve("home").resolve(user).resolve("Maildir");
        long n = 0;
        for (String sub : new String[] {"new", "cur"}) {
            if (Files.isDirectory(md.resolve(sub))) {
                try (var s = Files.list(md.resolve(sub))) {
                    n += s.count();
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        server.close();
    }
}
