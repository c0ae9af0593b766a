package dev.postoffice.bench;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands out users so that each maildrop has at most one session at a time: servers with an exclusive
 * maildrop lock refuse a second one. First in, first out, so a user just returned waits the longest
 * before its next session, which gives a server time to release its lock after QUIT.
 */
public final class UserPool {
    private final ArrayDeque<UsersFile.Credentials> free;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition available = lock.newCondition();

    public UserPool(List<UsersFile.Credentials> users) {
        this.free = new ArrayDeque<>(users);
    }

    /** The next free user, waiting until one is returned or the deadline passes (then null). */
    public UsersFile.Credentials take(long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (free.isEmpty()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                available.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return free.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Gives a user back once its session is over. */
    public void release(UsersFile.Credentials user) {
        lock.lock();
        try {
            free.addLast(user);
            available.signal();
        } finally {
            lock.unlock();
        }
    }
}
