package dev.postoffice.client;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Delivery into a Maildir: the message is written to {@code tmp/KEY}, fsynced, renamed to {@code new/KEY}; the
 * {@code new/} directory is fsynced at {@link #sync} (once per batch). The key is derived from the account and the
 * UIDL, so a message that reached {@code new/} (or was since moved to {@code cur/KEY:2,FLAGS} by a mail reader)
 * before a crash is recognised by {@link #holds} and not delivered again.
 */
public final class MaildirTarget implements Target {
    private final Path root;
    private final boolean lineFeeds;
    private final Set<String> inCur = new HashSet<>();
    private boolean dirty;

    public MaildirTarget(Path root, boolean lineFeeds) throws IOException {
        this.root = root;
        this.lineFeeds = lineFeeds;
        for (String sub : new String[] {"tmp", "new", "cur"}) {
            Files.createDirectories(root.resolve(sub));
        }
        try (Stream<Path> s = Files.list(root.resolve("cur"))) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                int colon = n.indexOf(':');
                inCur.add(colon < 0 ? n : n.substring(0, colon));
            });
        }
    }

    @Override
    public boolean lineFeeds() {
        return lineFeeds;
    }

    @Override
    public boolean holds(String key) {
        return inCur.contains(key) || Files.exists(root.resolve("new").resolve(key));
    }

    @Override
    public Delivery begin(String key) throws IOException {
        Path tmp = root.resolve("tmp").resolve(key);
        FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        OutputStream stream = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
        return new Delivery() {
            @Override
            public OutputStream stream() {
                return stream;
            }

            @Override
            public void commit() throws IOException {
                stream.flush();
                channel.force(false);
                channel.close();
                CrashPoints.reach("file-written");
                Files.move(tmp, root.resolve("new").resolve(key), StandardCopyOption.ATOMIC_MOVE);
                dirty = true;
            }

            @Override
            public void abort() {
                try {
                    channel.close();
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a leftover in tmp/ is harmless: the next delivery of the key overwrites it
                }
            }
        };
    }

    @Override
    public void sync() throws IOException {
        if (dirty) {
            Durable.fsyncDirectory(root.resolve("new"));
            dirty = false;
        }
    }

    @Override
    public void close() throws IOException {
        sync();
    }
}
