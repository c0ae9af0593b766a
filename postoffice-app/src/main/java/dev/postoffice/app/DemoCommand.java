package dev.postoffice.app;

import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.storage.Envelope;
import dev.postoffice.storage.MailDelivery;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.StorageException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postoffice demo}: a server on 127.0.0.1 over a throwaway data directory with a demo user and a
 * dozen sample messages, and instructions to connect.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a demo server on 127.0.0.1 (port 1110 or the next free one) with sample mail.")
final class DemoCommand implements Callable<Integer> {
    static final String USER = "demo";
    private static final int FIRST_PORT = 1110;
    private static final int PORT_ATTEMPTS = 20;

    @Option(names = "--port", description = "First port to try (default: 1110).")
    int port = FIRST_PORT;

    @Option(names = "--keep", description = "Keep the data directory when the demo stops.")
    boolean keep;

    @Override
    public Integer call() throws IOException {
        Path dir = Files.createTempDirectory("postoffice-demo-");
        try {
            DataDir dataDir = new DataDir(dir).create();
            String password = randomPassword();
            // PLAIN so that APOP works too: curl, for one, uses APOP whenever the greeting offers it.
            // A throwaway demo secret is the one place a cleartext scheme is the right default.
            dataDir.users().add(USER, PasswordSchemes.encode("PLAIN", password));
            int messages;
            try (var store = dataDir.store()) {
                messages = deliverSamples(store);
            }
            Service server = bindFirstFree(dataDir);
            int p = server.port();
            int tls = server.tlsPort();
            System.out.printf("""

                    Postoffice demo is running on 127.0.0.1:%d (POP3, STLS) and 127.0.0.1:%d (POP3S)
                    with %d sample messages.

                      user:      %s
                      password:  %s
                      data:      %s%s

                    Try it:
                      curl -u %s:%s pop3://127.0.0.1:%d/          # list messages
                      curl -u %s:%s pop3://127.0.0.1:%d/1         # read message 1
                      curl -k -u %s:%s pop3s://127.0.0.1:%d/      # over TLS (self-signed certificate)
                      python3 -c "import poplib; p=poplib.POP3('127.0.0.1',%d); p.user('%s'); p.pass_('%s'); print(p.stat()); p.quit()"

                    Mail client (Thunderbird etc.): POP3 server 127.0.0.1, port %d, no encryption,
                    normal password, user name %s. Press Ctrl-C to stop.

                    """, p, tls, messages, USER, password, dir, keep ? "" : " (removed when the demo stops)",
                    USER, password, p, USER, password, p, USER, password, tls, p, USER, password, p, USER);
            System.out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Signals.onTermination(stop::countDown);
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server.close();
            return 0;
        } finally {
            if (!keep) {
                deleteTree(dir);
            }
        }
    }

    private Service bindFirstFree(DataDir dataDir) {
        UserError last = null;
        for (int p = port; p < port + PORT_ATTEMPTS && p + 885 <= 65535; p++) {
            try {
                ServerConfig cfg = ServerConfig.builder().hostname("localhost")
                        .pop3Listen(new InetSocketAddress("127.0.0.1", p))
                        .pop3sListen(new InetSocketAddress("127.0.0.1", p + 885)) // 1110 -> 1995
                        .authFailureDelay(java.time.Duration.ofSeconds(1)).build();
                return ServeCommand.start(cfg, dataDir);
            } catch (UserError e) {
                last = e;
            }
        }
        throw new UserError("no free port in " + port + ".." + (port + PORT_ATTEMPTS - 1) + ": "
                + (last == null ? "" : last.getMessage()), 69);
    }

    /** Delivers the bundled sample messages through the normal delivery path. */
    static int deliverSamples(MailDelivery store) throws IOException {
        List<String> names;
        try (InputStream index = resource("demo/index.txt")) {
            names = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8)).lines()
                    .map(String::trim).filter(s -> !s.isEmpty()).toList();
        }
        for (String name : names) {
            try (InputStream in = resource("demo/" + name)) {
                store.deliver(MailboxRef.of(USER), Envelope.none(), in);
            } catch (StorageException e) {
                throw new UserError("cannot store sample message " + name + ": " + e.getMessage(), 73);
            }
        }
        return names.size();
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = DemoCommand.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("missing resource " + name);
        }
        return in;
    }

    static String randomPassword() {
        String alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        SecureRandom r = new SecureRandom();
        StringBuilder b = new StringBuilder(16);
        for (int i = 0; i < 16; i++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    private static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("postoffice: could not remove " + dir + ": " + e.getMessage());
        }
    }
}
