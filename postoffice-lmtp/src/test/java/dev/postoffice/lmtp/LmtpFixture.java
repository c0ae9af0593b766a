package dev.postoffice.lmtp;

import dev.postoffice.auth.PasswdFile;
import dev.postoffice.message.MessageBody;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import dev.postoffice.storage.maildir.MaildirStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** A data directory with users, a Maildir store and an LMTP server on an ephemeral loopback port. */
final class LmtpFixture implements AutoCloseable {
    final Path dir;
    final MaildirStore store;
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    LmtpServer server;

    /** @param users passwd-file lines */
    LmtpFixture(Path dir, String... users) throws IOException {
        this.dir = dir;
        Files.writeString(dir.resolve("users"), String.join("\n", users) + "\n");
        this.store = new MaildirStore(dir);
    }

    LmtpFixture start(LmtpConfig config) throws IOException {
        return start(config, null);
    }

    LmtpFixture start(LmtpConfig config, LmtpServer.TlsUpgrade tls) throws IOException {
        server = LmtpServer.listen(new InetSocketAddress("127.0.0.1", 0), config, new PasswdFile(dir.resolve("users")),
                store, a -> false, tls, scheduler);
        return this;
    }

    LmtpConfig config() {
        return LmtpConfig.defaults("lmtp.test", dir.resolve("spool"));
    }

    int port() {
        return server.port();
    }

    /** The canonical texts of a user's messages, oldest first. */
    List<String> messages(String user) throws Exception {
        List<String> out = new ArrayList<>();
        try (Maildrop drop = store.open(MailboxRef.of(user))) {
            for (StoredMessage m : drop.messages()) {
                MessageBody body = drop.body(m);
                try (InputStream in = body.open()) {
                    out.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } finally {
                    body.close();
                }
            }
        }
        return out;
    }

    /** The message after the trace headers this server added (Return-Path, Delivered-To, Received). */
    static String withoutTrace(String stored) {
        int received = stored.indexOf("Received: ");
        int end = stored.indexOf("\r\n", stored.indexOf("; ", received));
        return stored.substring(end + 2);
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        store.close();
        scheduler.shutdownNow();
    }
}
