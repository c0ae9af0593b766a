package dev.postoffice.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Off-heap buffers lent to cleartext sessions while they send a stored message whole (RETR), shared by the whole
 * process: the file is read straight into one, after the status line, and the terminator follows, so the reply
 * leaves in one write with no copy through the Java heap (a heap array costs two more: the JDK moves it through a
 * temporary native buffer both when reading the file and when writing the socket). Allocated on first use, at
 * most {@link #CAPACITY}; when all are lent, the caller takes its ordinary path, so memory stays bounded.
 */
final class DirectBuffers {
    /** Octets per buffer: a status line, a message of up to about 256 KB, and the terminator. */
    static final int SIZE = 256 * 1024;

    /** The most buffers that exist at once: 8 per core, at least 16 (4 MB on this machine's two cores). */
    static final int CAPACITY = Math.max(16, 8 * Runtime.getRuntime().availableProcessors());

    private static final ArrayBlockingQueue<ByteBuffer> POOL = new ArrayBlockingQueue<>(CAPACITY);
    private static final java.util.concurrent.atomic.AtomicInteger CREATED = new java.util.concurrent.atomic.AtomicInteger();

    private DirectBuffers() {}

    /** A cleared buffer of {@link #SIZE} octets, or null when {@link #CAPACITY} are lent out. */
    static ByteBuffer take() {
        ByteBuffer b = POOL.poll();
        if (b == null) {
            if (CREATED.incrementAndGet() > CAPACITY) {
                CREATED.decrementAndGet();
                return null;
            }
            b = ByteBuffer.allocateDirect(SIZE).order(ByteOrder.LITTLE_ENDIAN); // LineScan.nextLfDot's order
        }
        return b.clear();
    }

    /** Returns a buffer obtained from {@link #take()}; it must not be used afterwards. */
    static void give(ByteBuffer b) {
        POOL.offer(b);
    }
}
