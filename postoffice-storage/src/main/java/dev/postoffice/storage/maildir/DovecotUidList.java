package dev.postoffice.storage.maildir;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dovecot's {@value #FILE_NAME}, read only (it is never written here, so Dovecot may keep serving the Maildir): the
 * header ({@code 3 V<uidvalidity> N<nextuid> G<guid> ...}, or version 1's {@code 1 <uidvalidity> <nextuid>}), then
 * one {@code <uid> [<ext> ...] :<file name>} line per message (version 1: {@code <uid> <file name>}). The extensions
 * kept are {@code P} (a saved POP3 UIDL; empty means the base name), {@code O} (a saved POP3 order) and {@code G}
 * (the message GUID). Records are keyed by base name (the file name before {@code :}), as Dovecot matches them, so a
 * message moved from {@code new/} to {@code cur/} or given flags is still found. A line that is not a record is
 * skipped with a warning; a header that cannot be read makes the whole file unusable (null, with a warning).
 */
final class DovecotUidList {
    static final String FILE_NAME = "dovecot-uidlist";
    /**
     * Octets allowed per message listed (and for 1,000 more: records of messages expunged since Dovecot last
     * rewrote the file, which it does once a quarter of them are stale): a record is about 100 octets. A larger
     * file is ignored, so what a session reads is bounded by its maildrop, not by what the Maildir's owner wrote.
     */
    static final long BYTES_PER_MESSAGE = 1024;
    /** Longer lines are skipped (a record is a number, a few short extensions and a file name of at most 255). */
    static final int MAX_LINE_CHARS = 8192;
    private static final long MAX_UID = 0xFFFF_FFFEL;
    private static final Logger log = LoggerFactory.getLogger(DovecotUidList.class);

    /**
     * One message as Dovecot numbered it.
     *
     * @param pop3Uidl the {@code P} extension: null if absent, empty for "the base name"
     * @param pop3Order the {@code O} extension, or -1
     * @param guid the {@code G} extension, or null
     */
    record Entry(long uid, String pop3Uidl, long pop3Order, String guid) {}

    private final long uidValidity;
    private final long nextUid;
    private final Map<String, Entry> entries;
    private final int skipped;

    private DovecotUidList(long uidValidity, long nextUid, Map<String, Entry> entries, int skipped) {
        this.uidValidity = uidValidity;
        this.nextUid = nextUid;
        this.entries = entries;
        this.skipped = skipped;
    }

    long uidValidity() {
        return uidValidity;
    }

    long nextUid() {
        return nextUid;
    }

    /** The record of a base name, or null. */
    Entry get(String baseName) {
        return entries.get(baseName);
    }

    int size() {
        return entries.size();
    }

    /** How many lines were not records. */
    int skipped() {
        return skipped;
    }

    /**
     * Reads a Maildir's uidlist: null if there is none, or if it cannot be used (a warning says why).
     *
     * @param messages how many messages the Maildir's listing has, which bounds the size accepted
     */
    static DovecotUidList read(MaildirDirs maildir, int messages) {
        Path file = maildir.path(MaildirDirs.ROOT, FILE_NAME);
        try {
            BasicFileAttributes attrs = maildir.attributes(MaildirDirs.ROOT, FILE_NAME);
            long limit = (messages + 1000L) * BYTES_PER_MESSAGE;
            if (!attrs.isRegularFile() || attrs.size() > limit) {
                log.warn("ignoring {}: {}; serving Postoffice's own UIDLs", file, !attrs.isRegularFile()
                        ? "not a regular file"
                        : "larger than " + limit + " octets, " + BYTES_PER_MESSAGE + " for each of the " + messages
                                + " messages listed and 1,000 more");
                return null;
            }
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE);
            int buffer = NameValueFile.bufferSize(attrs.size());
            // Read no further than the limit, should the file have grown since its size was checked.
            try (FileChannel ch = maildir.read(MaildirDirs.ROOT, FILE_NAME);
                    Reader in = Channels.newReader(Channels.newChannel(Lines.upTo(ch, limit)), decoder, buffer)) {
                return parse(in, file.toString());
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            log.warn("ignoring unreadable {}: {}; serving Postoffice's own UIDLs", file, e.toString());
            return null;
        }
    }

    /** Parses uidlist text (for tests). */
    static DovecotUidList parse(String text) {
        try {
            return parse(new StringReader(text), "uidlist");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DovecotUidList parse(Reader reader, String name) throws IOException {
        Lines in = new Lines(reader, MAX_LINE_CHARS);
        String header = in.readLine();
        long[] hdr = header == null ? null : header(header);
        if (hdr == null) {
            log.warn("ignoring {}: {}; serving Postoffice's own UIDLs", name,
                    header == null ? "it is empty" : "its header is not Dovecot's (version 1 or 3)");
            return null;
        }
        boolean v3 = header.charAt(0) == '3';
        Map<String, Entry> entries = new HashMap<>();
        Map<Long, String> byUid = new HashMap<>();
        int skipped = 0;
        int lineNo = 1;
        for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            if (line == Lines.TOO_LONG || !record(line, v3, entries, byUid)) {
                if (skipped++ < 3) {
                    log.warn("{}: skipping line {}, not a message record: {}", name, lineNo, abbreviate(line));
                }
            }
        }
        if (skipped > 3) {
            log.warn("{}: skipped {} lines in all", name, skipped);
        }
        return new DovecotUidList(hdr[0], hdr[1], entries, skipped);
    }

    /** The UIDVALIDITY and next UID of a header line, or null if it is not one. */
    static long[] header(String line) {
        if (line.length() < 2 || line.charAt(1) != ' ') {
            return null;
        }
        long validity = 0;
        long next = 0;
        String[] fields = line.substring(2).trim().split(" +");
        switch (line.charAt(0)) {
            case '1' -> {
                if (fields.length < 2) {
                    return null;
                }
                validity = number(fields[0]);
                next = number(fields[1]);
            }
            case '3' -> {
                for (String f : fields) {
                    if (f.length() > 1 && f.charAt(0) == 'V') {
                        validity = number(f.substring(1));
                    } else if (f.length() > 1 && f.charAt(0) == 'N') {
                        next = number(f.substring(1));
                    }
                }
            }
            default -> {
                return null;
            }
        }
        // Dovecot refuses a zero (or missing) UIDVALIDITY or next UID; both are 32-bit.
        return validity > 0 && next > 0 && validity <= 0xFFFF_FFFFL && next <= 0xFFFF_FFFFL
                ? new long[] {validity, next} : null;
    }

    private static boolean record(String line, boolean v3, Map<String, Entry> entries, Map<Long, String> byUid) {
        int i = 0;
        int n = line.length();
        while (i < n && i < 11 && digit(line.charAt(i))) {
            i++;
        }
        if (i == 0 || i >= n || line.charAt(i) != ' ') {
            return false;
        }
        long uid = Long.parseLong(line, 0, i, 10);
        if (uid == 0 || uid > MAX_UID) {
            return false;
        }
        while (i < n && line.charAt(i) == ' ') {
            i++;
        }
        String pop3Uidl = null;
        String guid = null;
        long order = -1;
        if (v3) {
            // Extensions, each "<letter><value>" up to a space, until ':' starts the file name.
            while (i < n && line.charAt(i) != ':') {
                int end = line.indexOf(' ', i);
                if (end < 0) {
                    return false; // no file name
                }
                char key = line.charAt(i);
                String value = line.substring(i + 1, end);
                switch (key) {
                    case 'P' -> pop3Uidl = value;
                    case 'G' -> guid = value.isEmpty() ? null : value;
                    case 'O' -> order = value.isEmpty() || value.length() > 10 || !value.chars().allMatch(
                            c -> digit((char) c)) ? -1 : Long.parseLong(value);
                    default -> { } // S, W and any later ones
                }
                i = end;
                while (i < n && line.charAt(i) == ' ') {
                    i++;
                }
            }
            if (i >= n) {
                return false;
            }
            i++; // ':'
        }
        String fileName = line.substring(i);
        String base = MaildirNames.baseName(fileName);
        if (base.isEmpty() || fileName.indexOf('/') >= 0) {
            return false;
        }
        String other = byUid.putIfAbsent(uid, base);
        if (other != null && !other.equals(base)) {
            return false; // a UID given twice: keep the first
        }
        // A base name listed twice (a message expunged and moved back): the later record wins, as in Dovecot.
        Entry previous = entries.put(base, new Entry(uid, pop3Uidl, order, guid));
        if (previous != null && previous.uid() != uid) {
            byUid.remove(previous.uid());
        }
        return true;
    }

    private static long number(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!digit(s.charAt(i))) {
                return -1;
            }
        }
        return Long.parseLong(s);
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 80) + "...";
    }
}
