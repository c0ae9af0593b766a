package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import java.io.IOException;
import java.util.Map;

/**
 * The per-Maildir cache of canonical sizes, {@value #FILE_NAME}, a {@link NameValueFile}: one
 * {@code <base name> SP <canonical size> <form>} line per message, where the form is {@code w} when the file's
 * octets are already the message's wire form (see {@link MessageFormat.SizeCounter#isWireForm()}), {@code d}
 * when they are canonical but a line needs byte-stuffing, and {@code c} when their line ends need converting. A line
 * without the form letter (written before it existed) leaves the form to be found out again. Maildir message files
 * never change once delivered, so an entry stays valid until its message is gone. The cache is only an
 * accelerator: a missing, unreadable or corrupt cache reads as empty and is rebuilt.
 */
final class SizeCache {
    static final String FILE_NAME = "postoffice-sizes";

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
        return NameValueFile.storable(baseName);
    }

    /**
     * Reads the cache of a Maildir. Never fails: anything wrong with the file yields an empty map.
     *
     * @param expectedEntries about how many messages the maildrop has, to refuse an absurdly large file
     */
    static Map<String, Measure> load(MaildirDirs maildir, int expectedEntries) {
        return NameValueFile.load(maildir, FILE_NAME, expectedEntries, SizeCache::parseMeasure);
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
        long size = NameValueFile.parseNumber(line, from, end);
        return size < 0 ? null : new Measure(size, form);
    }

    /** Replaces the cache atomically (see {@link NameValueFile#store}); the caller holds the maildrop lock. */
    static void store(MaildirDirs maildir, Map<String, Measure> sizes) throws IOException {
        NameValueFile.store(maildir, FILE_NAME, sizes, (out, m) -> {
            out.write(Long.toString(m.size()));
            switch (m.form()) {
                case WIRE -> out.write('w');
                case DOTS -> out.write('d');
                case CONVERT -> out.write('c');
                case UNKNOWN -> { }
            }
        });
    }
}
