package dev.postoffice.client;

import dev.postoffice.protocol.client.ReplyReader;
import dev.postoffice.protocol.client.StatusLine;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * One account's fetch, in the order that never loses a message and never delivers one twice: for each message,
 * RETR streamed into the target and committed (Maildir: tmp/, fsync, rename); per batch, the target synced (the
 * directory fsync) and then the UIDLs appended to the fsynced state journal; then DELE for everything recorded;
 * then QUIT. A crash before the journal write leaves the message in place under a name derived from (account,
 * UIDL), which the next run recognises; a crash after it leaves only a DELE to redo. RETRs are pipelined (a
 * window of {@value #PIPELINE_WINDOW} with PIPELINING, {@value #SMALL_WINDOW} without).
 */
public final class Fetcher {
    static final int PIPELINE_WINDOW = 64;
    static final int SMALL_WINDOW = 4;

    /** Progress reports, once per message. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total, long bytes, long totalBytes);
    }

    private final PopUrl url;
    private final ConnectOptions connect;
    private final FetchOptions options;
    private final Clock clock;

    public Fetcher(PopUrl url, ConnectOptions connect, FetchOptions options, Clock clock) {
        this.url = url;
        this.connect = connect;
        this.options = options;
        this.clock = clock;
    }

    /** A listed message: number, size, and the identity the state uses. */
    record Listed(int number, long size, String uid) {}

    /**
     * Fetches into {@code target}, with the state journal at {@code stateFile}.
     *
     * @param secret the password or token (asked for only once the server is reached, and only by a method that
     *               needs one)
     */
    public FetchResult fetch(Target target, Path stateFile, SecretSource secret, Progress progress) throws FetchException {
        try (StateJournal journal = StateJournal.open(stateFile);
                Pop3Client client = Pop3Client.connect(url, connect)) {
            String login = client.login(secret);
            return new Session(client, journal, target, progress, login).run();
        } catch (IOException e) {
            throw new FetchException(true, "connection to " + url.host() + ":" + url.port() + " failed: " + e.getMessage(), e);
        }
    }

    /** Where the password comes from; read only when it is needed. */
    @FunctionalInterface
    public interface SecretSource {
        String get() throws FetchException;
    }

    /** The key of a message in the target: derived from the account and the UIDL only. */
    String keyOf(String uid) {
        return "pofetch." + sha256Hex(url.account() + "\n" + uid).substring(0, 40);
    }

    /** The key of the note about a message too large: derived from the account and the UIDL too. */
    String noteKeyOf(String uid) {
        return "pofetch-note." + sha256Hex(url.account() + "\n" + uid).substring(0, 40);
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private final class Session {
        private final Pop3Client client;
        private final ReplyReader in;
        private final StateJournal journal;
        private final Target target;
        private final Progress progress;
        private final String login;
        private final int window;
        private final List<String> unjournaled = new ArrayList<>();
        private final List<String> unjournaledNotes = new ArrayList<>();
        private String uidlNote = "";
        private int fetched;
        private long bytes;
        private int failed;

        Session(Pop3Client client, StateJournal journal, Target target, Progress progress, String login) {
            this.client = client;
            this.in = client.reader();
            this.journal = journal;
            this.target = target;
            this.progress = progress;
            this.login = login;
            this.window = client.has("PIPELINING") ? PIPELINE_WINDOW : SMALL_WINDOW;
        }

        FetchResult run() throws IOException, FetchException {
            List<Listed> listed = list();
            long now = clock.instant().getEpochSecond();
            Map<String, Long> known = journal.retrieved();
            List<Listed> toFetch = new ArrayList<>();
            List<Listed> toDelete = new ArrayList<>();
            List<String> recovered = new ArrayList<>();
            List<Listed> toNote = new ArrayList<>();
            List<String> notesInPlace = new ArrayList<>();
            int tooLarge = 0;
            for (Listed m : listed) {
                Long when = options.all() ? null : known.get(m.uid());
                if (when != null) {
                    if (!options.keep() || (options.keepFor() != null && now - when >= options.keepFor().toSeconds())) {
                        toDelete.add(m);
                    }
                } else if (options.maxSize().isPresent() && m.size() > options.maxSize().getAsLong()) {
                    tooLarge++; // never deleted: it was not downloaded
                    if (journal.noted().containsKey(m.uid())) {
                        continue; // noted by an earlier run, even with --all: one note per message
                    }
                    if (target.holds(noteKeyOf(m.uid()))) {
                        notesInPlace.add(m.uid()); // noted by a run that died before its journal write
                    } else {
                        toNote.add(m);
                    }
                } else if (!options.all() && target.holds(keyOf(m.uid()))) {
                    recovered.add(m.uid()); // delivered by a run that died before its journal write
                    if (!options.keep()) {
                        toDelete.add(m);
                    }
                } else {
                    toFetch.add(m);
                }
            }
            journal.append(recovered, notesInPlace, now);
            target.recorded();
            try {
                note(toNote);
                retrieve(toFetch, toDelete);
            } finally {
                durable(); // what is in place is recorded even when the connection broke
            }
            int deleted = delete(toDelete);
            StatusLine quit;
            CrashPoints.reach("quit");
            quit = client.quit();
            if (!quit.ok()) {
                throw new FetchException(true, "the server could not complete the session (nothing was deleted): " + quit.text());
            }
            compact(listed, toDelete);
            return new FetchResult(fetched, bytes, recovered.size(), deleted, tooLarge, toNote.size(), failed, listed.size(),
                    login, uidlNote);
        }

        /** UIDL and LIST, pipelined; identities checked, with a header digest for those the server got wrong. */
        private List<Listed> list() throws IOException, FetchException {
            client.send("UIDL", false);
            client.send("LIST");
            StatusLine uidl = in.status();
            Map<Integer, String> uids = new HashMap<>();
            Map<String, Integer> seen = new HashMap<>();
            boolean badUidls = false;
            if (uidl.ok()) {
                for (String line = in.line(); !line.equals("."); line = in.line()) {
                    String[] f = line.strip().split("\\s+");
                    if (f.length != 2 || !Uidls.isValid(f[1]) || seen.merge(f[1], 1, Integer::sum) > 1) {
                        badUidls = true;
                        continue;
                    }
                    uids.put(parseNumber(f[0]), f[1]);
                }
            }
            StatusLine list = in.status();
            if (!list.ok()) {
                throw new FetchException(true, "LIST failed: " + list.text());
            }
            List<Listed> out = new ArrayList<>();
            for (String line = in.line(); !line.equals("."); line = in.line()) {
                String[] f = line.strip().split("\\s+");
                if (f.length < 2) {
                    throw new FetchException(true, "the server's LIST line is malformed");
                }
                out.add(new Listed(parseNumber(f[0]), parseSize(f[1]), null));
            }
            List<Listed> missing = new ArrayList<>();
            List<Listed> result = new ArrayList<>(out.size());
            for (Listed m : out) {
                String u = uids.get(m.number());
                if (u == null || seen.getOrDefault(u, 0) > 1) {
                    missing.add(m);
                }
                result.add(new Listed(m.number(), m.size(), u == null || seen.getOrDefault(u, 0) > 1 ? null : u));
            }
            if (!missing.isEmpty()) {
                uidlNote = !uidl.ok() ? "the server has no UIDL: messages identified by a digest of their headers"
                        : missing.size() + " message(s) with a missing, invalid or duplicate UIDL identified by a digest of their headers";
                Map<Integer, String> digests = headerDigests(missing);
                result.replaceAll(m -> m.uid() != null ? m : new Listed(m.number(), m.size(), digests.get(m.number())));
            }
            if (badUidls && missing.isEmpty()) {
                uidlNote = "the server sent malformed UIDL lines";
            }
            return result;
        }

        private Map<Integer, String> headerDigests(List<Listed> missing) throws IOException, FetchException {
            Map<Integer, String> out = new HashMap<>();
            Map<String, Integer> counts = new HashMap<>();
            Map<Integer, byte[]> sections = headers(missing);
            for (Listed m : missing) {
                byte[] h = sections.get(m.number());
                if (h == null) {
                    throw new FetchException(true, "TOP " + m.number() + " 0 failed, so message " + m.number()
                            + " cannot be identified without a UIDL");
                }
                String d = "~H" + sha256Hex(new String(h, StandardCharsets.ISO_8859_1)).substring(0, 40);
                int n = counts.merge(d, 1, Integer::sum);
                out.put(m.number(), n == 1 ? d : d + "-" + n);
            }
            return out;
        }

        /** {@code TOP n 0} for each message, pipelined: header sections (CRLF), null where the server refused. */
        private Map<Integer, byte[]> headers(List<Listed> messages) throws IOException {
            Map<Integer, byte[]> out = new HashMap<>();
            for (int i = 0; i < messages.size(); i += window) {
                List<Listed> part = messages.subList(i, Math.min(messages.size(), i + window));
                for (Listed m : part) {
                    client.send("TOP " + m.number() + " 0", false);
                }
                client.flush();
                for (Listed m : part) {
                    byte[] h = null;
                    if (in.status().ok()) {
                        java.io.ByteArrayOutputStream section = new java.io.ByteArrayOutputStream();
                        in.body(section, false);
                        h = section.toByteArray();
                    }
                    out.put(m.number(), h);
                }
            }
            return out;
        }

        /**
         * For each message too large and not noted yet: its headers with {@code TOP n 0} (pipelined), and a note
         * built from them delivered to the target, to be journaled with the next batch. The message stays on the
         * server.
         */
        private void note(List<Listed> toNote) throws IOException {
            Map<Integer, byte[]> sections = headers(toNote);
            for (Listed m : toNote) {
                byte[] note = TooLargeNote.build(url, m.uid(), m.size(), options.maxSize().getAsLong(),
                        sections.get(m.number()), clock.instant().atZone(java.time.ZoneOffset.UTC), target.lineFeeds());
                Target.Delivery d = target.begin(noteKeyOf(m.uid()));
                try {
                    d.stream().write(note);
                    d.commit();
                } catch (IOException | RuntimeException e) {
                    d.abort();
                    throw e;
                }
                unjournaledNotes.add(m.uid());
            }
        }

        private void retrieve(List<Listed> toFetch, List<Listed> toDelete) throws IOException {
            long totalBytes = toFetch.stream().mapToLong(Listed::size).sum();
            int sent = 0;
            for (int done = 0; done < toFetch.size(); done++) {
                while (sent < toFetch.size() && sent < done + window) {
                    client.send("RETR " + toFetch.get(sent).number(), false);
                    sent++;
                }
                client.flush();
                Listed m = toFetch.get(done);
                StatusLine r = in.status();
                if (!r.ok()) {
                    failed++; // gone or unreadable on the server: it stays there, and in no state
                    continue;
                }
                Target.Delivery d = target.begin(keyOf(m.uid()));
                try {
                    bytes += in.body(CrashPoints.armed("retr") ? new HaltAfterWrite(d.stream()) : d.stream(), target.lineFeeds());
                    d.commit();
                } catch (IOException | RuntimeException e) {
                    d.abort();
                    throw e;
                }
                CrashPoints.reach("committed");
                fetched++;
                unjournaled.add(m.uid());
                if (!options.keep()) {
                    toDelete.add(m);
                }
                if (unjournaled.size() >= options.batch()) {
                    durable();
                }
                if (progress != null) {
                    progress.update(done + 1, toFetch.size(), bytes, totalBytes);
                }
            }
        }

        /** The batch's files durable (directory fsync), then recorded in the journal. */
        private void durable() throws IOException {
            if (unjournaled.isEmpty() && unjournaledNotes.isEmpty()) {
                return;
            }
            target.sync();
            journal.append(unjournaled, unjournaledNotes, clock.instant().getEpochSecond());
            unjournaled.clear();
            unjournaledNotes.clear();
            target.recorded();
            CrashPoints.reach("journal");
        }

        private int delete(List<Listed> toDelete) throws IOException {
            int ok = 0;
            for (int i = 0; i < toDelete.size(); i += window) {
                List<Listed> part = toDelete.subList(i, Math.min(toDelete.size(), i + window));
                for (Listed m : part) {
                    client.send("DELE " + m.number(), false);
                }
                client.flush();
                for (int k = 0; k < part.size(); k++) {
                    if (in.status().ok()) {
                        ok++;
                    }
                }
                CrashPoints.reach("dele");
            }
            return ok;
        }

        /** After QUIT: forget messages no longer on the server. */
        private void compact(List<Listed> listed, List<Listed> deleted) throws IOException {
            Map<String, Long> live = new HashMap<>();
            Map<String, Long> liveNoted = new HashMap<>();
            Map<String, Long> known = journal.retrieved();
            Map<String, Long> noted = journal.noted();
            java.util.Set<String> gone = new java.util.HashSet<>();
            deleted.forEach(m -> gone.add(m.uid()));
            for (Listed m : listed) {
                Long t = known.get(m.uid());
                if (t != null && !gone.contains(m.uid())) {
                    live.put(m.uid(), t);
                }
                Long n = noted.get(m.uid());
                if (n != null && t == null) {
                    liveNoted.put(m.uid(), n); // a note is forgotten once its message is downloaded or gone
                }
            }
            if (live.size() != known.size() || liveNoted.size() != noted.size()) {
                journal.compact(live, liveNoted);
            }
        }
    }

    private static int parseNumber(String s) throws FetchException {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new FetchException(true, "the server sent a malformed message number");
        }
    }

    private static long parseSize(String s) throws FetchException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new FetchException(true, "the server sent a malformed message size in LIST");
        }
    }

    /** Test hook: SIGKILL in the middle of a message, after its first octets reached the file. */
    private static final class HaltAfterWrite extends FilterOutputStream {
        HaltAfterWrite(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            out.flush();
            CrashPoints.reach("retr");
        }
    }
}
