package dev.postoffice.message;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Finds line ends in octet buffers eight octets at a time; shared by the wire encoder and the size rules. */
public final class LineScan {
    private LineScan() {}

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LFS = 0x0a0a0a0a0a0a0a0aL;
    private static final long CRS = 0x0d0d0d0d0d0d0d0dL;
    private static final long DOTS = 0x2e2e2e2e2e2e2e2eL;
    private static final long LOW_BITS = 0x7f7f7f7f7f7f7f7fL;

    /**
     * The index of the first CR or LF in {@code b[from, to)}, or {@code to}. Looks at eight octets at a time:
     * XOR with eight LFs (CRs) turns an LF (CR) into a zero octet, and {@code (x - 0x01..) & ~x & 0x80..}
     * flags zero octets. A borrow can only flag octets above a true zero octet, so in little-endian order
     * the lowest flag is always a real line end.
     */
    public static int lineEnd(byte[] b, int from, int to) {
        int i = from;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            long w = (long) LONGS.get(b, i);
            long lf = w ^ LFS;
            long cr = w ^ CRS;
            long found = ((lf - ONES) & ~lf | (cr - ONES) & ~cr) & HIGH_BITS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        while (i < to && b[i] != '\r' && b[i] != '\n') {
            i++;
        }
        return i;
    }

    /**
     * The index of the first LF in {@code b[from, to - 1)} that a '.' follows (a line to byte-stuff starts after
     * it), or -1; absolute indexes, the buffer's position and limit untouched. Eight octets at a time, with the
     * exact zero-octet test (no borrow, so no false flags), the two tests ANDed one octet apart.
     */
    public static int nextLfDot(ByteBuffer buffer, int from, int to) {
        ByteBuffer b = buffer.order() == ByteOrder.LITTLE_ENDIAN ? buffer
                : buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int i = from;
        for (int last = to - Long.BYTES - 1; i <= last; i += Long.BYTES) {
            long found = zeros(b.getLong(i) ^ LFS) & zeros(b.getLong(i + 1) ^ DOTS);
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i + 1 < to; i++) {
            if (b.get(i) == '\n' && b.get(i + 1) == '.') {
                return i;
            }
        }
        return -1;
    }

    /** The high bit of each octet of {@code x} that is zero, and nothing else. */
    private static long zeros(long x) {
        return ~(((x & LOW_BITS) + LOW_BITS) | x | LOW_BITS);
    }

    /** The index of the first LF in {@code b[from, to)}, or {@code to}; eight octets at a time, as {@link #lineEnd}. */
    public static int nextLf(byte[] b, int from, int to) {
        int i = from;
        for (int last = to - Long.BYTES; i <= last; i += Long.BYTES) {
            long lf = (long) LONGS.get(b, i) ^ LFS;
            long found = (lf - ONES) & ~lf & HIGH_BITS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        while (i < to && b[i] != '\n') {
            i++;
        }
        return i;
    }
}
