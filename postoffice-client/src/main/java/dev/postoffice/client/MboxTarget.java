package dev.postoffice.client;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Delivery into an mbox file in the mboxrd format ({@code >From } quoting reversible), held under a dot-lock
 * ({@code FILE.lock}) and an fcntl lock for the whole fetch, as mail readers and MDAs expect. Each message starts
 * with an {@code X-Postoffice-Fetch-Id} header naming its key. {@link #sync} fsyncs the mbox and then records the
 * synced messages' keys and end offsets in {@code FILE.postoffice} (fsynced), so {@link #holds} knows them after a
 * crash; {@link #recorded} resets that file once the journal has them. An unrecorded tail left by a crash (a
 * partial message, or complete ones whose keys were never recorded) is cut off at the next open when it consists
 * of our messages only, and then delivered again once.
 */
public final class MboxTarget implements Target {
    private static final DateTimeFormatter FROM_DATE =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);
    static final String ID_HEADER = "X-Postoffice-Fetch-Id: ";

    private final Path file;
    private final Path sidecar;
    private final Path dotLock;
    private final boolean lineFeeds;
    private final FileChannel channel;
    private final FileLock lock;
    private final Set<String> recordedKeys = new HashSet<>();
    private final List<String> unsynced = new ArrayList<>();
    private final List<Long> unsyncedEnds = new ArrayList<>();

    public MboxTarget(Path file, boolean lineFeeds) throws IOException {
        this.file = file;
        this.sidecar = Path.of(file + ".postoffice");
        this.dotLock = Path.of(file + ".lock");
        this.lineFeeds = lineFeeds;
        dotLock();
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            lock = channel.lock();
            recover();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(dotLock);
            throw e;
        }
    }

    private void dotLock() throws IOException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try {
                Files.writeString(dotLock, ProcessHandle.current().pid() + "\n", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return;
            } catch (FileAlreadyExistsException e) {
                try {
                    if (System.currentTimeMillis() - Files.getLastModifiedTime(dotLock).toMillis() > 300_000) {
                        Files.deleteIfExists(dotLock); // stale: older than 5 minutes, as procmail's lockfile does
                        continue;
                    }
                } catch (IOException gone) {
                    continue;
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the mbox " + file + " is locked (" + dotLock + ")");
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the mbox lock");
                }
            }
        }
    }

    /** Reads the sidecar; cuts off an unrecorded tail that is ours alone. */
    private void recover() throws IOException {
        long cleanEnd = -1;
        if (Files.exists(sidecar)) {
            for (String line : Files.readAllLines(sidecar, StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length == 2 && f[0].equals("S")) {
                    cleanEnd = Long.parseLong(f[1]);
                } else if (f.length == 3 && f[0].equals("C")) {
                    recordedKeys.add(f[1]);
                    cleanEnd = Math.max(cleanEnd, Long.parseLong(f[2]));
                }
            }
        }
        long size = channel.size();
        if (cleanEnd >= 0 && size > cleanEnd && tailIsOurs(cleanEnd, size)) {
            channel.truncate(cleanEnd);
            channel.force(true);
            size = cleanEnd;
        }
        if (cleanEnd < 0) {
            writeSidecar("S " + size + "\n");
        }
    }

    /** Whether every message in {@code [from, to)} carries our id header (an interrupted fetch's own output). */
    private boolean tailIsOurs(long from, long to) throws IOException {
        if (to - from > 256L * 1024 * 1024) {
            return false;
        }
        ByteBuffer b = ByteBuffer.allocate((int) (to - from));
        channel.read(b, from);
        String tail = new String(b.array(), StandardCharsets.ISO_8859_1);
        if (!tail.startsWith("From ")) {
            return false;
        }
        int messages = 0;
        int ours = 0;
        for (int i = 0; i >= 0; i = tail.indexOf("\nFrom ", i + 1)) {
            int start = i == 0 ? 0 : i + 1;
            messages++;
            int lineEnd = tail.indexOf('\n', start);
            if (lineEnd < 0 || tail.startsWith(ID_HEADER, lineEnd + 1)) {
                ours++;
            }
        }
        return messages == ours;
    }

    @Override
    public boolean lineFeeds() {
        return lineFeeds;
    }

    @Override
    public boolean holds(String key) {
        return recordedKeys.contains(key);
    }

    @Override
    public Delivery begin(String key) throws IOException {
        long start = channel.size();
        channel.position(start);
        OutputStream raw = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
        String eol = lineFeeds ? "\n" : "\r\n";
        raw.write(("From MAILER-DAEMON " + FROM_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)) + eol
                + ID_HEADER + key + eol).getBytes(StandardCharsets.US_ASCII));
        FromQuoting quoted = new FromQuoting(raw);
        return new Delivery() {
            @Override
            public OutputStream stream() {
                return quoted;
            }

            @Override
            public void commit() throws IOException {
                quoted.finish(eol);
                raw.flush();
                unsynced.add(key);
                unsyncedEnds.add(channel.position());
            }

            @Override
            public void abort() {
                try {
                    channel.truncate(start);
                } catch (IOException ignored) {
                    // the next open cuts off an unrecorded tail of ours
                }
            }
        };
    }

    @Override
    public void sync() throws IOException {
        if (unsynced.isEmpty()) {
            return;
        }
        channel.force(false);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < unsynced.size(); i++) {
            sb.append("C ").append(unsynced.get(i)).append(' ').append(unsyncedEnds.get(i)).append('\n');
            recordedKeys.add(unsynced.get(i));
        }
        try (FileChannel c = FileChannel.open(sidecar, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            c.write(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
            c.force(false);
        }
        unsynced.clear();
        unsyncedEnds.clear();
    }

    @Override
    public void recorded() throws IOException {
        writeSidecar("S " + channel.size() + "\n");
        recordedKeys.clear();
    }

    private void writeSidecar(String content) throws IOException {
        Path tmp = Path.of(sidecar + ".tmp");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            c.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
            c.force(false);
        }
        Files.move(tmp, sidecar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Durable.fsyncDirectory(sidecar.toAbsolutePath().getParent());
    }

    @Override
    public void close() throws IOException {
        try {
            sync();
        } finally {
            lock.release();
            channel.close();
            Files.deleteIfExists(dotLock);
        }
    }

    /** mboxrd: a line matching {@code >*From } gets one more {@code >}; ends the message with a blank line. */
    static final class FromQuoting extends OutputStream {
        private static final byte[] FROM = "From ".getBytes(StandardCharsets.US_ASCII);
        private final OutputStream out;
        private final byte[] pending = new byte[1024];
        private int pendingLength;
        private boolean lineStart = true;
        private boolean atEnd = true;

        FromQuoting(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            atEnd = b == '\n';
            if (!lineStart) {
                out.write(b);
                lineStart = b == '\n';
                return;
            }
            int gts = 0;
            while (gts < pendingLength && pending[gts] == '>') {
                gts++;
            }
            int fromIndex = pendingLength - gts;
            boolean stillPossible = (b == '>' && fromIndex == 0) || (fromIndex < FROM.length && FROM[fromIndex] == b);
            if (!stillPossible || pendingLength == pending.length) {
                out.write(pending, 0, pendingLength);
                pendingLength = 0;
                out.write(b);
                lineStart = b == '\n';
                return;
            }
            pending[pendingLength++] = (byte) b;
            if (fromIndex + 1 == FROM.length) {
                out.write('>');
                out.write(pending, 0, pendingLength);
                pendingLength = 0;
                lineStart = false;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int end = off + len;
            int i = off;
            while (i < end) {
                if (lineStart) {
                    write(b[i++]);
                    continue;
                }
                int lf = i;
                while (lf < end && b[lf] != '\n') {
                    lf++;
                }
                if (lf < end) {
                    out.write(b, i, lf + 1 - i);
                    lineStart = true;
                    atEnd = true;
                    i = lf + 1;
                } else {
                    out.write(b, i, end - i);
                    atEnd = false;
                    i = end;
                }
            }
        }

        void finish(String eol) throws IOException {
            out.write(pending, 0, pendingLength);
            pendingLength = 0;
            if (!atEnd) {
                out.write(eol.getBytes(StandardCharsets.US_ASCII));
            }
            out.write(eol.getBytes(StandardCharsets.US_ASCII));
        }
    }
}
