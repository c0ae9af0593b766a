package dev.postoffice.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one account has already delivered: an append-only journal of {@code R <epoch-seconds> <uidl>} lines after a
 * header line, each batch fsynced before the server is told to delete anything; {@code N <epoch-seconds> <uidl>}
 * lines record the messages left on the server as too large whose note was delivered (so it is sent once). A line torn by a crash is cut off
 * when the journal is opened (it was never fsynced, so nothing was deleted on its strength). The journal is
 * rewritten (compacted) atomically: a new file is written and fsynced, renamed over the old one, and the directory
 * fsynced. A lock on {@code FILE.lock} (held until {@link #close}) keeps two fetches of one account apart.
 */
public final class StateJournal implements AutoCloseable {
    static final String HEADER = "postoffice-fetch-state 1";

    private final Path file;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, Long> retrieved = new LinkedHashMap<>();
    private final Map<String, Long> noted = new LinkedHashMap<>();
    private FileChannel journal;

    private StateJournal(Path file, FileChannel lockChannel, FileLock lock) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Locks and reads the journal, creating it if needed.
     *
     * @throws FetchException temporary when another fetch of the account holds the lock; permanent when the file
     *                        is not a state journal or cannot be written
     */
    public static StateJournal open(Path file) throws FetchException {
        FileChannel lc = null;
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            lc = FileChannel.open(Path.of(file + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = lc.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                lc.close();
                throw new FetchException(true, "another fetch of this account is running (lock " + file + ".lock)");
            }
            StateJournal j = new StateJournal(file, lc, l);
            try {
                j.load();
            } catch (IOException | FetchException | RuntimeException e) {
                j.close();
                throw e;
            }
            return j;
        } catch (IOException e) {
            closeQuietly(lc);
            throw new FetchException(false, "cannot use the state file " + file + ": " + e.getMessage(), e);
        }
    }

    private void load() throws IOException, FetchException {
        if (!Files.exists(file)) {
            rewrite(Map.of());
            return;
        }
        byte[] bytes = Files.readAllBytes(file);
        int lastLf = -1;
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                lastLf = i;
                break;
            }
        }
        String text = new String(bytes, 0, lastLf + 1, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        if (lastLf < 0 || !lines[0].equals(HEADER)) {
            if (bytes.length == 0 || lastLf < 0 && HEADER.startsWith(new String(bytes, StandardCharsets.UTF_8))) {
                rewrite(Map.of()); // a crash while the header of a new journal was written
                return;
            }
            throw new FetchException(false, file + " is not a postoffice fetch state file");
        }
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            if (f.length != 3 || !(f[0].equals("R") || f[0].equals("N")) || !Uidls.isValid(f[2])) {
                throw new FetchException(false, file + " line " + (i + 1) + " is damaged; refusing to guess what was fetched");
            }
            try {
                (f[0].equals("R") ? retrieved : noted).putIfAbsent(f[2], Long.parseLong(f[1]));
            } catch (NumberFormatException e) {
                throw new FetchException(false, file + " line " + (i + 1) + " is damaged; refusing to guess what was fetched");
            }
        }
        journal = FileChannel.open(file, StandardOpenOption.WRITE);
        if (lastLf + 1 < bytes.length) {
            journal.truncate(lastLf + 1); // a torn, never-fsynced tail
            journal.force(false);
        }
        journal.position(lastLf + 1);
    }

    /** UIDLs delivered, with the time of their delivery (epoch seconds). */
    public Map<String, Long> retrieved() {
        return retrieved;
    }

    /** UIDLs of messages left on the server as too large whose note was delivered, with the note's time. */
    public Map<String, Long> noted() {
        return noted;
    }

    /** Records delivered messages and fsyncs; on return they survive any crash. */
    public void append(Collection<String> uidls, long epochSeconds) throws IOException {
        append(uidls, java.util.List.of(), epochSeconds);
    }

    /** Records delivered messages and delivered notes (of messages too large) in one fsynced write. */
    public void append(Collection<String> uidls, Collection<String> notes, long epochSeconds) throws IOException {
        if (uidls.isEmpty() && notes.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder((uidls.size() + notes.size()) * 40);
        for (String u : uidls) {
            sb.append("R ").append(epochSeconds).append(' ').append(u).append('\n');
            retrieved.putIfAbsent(u, epochSeconds);
        }
        for (String u : notes) {
            sb.append("N ").append(epochSeconds).append(' ').append(u).append('\n');
            noted.putIfAbsent(u, epochSeconds);
        }
        ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            journal.write(b);
        }
        journal.force(false);
    }

    /**
     * Keeps only {@code live} (UIDLs still on the server, with their delivery times), atomically. Called after a
     * complete session, when the server's list is known: entries of messages gone from the server are dropped.
     */
    public void compact(Map<String, Long> live) throws IOException {
        compact(live, Map.of());
    }

    /** As {@link #compact(Map)}, keeping the notes of {@code liveNoted} too. */
    public void compact(Map<String, Long> live, Map<String, Long> liveNoted) throws IOException {
        retrieved.keySet().retainAll(live.keySet());
        noted.keySet().retainAll(liveNoted.keySet());
        rewrite(Map.copyOf(retrieved), Map.copyOf(noted));
    }

    private void rewrite(Map<String, Long> entries) throws IOException {
        rewrite(entries, Map.of());
    }

    private void rewrite(Map<String, Long> entries, Map<String, Long> notes) throws IOException {
        Path tmp = Path.of(file + ".tmp");
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        entries.forEach((u, t) -> sb.append("R ").append(t).append(' ').append(u).append('\n'));
        notes.forEach((u, t) -> sb.append("N ").append(t).append(' ').append(u).append('\n'));
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                c.write(b);
            }
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Durable.fsyncDirectory(file.toAbsolutePath().getParent());
        closeQuietly(journal);
        journal = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    @Override
    public void close() {
        closeQuietly(journal);
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it anyway
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
