package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HistogramTest {
    @Test
    void emptyHistogramReportsZeros() {
        Histogram h = new Histogram();
        assertThat(h.count()).isZero();
        assertThat(h.percentile(99)).isZero();
        assertThat(h.max()).isZero();
        assertThat(h.mean()).isZero();
    }

    @Test
    void smallValuesAreExact() {
        Histogram h = new Histogram();
        for (int v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertThat(h.percentile(50)).isEqualTo(50);
        assertThat(h.percentile(90)).isEqualTo(90);
        assertThat(h.percentile(99)).isEqualTo(99);
        assertThat(h.percentile(100)).isEqualTo(100);
        assertThat(h.percentile(0)).isEqualTo(1);
        assertThat(h.mean()).isEqualTo(50.5);
    }

    @Test
    void percentilesOfAUniformSpreadAreWithinOnePercent() {
        Histogram h = new Histogram();
        // 1 µs to 10 s in nanoseconds, evenly spread: the p-th percentile is p % of the range.
        long n = 100_000;
        long top = 10_000_000_000L;
        for (long i = 1; i <= n; i++) {
            h.record(i * top / n);
        }
        for (double p : new double[] {50, 90, 99, 99.9}) {
            double expected = p / 100 * top;
            assertThat((double) h.percentile(p)).as("p%s", p).isCloseTo(expected, within(expected * 0.01));
        }
        assertThat(h.max()).isEqualTo(top);
        assertThat(h.min()).isEqualTo(top / n);
        assertThat(h.count()).isEqualTo(n);
    }

    @Test
    void aFewSlowOutliersShowInTheTailOnly() {
        Histogram h = new Histogram();
        for (int i = 0; i < 990; i++) {
            h.record(1_000_000); // 1 ms
        }
        for (int i = 0; i < 10; i++) {
            h.record(500_000_000); // 500 ms
        }
        assertThat((double) h.percentile(50)).isCloseTo(1_000_000, within(10_000.0));
        assertThat((double) h.percentile(99)).isCloseTo(1_000_000, within(10_000.0));
        assertThat((double) h.percentile(99.9)).isCloseTo(500_000_000, within(5_000_000.0));
        assertThat(h.max()).isEqualTo(500_000_000);
    }

    @Test
    void everyValueFallsInsideItsBucket() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            long v = r.nextLong(Long.MAX_VALUE) >>> r.nextInt(63);
            int index = Histogram.index(v);
            long lower = Histogram.lowerBound(index);
            assertThat(v).isBetween(lower, lower + Histogram.width(index) - 1);
            assertThat((double) Histogram.width(index)).isLessThanOrEqualTo(Math.max(1, v / 128.0));
        }
        assertThat(Histogram.index(Long.MAX_VALUE)).isLessThan((64 - Histogram.SUB_BITS) * Histogram.SUB_BUCKETS);
    }

    @Test
    void addMergesCountsAndExtremes() {
        Histogram a = new Histogram();
        Histogram b = new Histogram();
        a.record(10);
        b.record(1_000);
        b.record(5);
        a.add(b);
        assertThat(a.count()).isEqualTo(3);
        assertThat(a.min()).isEqualTo(5);
        assertThat(a.max()).isEqualTo(1_000);
    }

    @Test
    void rejectsPercentilesOutsideZeroToHundred() {
        assertThatThrownBy(() -> new Histogram().percentile(101)).isInstanceOf(IllegalArgumentException.class);
    }
}
