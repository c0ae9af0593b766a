package dev.postoffice.protocol;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Large buffers lent to sessions while they stream a message (RETR), shared by the whole process.
 *
 * <p>A session keeps only small buffers while it waits for commands, so ten thousand idle sessions stay
 * cheap; sending a big message through an 8 KB buffer, though, costs one write system call per 8 KB.
 * While a message is sent, a session borrows two {@value #SIZE}-octet arrays (one to read the stored
 * file into, one to gather the wire form in) and gives them back afterwards. The pool holds at most
 * {@link #CAPACITY} arrays; when it is empty a session allocates a new pair, and when it is full a
 * returned array is left to the garbage collector, so memory stays bounded by the pool plus the
 * sessions sending at that moment.
 */
final class BulkBuffers {
    /** Octets per array: large enough that a write hands the kernel a socket buffer's worth at a time. */
    static final int SIZE = 64 * 1024;

    /** The most arrays the pool keeps: {@value #SIZE} octets each, 8 per core, at least 16. */
    static final int CAPACITY = Math.max(16, 8 * Runtime.getRuntime().availableProcessors());

    private static final ArrayBlockingQueue<byte[]> POOL = new ArrayBlockingQueue<>(CAPACITY);

    private BulkBuffers() {}

    /** An array of {@link #SIZE} octets, from the pool when one is free; its content is arbitrary. */
    static byte[] take() {
        byte[] b = POOL.poll();
        return b != null ? b : new byte[SIZE];
    }

    /** Returns an array obtained from {@link #take()}; it must not be used afterwards. */
    static void give(byte[] b) {
        if (b.length == SIZE) {
            POOL.offer(b);
        }
    }

}
