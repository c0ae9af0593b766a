package dev.postoffice.jmh;

import dev.postoffice.auth.PasswordSchemes;
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

/** One password verification per scheme: the floor under every USER/PASS or PLAIN login. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PasswordVerificationBenchmark {
    @Param({"ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "SCRAM-SHA-256", "PLAIN"})
    public String scheme;

    private String secret;

    @Setup
    public void setUp() {
        secret = PasswordSchemes.encode(scheme, "correct horse battery staple");
    }

    @Benchmark
    public boolean verify() {
        return PasswordSchemes.verify("correct horse battery staple", secret);
    }
}
