package dev.postoffice.message;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Finds line ends in octet buffers eight octets at a time; shared by the wire encoder and the size rules. */
public final class LineScan {
    private LineScan() {}

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LFS = 0x0a0a0a0a0a0a0a0aL;
    private static final long CRS = 0x0d0d0d0d0d0d0d0dL;

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
