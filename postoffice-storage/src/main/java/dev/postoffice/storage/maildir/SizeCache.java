package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-Maildir cache of canonical sizes, {@value #FILE_NAME}: UTF-8 text, one
 * {@code <base name> SP <canonical size> <form>} line per message, where the form is {@code w} when the file's
 * octets are already the message's wire form (see {@link MessageFormat.SizeCounter#isWireForm()}), {@code d}
 * when they are canonical but a line needs byte-stuffing, and {@code c} when their line ends need converting. A line without the form letter (written before it existed) leaves the form to
 * be found out again. Maildir message files never change once delivered, so an entry stays valid until its
 * message is gone. The cache is only an accelerator: a missing, unreadable or corrupt cache reads as empty
 * and is rebuilt.
 */
final class SizeCache {
    static final String FILE_NAME = "postoffice-sizes";
    /** Generous bound on one line (a 255-byte name, a space, 19 digits, a newline) for the size sanity check. */
    private static final long MAX_LINE_BYTES = 512;
    /** Smallest and largest read or write buffer, in chars (and bytes for the decoder's buffer). */
    private static final int MIN_BUFFER = 128;
    private static final int MAX_BUFFER = 8192;
    /** About how many bytes a line takes, to size the write buffer. */
    private static final int TYPICAL_LINE_BYTES = 64;
    private static final Logger log = LoggerFactory.getLogger(SizeCache.class);

    private SizeCache() {}

    /** How much a message file's octets need changing on the way out. */
    enum Form {
        /** Already the wire form: canonical, and no line to byte-stuff. */
        WIRE,
        /** Canonical, with lines to byte-stuff. */
        DOTS,
        /** Needs its line ends converted. */
        CONVERT,
        /** Not known: an entry from before the form was recorded. */
        UNKNOWN
    }

    /** A message's canonical size and stored form. */
    record Measure(long size, Form form) {}

    /** Whether a base name can be written as a cache line (it must not contain a line break). */
    static boolean storable(String baseName) {
        return baseName.indexOf('\n') < 0 && baseName.indexOf('\r') < 0;
    }

    /**
     * Reads the cache of a Maildir. Never fails: anything wrong with the file yields an empty map.
     *
     * @param expectedEntries about how many messages the maildrop has, to refuse an absurdly large file
     */
    static Map<String, Measure> load(Path maildir, int expectedEntries) {
        return load(maildir, FILE_NAME, expectedEntries, SizeCache::parseMeasure);
    }

    /** Reads another per-message number file of the same format (e.g. first-retrieval times). */
    static Map<String, Long> load(Path maildir, String fileName, int expectedEntries) {
        return load(maildir, fileName, expectedEntries, SizeCache::parseNumber);
    }

    /** A value as written after the name's last space; null if it is not one. */
    private interface ValueParser<V> {
        V parse(String line, int from);
    }

    private static <V> Map<String, V> load(Path maildir, String fileName, int expectedEntries, ValueParser<V> parser) {
        Path file = maildir.resolve(fileName);
        try {
            BasicFileAttributes attrs =
                    Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile() || attrs.size() > (expectedEntries + 64L) * MAX_LINE_BYTES) {
                log.warn("ignoring size cache {}: not a regular file or too large", file);
                return new HashMap<>();
            }
            Map<String, V> values = HashMap.newHashMap(expectedEntries);
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            // Buffers sized to the file, capped: most caches are small, and a login reads one.
            int buffer = bufferSize(attrs.size());
            try (BufferedReader in = new BufferedReader(Channels.newReader(
                    FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS), decoder, buffer),
                    buffer)) {
                for (String line; (line = in.readLine()) != null; ) {
                    int space = line.lastIndexOf(' ');
                    V value = space > 0 ? parser.parse(line, space + 1) : null;
                    if (value == null) {
                        log.warn("ignoring corrupt size cache {}", file);
                        return new HashMap<>();
                    }
                    values.put(line.substring(0, space), value);
                }
            }
            return values;
        } catch (NoSuchFileException e) {
            return new HashMap<>();
        } catch (IOException e) {
            log.warn("ignoring unreadable size cache {}: {}", file, e.toString());
            return new HashMap<>();
        }
    }

    /**
     * A buffer for about {@code bytes} of cache: the whole file when small, at least {@value #MIN_BUFFER}
     * and at most {@value #MAX_BUFFER} (longer lines and files are read in several fills).
     */
    static int bufferSize(long bytes) {
        return (int) Math.max(MIN_BUFFER, Math.min(MAX_BUFFER, bytes + 1));
    }

    private static Long parseNumber(String line, int from) {
        long n = parseSize(line, from, line.length());
        return n < 0 ? null : n;
    }

    private static Measure parseMeasure(String line, int from) {
        int end = line.length();
        Form form = Form.UNKNOWN;
        if (end > from) {
            char last = line.charAt(end - 1);
            form = switch (last) {
                case 'w' -> Form.WIRE;
                case 'd' -> Form.DOTS;
                case 'c' -> Form.CONVERT;
                default -> Form.UNKNOWN;
            };
            if (form != Form.UNKNOWN) {
                end--;
            }
        }
        long size = parseSize(line, from, end);
        return size < 0 ? null : new Measure(size, form);
    }

    private static long parseSize(String line, int from, int n) {
        if (from >= n || n - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < n; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /**
     * Replaces the cache atomically: writes a temporary file, fsyncs it and renames it over the cache.
     * The caller holds the maildrop lock, so no other writer races for the temporary name.
     */
    static void store(Path maildir, Map<String, Measure> sizes) throws IOException {
        store(maildir, FILE_NAME, sizes, (out, m) -> {
            out.write(Long.toString(m.size()));
            switch (m.form()) {
                case WIRE -> out.write('w');
                case DOTS -> out.write('d');
                case CONVERT -> out.write('c');
                case UNKNOWN -> { }
            }
        });
    }

    /** Replaces another per-message number file of the same format, atomically. */
    static void storeNumbers(Path maildir, String fileName, Map<String, Long> numbers) throws IOException {
        store(maildir, fileName, numbers, (out, n) -> out.write(Long.toString(n)));
    }

    private interface ValueWriter<V> {
        void write(Writer out, V value) throws IOException;
    }

    private static <V> void store(Path maildir, String fileName, Map<String, V> values, ValueWriter<V> writer)
            throws IOException {
        Path tmp = maildir.resolve(fileName + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            try (FileChannel ch = FileChannel.open(tmp,
                    EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FileOps.privateFile(tmp))) {
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
            Files.move(tmp, maildir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            FileOps.deleteQuietly(tmp, e);
            throw e;
        }
    }
}
