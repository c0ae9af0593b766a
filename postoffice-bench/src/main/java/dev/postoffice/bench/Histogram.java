package dev.postoffice.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A log-bucketed latency histogram in the manner of HdrHistogram, in fixed memory (about 58 KB) and safe
 * for concurrent recording.
 *
 * <p>Values are non-negative longs (nanoseconds here). Values below {@value #SUB_BUCKETS} get a bucket of
 * their own; above that every power of two is split into {@value #SUB_BUCKETS} equal buckets, so a value
 * is known to within 1/{@value #SUB_BUCKETS} of itself (under 0.8 %) over the whole range of a long.
 * Percentiles report the midpoint of the bucket they fall in, clamped to the exact minimum and maximum.
 */
public final class Histogram {
    static final int SUB_BITS = 7;
    static final int SUB_BUCKETS = 1 << SUB_BITS;
    private static final int BUCKETS = (64 - SUB_BITS) * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong sum = new AtomicLong();
    private final AtomicLong min = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong max = new AtomicLong(Long.MIN_VALUE);

    /** Records one value; negative values count as 0. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts.incrementAndGet(index(v));
        total.incrementAndGet();
        sum.addAndGet(v);
        min.accumulateAndGet(v, Math::min);
        max.accumulateAndGet(v, Math::max);
    }

    static int index(long v) {
        if (v < SUB_BUCKETS) {
            return (int) v;
        }
        int exp = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
        int shift = exp - SUB_BITS;
        return (shift + 1) * SUB_BUCKETS + (int) ((v >>> shift) - SUB_BUCKETS);
    }

    /** The smallest value that falls in bucket {@code i}. */
    static long lowerBound(int i) {
        if (i < SUB_BUCKETS) {
            return i;
        }
        int shift = i / SUB_BUCKETS - 1;
        long sub = i % SUB_BUCKETS + SUB_BUCKETS;
        return sub << shift;
    }

    /** How many values bucket {@code i} covers. */
    static long width(int i) {
        return i < SUB_BUCKETS ? 1 : 1L << (i / SUB_BUCKETS - 1);
    }

    public long count() {
        return total.get();
    }

    public long max() {
        return count() == 0 ? 0 : max.get();
    }

    public long min() {
        return count() == 0 ? 0 : min.get();
    }

    public double mean() {
        long n = count();
        return n == 0 ? 0 : (double) sum.get() / n;
    }

    /**
     * The value at or below which {@code percentile} percent of the recorded values fall (0 to 100), to
     * within the bucket precision; 0 when nothing was recorded.
     */
    public long percentile(double percentile) {
        if (percentile < 0 || percentile > 100 || Double.isNaN(percentile)) {
            throw new IllegalArgumentException("percentile must be between 0 and 100: " + percentile);
        }
        long n = count();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                long mid = lowerBound(i) + (width(i) - 1) / 2;
                return Math.max(min(), Math.min(max(), mid));
            }
        }
        return max();
    }

    /** Adds every value of {@code other} to this histogram. */
    public void add(Histogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            long c = other.counts.get(i);
            if (c != 0) {
                counts.addAndGet(i, c);
            }
        }
        total.addAndGet(other.total.get());
        sum.addAndGet(other.sum.get());
        if (other.count() > 0) {
            min.accumulateAndGet(other.min.get(), Math::min);
            max.accumulateAndGet(other.max.get(), Math::max);
        }
    }
}
