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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Delivery into a Maildir: the message is written to {@code tmp/KEY} and fsynced; at {@link #sync} (once per batch)
 * every fsynced file of the batch is renamed to {@code new/KEY} and the {@code new/} directory fsynced. The fsyncs
 * run on a few background threads while the next messages download: concurrent fsyncs share the file system's
 * journal commits (ext4's jbd2 commits them together), which is what makes a batch cheaper than one fsync after
 * another, with the same guarantee (no rename before its file is durable). The key is derived from the account
 * and the UIDL, so a message that reached {@code new/} (or was since moved to {@code cur/KEY:2,FLAGS} by a mail
 * reader) before a crash is recognised by {@link #holds} and not delivered again.
 */
public final class MaildirTarget implements Target {
    private final Path root;
    private final boolean lineFeeds;
    private final Set<String> inCur = new HashSet<>();
    private final ExecutorService fsyncs = Executors.newFixedThreadPool(FSYNC_THREADS, r -> {
        Thread t = new Thread(r, "maildir-fsync");
        t.setDaemon(true);
        return t;
    });
    private final List<Pending> pending = new ArrayList<>();

    /** Concurrent fsyncs: enough for the file system to group their commits, few enough to stay polite. */
    static final int FSYNC_THREADS = 8;

    private record Pending(Path tmp, String key, Future<?> fsync) {}

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
                pending.add(new Pending(tmp, key, fsyncs.submit(() -> {
                    try (channel) {
                        channel.force(false);
                    }
                    return null;
                })));
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
        if (pending.isEmpty()) {
            return;
        }
        try {
            for (Pending p : pending) {
                await(p.fsync());
                CrashPoints.reach("file-written");
            }
            for (Pending p : pending) {
                Files.move(p.tmp(), root.resolve("new").resolve(p.key()), StandardCopyOption.ATOMIC_MOVE);
                CrashPoints.reach("delivered");
            }
        } finally {
            pending.clear(); // on failure the files stay in tmp/ and are downloaded again
        }
        Durable.fsyncDirectory(root.resolve("new"));
    }

    private static void await(Future<?> f) throws IOException {
        try {
            f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for an fsync");
        }
    }

    @Override
    public void close() throws IOException {
        try {
            sync();
        } finally {
            fsyncs.shutdownNow();
        }
    }
}
