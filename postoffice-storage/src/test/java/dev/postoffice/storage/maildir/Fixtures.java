package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.StoredMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Helpers for tests that work on real Maildirs. */
final class Fixtures {
    static final String USER = "alice";

    private Fixtures() {}

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static InputStream input(String s) {
        return new ByteArrayInputStream(bytes(s));
    }

    /** The Maildir of {@link #USER} under a data directory, with new/, cur/ and tmp/ created. */
    static Path maildir(Path dataDir) throws IOException {
        Path maildir = dataDir.resolve("home").resolve(USER).resolve("Maildir");
        for (String sub : List.of("new", "cur", "tmp")) {
            Files.createDirectories(maildir.resolve(sub));
        }
        return maildir;
    }

    /** A Maildir's directories, created if missing, opened as a session would (close them after). */
    static MaildirDirs open(Path maildir) throws IOException {
        for (String sub : List.of("new", "cur", "tmp")) {
            Files.createDirectories(maildir.resolve(sub));
        }
        try {
            return MaildirDirs.open(maildir, MaildirGuard.check(maildir, java.util.Optional.empty()));
        } catch (dev.postoffice.storage.StorageException e) {
            throw new IOException(e);
        }
    }

    /** Writes a message file as other software would, returning its path. */
    static Path put(Path maildir, String subdir, String name, String content) throws IOException {
        return Files.write(maildir.resolve(subdir).resolve(name), bytes(content));
    }

    /** The canonical size as {@link MessageFormat} defines it (final CRLF included when missing). */
    static long canonical(String content) {
        return MessageFormat.canonicalSize(bytes(content));
    }

    /**
     * What Dovecot writes as W=: the file size with every bare LF counted as CRLF, without a final CRLF
     * for a message that lacks one. Computed independently of {@link MessageFormat}.
     */
    static long dovecotVirtualSize(String content) {
        long size = content.length();
        for (int i = 0; i < content.length(); i++) {
            if (content.charAt(i) == '\n' && (i == 0 || content.charAt(i - 1) != '\r')) {
                size++;
            }
        }
        return size;
    }

    static String read(Maildrop maildrop, StoredMessage m) throws IOException {
        try (InputStream in = maildrop.body(m).open()) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    static StoredMessage byId(Maildrop maildrop, String id) {
        return maildrop.messages().stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A body stored in canonical form, opened as a channel: the old {@code openCanonical} view, for these tests. */
    record CanonicalFile(java.nio.channels.FileChannel file, boolean dotLines) {}

    /** The message's channel and whether it needs byte-stuffing, or empty (the body closed) when not canonical. */
    static java.util.Optional<CanonicalFile> openCanonical(dev.postoffice.storage.Maildrop m,
            dev.postoffice.storage.StoredMessage message) throws java.io.IOException {
        dev.postoffice.message.MessageBody body = m.body(message);
        java.util.Optional<java.nio.channels.FileChannel> channel = body.openChannel();
        if (channel.isEmpty()) {
            body.open().close();
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new CanonicalFile(channel.get(),
                body.form() == dev.postoffice.message.MessageForm.DOTTED));
    }
}
