package dev.postoffice.storage.maildir;

import dev.postoffice.message.MessageFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.Channels;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the canonical size and stored form of listed messages at login, reading as little as it can: the size
 * cache first, then a name's {@code ,W=} field and one octet, and only then the whole file, once.
 */
final class MessageMeasurer {
    private static final int BUFFER_SIZE = 1 << 16;
    private static final Logger log = LoggerFactory.getLogger(MessageMeasurer.class);

    /**
     * A measured message with its sort keys, parsed once (seconds, then microseconds within the second, then
     * the name), and its canonical size and stored form.
     */
    record Entry(String base, Location location, long seconds, long micros, SizeCache.Measure measure) {
        Entry(String base, Location location, long seconds, SizeCache.Measure measure) {
            this(base, location, seconds, MaildirNames.micros(base), measure);
        }
    }

    /** Oldest first; compares the parsed keys, so sorting parses no name. */
    static final Comparator<Entry> ORDER = (a, b) -> {
        int c = Long.compare(a.seconds(), b.seconds());
        if (c == 0) {
            c = Long.compare(a.micros(), b.micros());
        }
        return c != 0 ? c : a.base().compareTo(b.base());
    };

    private final MaildirDirs dirs;
    private final Map<String, SizeCache.Measure> cache;
    private byte[] buffer;

    /** @param cache the size cache as loaded; read only */
    MessageMeasurer(MaildirDirs dirs, Map<String, SizeCache.Measure> cache) {
        this.dirs = dirs;
        this.cache = cache;
    }

    /**
     * Adds the entry for one message, skips it if it is not a readable regular file, or notes it in
     * {@code vanished} (when given) if its file is gone.
     */
    void add(String base, Location location, List<Entry> entries, Set<String> vanished) {
        SizeCache.Measure previous = cache.get(base);
        SizeCache.Measure cached = known(base, previous);
        long seconds = MaildirNames.leadingSeconds(base);
        if (cached != null && seconds >= 0) {
            entries.add(new Entry(base, location, seconds, cached));
            return;
        }
        try {
            BasicFileAttributes attrs = dirs.attributes(location.dir(), location.name());
            if (!attrs.isRegularFile()) {
                return;
            }
            if (seconds < 0) {
                seconds = attrs.lastModifiedTime().to(TimeUnit.SECONDS);
            }
            SizeCache.Measure measure = cached != null ? cached
                    : previous != null && previous.size() != attrs.size()
                            ? new SizeCache.Measure(previous.size(), SizeCache.Form.CONVERT)
                            : measure(location, base, attrs.size());
            entries.add(new Entry(base, location, seconds, measure));
        } catch (NoSuchFileException e) {
            if (vanished != null) {
                vanished.add(base);
            }
        } catch (IOException e) {
            log.warn("skipping unreadable message {}: {}", location.in(dirs), e.toString());
        }
    }

    /**
     * A cached measure whose form is known, or one completed from the name; null if the file must be
     * looked at. An entry cached before forms were recorded is settled by the stored size (the name's
     * {@code ,S=} here, else the file's, in {@link #add}) when that differs from the canonical size: the file
     * then cannot be its wire form. Only files of the canonical size are read again.
     */
    private static SizeCache.Measure known(String base, SizeCache.Measure cached) {
        if (cached == null || cached.form() != SizeCache.Form.UNKNOWN) {
            return cached;
        }
        long s = MaildirNames.sizeField(base, 'S');
        return s >= 0 && s != cached.size() ? new SizeCache.Measure(cached.size(), SizeCache.Form.CONVERT) : null;
    }

    /**
     * The canonical size and form of a message file. A {@code ,W=} field in the name gives the size from one
     * byte: W counts LF as CRLF but adds no final CRLF, which the canonical form has when the last byte is
     * not a line break. A size that differs from the file's means the file needs converting; otherwise (or
     * when the name says nothing, or its {@code ,S=} disagrees with the file's size) the file is read once.
     */
    private SizeCache.Measure measure(Location location, String base, long rawSize) throws IOException {
        long w = MaildirNames.sizeField(base, 'W');
        if (w >= 0 && rawSize > 0) {
            long s = MaildirNames.sizeField(base, 'S');
            if (s < 0 || s == rawSize) {
                try (FileChannel ch = dirs.read(location.dir(), location.name())) {
                    ByteBuffer last = ByteBuffer.allocate(1);
                    if (ch.read(last, rawSize - 1) == 1) {
                        byte b = last.get(0);
                        long size = b == '\n' || b == '\r' ? w : w + 2;
                        if (size != rawSize) {
                            return new SizeCache.Measure(size, SizeCache.Form.CONVERT);
                        }
                    }
                }
            }
        }
        return scan(location);
    }

    private SizeCache.Measure scan(Location location) throws IOException {
        if (buffer == null) {
            buffer = new byte[BUFFER_SIZE];
        }
        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        try (InputStream in = Channels.newInputStream(dirs.read(location.dir(), location.name()))) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                counter.update(buffer, 0, n);
            }
        }
        SizeCache.Form form = !counter.isCanonical() ? SizeCache.Form.CONVERT
                : counter.hasDotLines() ? SizeCache.Form.DOTS : SizeCache.Form.WIRE;
        return new SizeCache.Measure(counter.size(), form);
    }
}
