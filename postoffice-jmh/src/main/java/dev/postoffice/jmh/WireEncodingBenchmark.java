package dev.postoffice.jmh;

import dev.postoffice.protocol.MessageFormat;
import dev.postoffice.protocol.ResponseWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * RETR's inner loop: CRLF conversion and byte-stuffing of a stored message into the response buffer, and
 * the size counter LIST relies on. One operation is one 1 MiB message: ops/s equals MiB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WireEncodingBenchmark {
    /** LF: as Maildir stores mail; CRLF: already canonical; DOTS: every line needs stuffing. */
    @Param({"LF", "CRLF", "DOTS"})
    public String shape;

    private byte[] message;
    private ResponseWriter writer;

    @Setup
    public void setUp() {
        String eol = shape.equals("CRLF") ? "\r\n" : "\n";
        String line = (shape.equals("DOTS") ? "." : "") + "x".repeat(shape.equals("DOTS") ? 71 : 72) + eol;
        StringBuilder b = new StringBuilder(1 << 20);
        b.append("Subject: benchmark").append(eol).append(eol);
        while (b.length() < (1 << 20)) {
            b.append(line);
        }
        message = b.toString().getBytes(StandardCharsets.US_ASCII);
        writer = new ResponseWriter(OutputStream.nullOutputStream(), 8192);
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
