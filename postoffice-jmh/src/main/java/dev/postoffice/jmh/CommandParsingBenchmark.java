package dev.postoffice.jmh;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.CommandParser;
import dev.postoffice.protocol.CommandSyntaxException;
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

/** Parsing one command line into a typed command. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CommandParsingBenchmark {
    @Param({"STAT", "RETR 12345", "USER alice@example.org", "TOP 17 0", "PASS correct horse battery staple"})
    public String line;

    private byte[] bytes;

    @Setup
    public void setUp() {
        bytes = line.getBytes(StandardCharsets.US_ASCII);
    }

    @Benchmark
    public Command parse() throws CommandSyntaxException {
        return CommandParser.parse(bytes, bytes.length);
    }
}
