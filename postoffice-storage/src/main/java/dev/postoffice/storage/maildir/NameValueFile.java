package dev.postoffice.storage.maildir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
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
 * The format of our per-Maildir files ({@link SizeCache}, {@link MaildirHistory}): UTF-8 text, one
 * {@code <name> SP <value>} line per entry, the value after the line's last space. Reading never fails (a missing,
 * unreadable or corrupt file reads as empty); writing replaces the file atomically.
 */
final class NameValueFile {
    /** Generous bound on one line (a 255-byte name, a space, 19 digits, a newline) for the size sanity check. */
    private static final long MAX_LINE_BYTES = 512;
    /** Smallest and largest read or write buffer, in chars (and bytes for the decoder's buffer). */
    private static final int MIN_BUFFER = 128;
    private static final int MAX_BUFFER = 8192;
    /** About how many bytes a line takes, to size the write buffer. */
    private static final int TYPICAL_LINE_BYTES = 64;
    private static final Logger log = LoggerFactory.getLogger(NameValueFile.class);

    private NameValueFile() {}

    /** A value as written after the name's last space; null if it is not one. */
    interface ValueParser<V> {
        V parse(String line, int from);
    }

    interface ValueWriter<V> {
        void write(Writer out, V value) throws IOException;
    }

    /** Whether a name can be written as a line (it must not contain a line break). */
    static boolean storable(String name) {
        return name.indexOf('\n') < 0 && name.indexOf('\r') < 0;
    }

    /**
     * Reads a file of the Maildir. Never fails: anything wrong with the file yields an empty map.
     *
     * @param expectedEntries about how many entries there are, to refuse an absurdly large file
     */
    static <V> Map<String, V> load(MaildirDirs maildir, String fileName, int expectedEntries, ValueParser<V> parser) {
        Path file = maildir.path(MaildirDirs.ROOT, fileName);
        try {
            long limit = (expectedEntries + 64L) * MAX_LINE_BYTES;
            BasicFileAttributes attrs = maildir.attributes(MaildirDirs.ROOT, fileName);
            if (!attrs.isRegularFile() || attrs.size() > limit) {
                log.warn("ignoring {}: not a regular file or too large", file);
                return new HashMap<>();
            }
            Map<String, V> values = HashMap.newHashMap(expectedEntries);
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            // Buffers sized to the file, capped: most files are small, and a login reads one.
            int buffer = bufferSize(attrs.size());
            // Whatever was renamed over the file since the check, the read never waits (a FIFO: see readOwn) and
            // stops at the size limit (a file swapped for a larger one), and no line is held past MAX_LINE_BYTES.
            try (FileChannel ch = maildir.readOwn(MaildirDirs.ROOT, fileName)) {
                Lines in = new Lines(Channels.newReader(Channels.newChannel(Lines.upTo(ch, Math.min(ch.size(), limit))),
                        decoder, buffer), (int) MAX_LINE_BYTES, buffer);
                for (String line; (line = in.readLine()) != null; ) {
                    if (line == Lines.TOO_LONG) {
                        log.warn("ignoring corrupt {}", file);
                        return new HashMap<>();
                    }
                    int space = line.lastIndexOf(' ');
                    V value = space > 0 ? parser.parse(line, space + 1) : null;
                    if (value == null) {
                        log.warn("ignoring corrupt {}", file);
                        return new HashMap<>();
                    }
                    values.put(line.substring(0, space), value);
                }
            }
            return values;
        } catch (NoSuchFileException e) {
            return new HashMap<>();
        } catch (IOException e) {
            log.warn("ignoring unreadable {}: {}", file, e.toString());
            return new HashMap<>();
        }
    }

    /**
     * A buffer for about {@code bytes} of file: the whole file when small, at least {@value #MIN_BUFFER}
     * and at most {@value #MAX_BUFFER} (longer lines and files are read in several fills).
     */
    static int bufferSize(long bytes) {
        return (int) Math.max(MIN_BUFFER, Math.min(MAX_BUFFER, bytes + 1));
    }

    /** A decimal number of at most 18 digits in {@code line[from, to)}; -1 if it is not one. */
    static long parseNumber(String line, int from, int to) {
        if (from >= to || to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** A parser for plain numbers. */
    static Long parseNumber(String line, int from) {
        long n = parseNumber(line, from, line.length());
        return n < 0 ? null : n;
    }

    /**
     * Replaces a file atomically: writes a temporary file, fsyncs it and renames it over the file. The caller
     * holds the maildrop lock, so no other writer races for the temporary name.
     */
    static <V> void store(MaildirDirs maildir, String fileName, Map<String, V> values, ValueWriter<V> writer)
            throws IOException {
        String tmp = fileName + ".tmp";
        maildir.deleteIfExists(MaildirDirs.ROOT, tmp);
        try {
            try (FileChannel ch = maildir.create(MaildirDirs.ROOT, tmp)) {
                int buffer = bufferSize((long) values.size() * TYPICAL_LINE_BYTES);
                Writer out = new BufferedWriter(
                        Channels.newWriter(ch, StandardCharsets.UTF_8.newEncoder()
                                .onMalformedInput(CodingErrorAction.REPLACE)
                                .onUnmappableCharacter(CodingErrorAction.REPLACE), buffer), buffer);
                for (Map.Entry<String, V> e : values.entrySet()) {
                    out.write(e.getKey());
                    out.write(' ');
                    writer.write(out, e.getValue());
                    out.write('\n');
                }
                out.flush();
                ch.force(true);
            }
            maildir.move(MaildirDirs.ROOT, tmp, MaildirDirs.ROOT, fileName);
        } catch (IOException | RuntimeException e) {
            maildir.deleteQuietly(MaildirDirs.ROOT, tmp, e);
            throw e;
        }
    }
}
