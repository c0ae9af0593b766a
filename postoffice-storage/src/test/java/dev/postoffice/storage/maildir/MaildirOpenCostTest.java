package dev.postoffice.storage.maildir;

import static dev.postoffice.storage.maildir.Fixtures.USER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.Maildrop;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints what a warm open (every login after the first) costs: wall and CPU time and bytes allocated, for
 * a 10,000-message maildrop and a small one. Measures only; asserts nothing about time. The output goes to
 * {@code target/surefire-reports/...MaildirOpenCostTest-output.txt}. Messages are named as the JMH
 * {@code MaildirListingBenchmark} names them: one per second, or (as a bulk delivery writes them) a
 * thousand per second, which the sort must order by their microseconds.
 */
class MaildirOpenCostTest {
    private static final byte[] BODY = "Subject: x\n\nbody line\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dataDir;

    @Test
    void warmOpenOfTenThousandMessages() throws Exception {
        fill(10_000, 1);
        measure("10,000 messages, one a second", 10_000, 30, 60);
    }

    @Test
    void warmOpenOfTenThousandMessagesDeliveredInBulk() throws Exception {
        fill(10_000, 1000);
        measure("10,000 messages, 1,000 a second", 10_000, 30, 60);
    }

    @Test
    void warmOpenOfThreeMessages() throws Exception {
        fill(3, 1);
        measure("3 messages", 3, 2_000, 2_000);
    }

    private void fill(int n, int perSecond) throws Exception {
        Path maildir = Fixtures.maildir(dataDir);
        long t = 1_700_000_000L;
        for (int i = 0; i < n; i++) {
            long micros = perSecond == 1 ? i : (i % perSecond) * 997L % 1_000_000; // not in name order
            String name = (t + i / perSecond) + ".M" + micros + "P1Q" + i + "R0.bench,S=" + BODY.length + ",W="
                    + (BODY.length + 3);
            Files.write(maildir.resolve(i % 4 == 0 ? "new" : "cur").resolve(i % 4 == 0 ? name : name + ":2,S"), BODY);
        }
    }

    private void measure(String what, int expected, int warmup, int runs) throws Exception {
        MaildirStore store = new MaildirStore(dataDir);
        for (int i = 0; i < warmup; i++) {
            open(store, expected);
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long[] wall = new long[runs];
        long[] cpu = new long[runs];
        long bytesBefore = threads.getThreadAllocatedBytes(tid);
        for (int i = 0; i < runs; i++) {
            long cpuStart = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            open(store, expected);
            wall[i] = System.nanoTime() - start;
            cpu[i] = threads.getCurrentThreadCpuTime() - cpuStart;
        }
        long bytes = (threads.getThreadAllocatedBytes(tid) - bytesBefore) / runs;
        Arrays.sort(wall);
        Arrays.sort(cpu);
        System.out.printf("warm open, %s: wall median %.3f ms (min %.3f), CPU median %.3f ms (min %.3f),"
                + " %,d bytes allocated per open%n",
                what, wall[runs / 2] / 1e6, wall[0] / 1e6, cpu[runs / 2] / 1e6, cpu[0] / 1e6, bytes);
    }

    private static void open(MaildirStore store, int expected) throws Exception {
        try (Maildrop m = store.open(USER, Optional.empty())) {
            if (m.messages().size() != expected) { // no AssertJ in the measured loop
                assertThat(m.messages()).hasSize(expected);
            }
        }
    }
}
