package dev.postoffice.app;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Deliveries counted across processes: {@code postoffice deliver} runs once per message in the MTA's process, so it
 * adds to {@value #FILE} in the data directory (under a file lock) and the serving process exports the totals as
 * {@code postoffice_deliveries_total}. Counting is best effort: a failure to count never fails a delivery.
 */
final class DeliveryCounts {
    static final String FILE = "delivery-counts";

    private DeliveryCounts() {}

    /** Adds one delivery with {@code result} ({@code ok}, {@code temporary}, {@code permanent}). */
    static void add(Path dataDir, String result) {
        try (FileChannel ch = FileChannel.open(dataDir.resolve(FILE), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            Map<String, Long> counts = parse(read(ch));
            counts.merge(result, 1L, Long::sum);
            StringBuilder b = new StringBuilder();
            counts.forEach((k, v) -> b.append(k).append(' ').append(v).append('\n'));
            byte[] bytes = b.toString().getBytes(StandardCharsets.US_ASCII);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(bytes), 0);
        } catch (IOException | RuntimeException e) {
            // not counted; the delivery itself is what matters
        }
    }

    /** The totals so far (empty when nothing was counted or the file cannot be read). */
    static Map<String, Long> read(Path dataDir) {
        try (FileChannel ch = FileChannel.open(dataDir.resolve(FILE), StandardOpenOption.READ)) {
            return parse(read(ch));
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
        ch.read(buf, 0);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
    }

    private static Map<String, Long> parse(String text) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2 && f[1].matches("\\d{1,18}")) {
                counts.put(f[0], Long.parseLong(f[1]));
            }
        }
        return counts;
    }
}
