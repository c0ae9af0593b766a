package dev.postoffice.jmh;

import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Maildrop;
import dev.postoffice.storage.maildir.MaildirStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * What login costs in storage: opening (locking, listing, sizing) a maildrop of N messages with a warm size
 * cache, as every login after the first does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MaildirListingBenchmark {
    @Param({"1000", "10000"})
    public int messages;

    /** Messages delivered per second: 1 as a trickle, 1000 as a bulk delivery (names then share their second). */
    @Param({"1", "1000"})
    public int perSecond;

    private Path data;
    private MaildirStore store;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        data = Files.createTempDirectory("postoffice-jmh-");
        Path md = data.resolve("home/bench/Maildir");
        for (String d : new String[] {"new", "cur", "tmp"}) {
            Files.createDirectories(md.resolve(d));
        }
        byte[] body = "Subject: x\n\nbody line\n".getBytes(StandardCharsets.US_ASCII);
        long t = 1_700_000_000L;
        for (int i = 0; i < messages; i++) {
            // Names as our own delivery writes them: sizes in the name, most already seen (cur/).
            String name = (t + i / perSecond) + ".M" + (i % perSecond * 997 % 1_000_000) + "P1Q" + i + "R0.bench,S="
                    + body.length + ",W=" + (body.length + 3);
            Files.write(md.resolve(i % 4 == 0 ? "new" : "cur").resolve(i % 4 == 0 ? name : name + ":2,S"), body);
        }
        store = new MaildirStore(data);
        try (Maildrop m = store.open(MailboxRef.of("bench"))) {
            if (m.messages().size() != messages) {
                throw new IllegalStateException("listed " + m.messages().size());
            }
        }
    }

    @Benchmark
    public int openWarm() throws Exception {
        try (Maildrop m = store.open(MailboxRef.of("bench"))) {
            return m.messages().size();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Files.walkFileTree(data, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
