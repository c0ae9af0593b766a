package dev.postoffice.jmh;

import dev.postoffice.message.MessageFormat;
import dev.postoffice.protocol.ResponseWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * RETR's inner loop: CRLF conversion and byte-stuffing of a stored message into the response buffer, and
 * the size counter LIST relies on. {@code canonicalRetr} is RETR of the same message stored in canonical
 * form (as {@code deliver} stores it), read from a file through the path that only adds dots (or, without dot
 * lines, copies the file unchanged; cleartext sessions use sendfile instead). One operation is one 1 MiB
 * message: ops/s equals MiB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WireEncodingBenchmark {
    /**
     * LF: as Maildir traditionally stores mail; CRLF: already canonical; SOME_DOTS: LF, one line in 20 starting
     * with a dot (as in the benchmark corpus); DOTS: LF, every line needs stuffing.
     */
    @Param({"LF", "CRLF", "SOME_DOTS", "DOTS"})
    public String shape;

    private byte[] message;
    private ResponseWriter writer;
    private Path file;
    private FileChannel channel;
    private long canonicalSize;
    private boolean dotLines;

    @Setup
    public void setUp() throws IOException {
        String eol = shape.equals("CRLF") ? "\r\n" : "\n";
        StringBuilder b = new StringBuilder(1 << 20);
        b.append("Subject: benchmark").append(eol).append(eol);
        for (int i = 0; b.length() < (1 << 20); i++) {
            boolean dot = shape.equals("DOTS") || shape.equals("SOME_DOTS") && i % 20 == 0;
            b.append(dot ? "." : "").append("x".repeat(dot ? 71 : 72)).append(eol);
        }
        message = b.toString().getBytes(StandardCharsets.US_ASCII);
        writer = new ResponseWriter(OutputStream.nullOutputStream(), 8192);

        MessageFormat.LineEndConverter converter = new MessageFormat.LineEndConverter(MessageFormat.LineEnd.CRLF);
        byte[] canonical = new byte[MessageFormat.LineEndConverter.maxOutput(message.length) + 2];
        int n = converter.convert(message, 0, message.length, canonical);
        byte[] tail = new byte[2];
        int t = converter.finish(tail);
        System.arraycopy(tail, 0, canonical, n, t);
        n += t;
        file = Files.createTempFile("postoffice-jmh", ".eml");
        Files.write(file, java.util.Arrays.copyOf(canonical, n));
        MessageFormat.SizeCounter counter = new MessageFormat.SizeCounter();
        counter.update(message, 0, message.length);
        canonicalSize = counter.size();
        dotLines = counter.hasDotLines();
        channel = FileChannel.open(file);
    }

    @TearDown
    public void tearDown() throws IOException {
        channel.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    public long canonicalRetr() throws IOException {
        return writer.canonicalMessage(channel, canonicalSize, dotLines, null);
    }

    @Benchmark
    public long retr() throws IOException {
        return writer.message(new ByteArrayInputStream(message), -1);
    }

    @Benchmark
    public long canonicalSize() {
        return MessageFormat.canonicalSize(message);
    }
}
