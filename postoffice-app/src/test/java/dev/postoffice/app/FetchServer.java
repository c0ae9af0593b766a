package dev.postoffice.app;

import dev.postoffice.auth.HashExecutor;
import dev.postoffice.auth.LoginCache;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.auth.ServerAuth;
import dev.postoffice.server.listen.Pop3Server;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.maildir.MaildirStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** A real Postoffice server on loopback ports over a Maildir data directory: what the client fetches from. */
final class FetchServer implements AutoCloseable {
    private static final HashExecutor HASHING = new HashExecutor();

    final Path data;
    final PasswdFile users;
    final MaildirStore store;
    final Pop3Server server;

    FetchServer(Path data) throws IOException {
        this(data, UnaryOperator.identity());
    }

    FetchServer(Path data, UnaryOperator<ServerConfig.Builder> customize) throws IOException {
        this.data = data;
        this.users = new PasswdFile(data.resolve("users"));
        this.store = new MaildirStore(data);
        ServerConfig config = customize.apply(ServerConfig.builder()
                .pop3Listen(new InetSocketAddress("127.0.0.1", 0))
                .pop3sListen(new InetSocketAddress("127.0.0.1", 0))
                .hostname("test.invalid")
                .authFailureDelay(Duration.ZERO)
                .authFailureDelayMax(Duration.ZERO)
                .shutdownGrace(Duration.ofSeconds(5))).build();
        server = Pop3Server.start(config, ServerAuth.create(users, config, HASHING, LoginCache.DEFAULT_TTL), store, data);
    }

    FetchServer user(String name, String password) throws IOException {
        users.add(name, PasswordSchemes.encode("PLAIN", password));
        return this;
    }

    FetchServer deliver(String user, byte[] message) throws Exception {
        store.deliver(MailboxRef.of(user), Envelope.none(), new ByteArrayInputStream(message));
        return this;
    }

    /** Messages the user's Maildir holds (new and cur). */
    long stored(String user) throws IOException {
        Path md = data.resolve("home").resolve(user).resolve("Maildir");
        long n = 0;
        for (String sub : new String[] {"new", "cur"}) {
            if (Files.isDirectory(md.resolve(sub))) {
                try (Stream<Path> s = Files.list(md.resolve(sub))) {
                    n += s.count();
                }
            }
        }
        return n;
    }

    Path certificate() {
        return data.resolve("tls").resolve("cert.pem");
    }

    String url(String user) {
        return "pop3://" + user + "@127.0.0.1:" + server.port() + "/";
    }

    @Override
    public void close() {
        server.close();
    }
}
