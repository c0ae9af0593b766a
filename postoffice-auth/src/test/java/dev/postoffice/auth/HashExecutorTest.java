package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hashing pool: where the expensive work runs, its bound, interrupts, exceptions. */
class HashExecutorTest {
    private static final String P1 = DovecotVectors.P1;
    private static final String SHA512 = DovecotVectors.ALL.stream()
            .filter(v -> v.label().equals("SHA512-CRYPT") && v.password().equals(P1))
            .findFirst().orElseThrow().secret();

    /** A pool of its own per test, as the server has one per process. */
    private final HashExecutor pool = new HashExecutor();

    @AfterEach
    void closePool() {
        pool.close();
    }

    private static final UserDirectory DIRECTORY = name -> name.equals("alice")
            ? Optional.of(new UserRecord("alice", SHA512, Optional.empty(), Map.of()))
            : Optional.empty();

    /** Runs {@code body} on a virtual thread, as the server runs sessions, and rethrows what it threw. */
    private static void onVirtualThread(ThrowingRunnable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        assertThat(thread.join(Duration.ofMinutes(2))).isTrue();
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        if (failure.get() instanceof Error e) {
            throw e;
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void passwordsAreVerifiedOnThePoolNotOnTheCallersThread() throws Exception {
        Queue<Thread> verifyingThreads = new ConcurrentLinkedQueue<>();
        AuthService auth = new LoginCache(new CredentialVerifier(DIRECTORY, pool, Optional.empty(),
                scheme -> verifyingThreads.add(Thread.currentThread())), Duration.ZERO);
        onVirtualThread(() -> {
            assertThat(auth.checkPassword("alice", P1)).isInstanceOf(AuthResult.Success.class);
            assertThat(auth.checkPassword("alice", "wrong")).isEqualTo(new AuthResult.Rejected());
            assertThat(auth.checkPassword("nobody", P1)).isEqualTo(new AuthResult.Rejected());
        });
        assertThat(verifyingThreads).hasSize(3).allSatisfy(HashExecutorTest::isPoolThread);
    }

    @Test
    void workRunsOnADaemonPlatformThreadOfThePool() {
        Thread thread = pool.run(Thread::currentThread);
        isPoolThread(thread);
    }

    private static void isPoolThread(Thread thread) {
        assertThat(thread.getName()).startsWith(HashExecutor.THREAD_PREFIX);
        assertThat(thread.isVirtual()).isFalse();
        assertThat(thread.isDaemon()).isTrue();
    }

    @Test
    void atMostMaxConcurrentVerificationsRunAtOnce() throws Exception {
        int max = pool.size();
        int callers = 3 * max;
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        CountDownLatch fullyBusy = new CountDownLatch(max);
        CountDownLatch release = new CountDownLatch(1);
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            threads.add(Thread.ofVirtual().start(() -> pool.run(() -> {
                workers.add(Thread.currentThread());
                peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                fullyBusy.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                running.decrementAndGet();
                return null;
            })));
        }
        assertThat(fullyBusy.await(1, TimeUnit.MINUTES)).isTrue();
        release.countDown();
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofMinutes(1))).isTrue();
        }
        assertThat(peak).hasValue(max);
        assertThat(workers).hasSizeLessThanOrEqualTo(max).allSatisfy(HashExecutorTest::isPoolThread);
    }

    @Test
    void anInterruptedCallerWaitsForTheResultAndKeepsItsInterruptStatus() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Object> result = new AtomicReference<>();
        AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            result.set(pool.run(() -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return "done";
            }));
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        assertThat(started.await(1, TimeUnit.MINUTES)).isTrue();
        caller.interrupt();
        release.countDown();
        assertThat(caller.join(Duration.ofMinutes(1))).isTrue();
        assertThat(result).hasValue("done");
        assertThat(interruptedAfter).hasValue(true);
    }

    @Test
    void aCallerInterruptedBeforehandStillGetsTheRightAnswer() throws Exception {
        AuthService auth = new LoginCache(new CredentialVerifier(DIRECTORY, pool), Duration.ZERO);
        onVirtualThread(() -> {
            Thread.currentThread().interrupt();
            assertThat(auth.checkPassword("alice", P1)).isInstanceOf(AuthResult.Success.class);
            assertThat(Thread.interrupted()).isTrue();
            Thread.currentThread().interrupt();
            assertThat(auth.checkPassword("alice", "wrong")).isEqualTo(new AuthResult.Rejected());
            assertThat(Thread.interrupted()).isTrue();
        });
    }

    @Test
    void whatTheWorkThrowsReachesTheCallerUnchanged() {
        IllegalStateException runtime = new IllegalStateException("bug");
        assertThat(catchThrowable(() -> pool.run(() -> {
            throw runtime;
        }))).isSameAs(runtime);
        OutOfMemoryError error = new OutOfMemoryError("test");
        assertThat(catchThrowable(() -> pool.run(() -> {
            throw error;
        }))).isSameAs(error);
        // The pool survives both.
        assertThat(pool.run(() -> 42)).isEqualTo(42);
    }

    @Test
    void malformedSecretsAreStillJustRejected() {
        UserDirectory broken = name -> Optional.of(new UserRecord(name, "{SHA512-CRYPT}$6$", Optional.empty(),
                Map.of()));
        AuthService auth = new LoginCache(new CredentialVerifier(broken, pool));
        assertThat(auth.checkPassword("x", "pw")).isEqualTo(new AuthResult.Rejected());
        UserDirectory scrambled = name -> Optional.of(new UserRecord(name, "{SCRAM-SHA-256}4096,%%%,x,y",
                Optional.of(Path.of("/tmp")), Map.of()));
        assertThat(new LoginCache(new CredentialVerifier(scrambled, pool)).checkPassword("x", "pw")).isEqualTo(new AuthResult.Rejected());
    }

    @Test
    void aClosedPoolRefusesWorkAndAPoolNeedsAThread() {
        HashExecutor closed = new HashExecutor(1);
        assertThat(closed.size()).isEqualTo(1);
        closed.close();
        assertThat(catchThrowable(() -> closed.run(() -> 1))).isInstanceOf(RejectedExecutionException.class);
        assertThat(catchThrowable(() -> new HashExecutor(0))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anIdlePoolTakesABurstFromOneAddress() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        int burst = pool.perClientShare() * 3; // well under half the queue
        List<Thread> holders = hold(pool, "192.0.2.1", burst, release);
        release.countDown();
        for (Thread h : holders) {
            h.join();
        }
        assertThat(pool.inFlight("192.0.2.1")).isZero();
    }

    @Test
    void aThousandCheapChecksQueuedAtOnceAreAllTaken() throws Exception {
        // The soak's morning burst: 1,000 {PLAIN} logins from 250 addresses while the pool's threads are busy.
        for (int i = 0; i < 8; i++) {
            assertThat(pool.run(() -> PasswordSchemes.verify("secret", "{PLAIN}secret"))).isTrue();
        }
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> holders = hold(pool, "192.0.2.250", pool.size(), release);
        AtomicInteger refused = new AtomicInteger();
        List<Thread> burst = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String address = "198.51.100." + (i % 250);
            burst.add(Thread.ofVirtual().start(() -> {
                HashExecutor.bindClient(address, () -> false);
                try {
                    pool.run(() -> PasswordSchemes.verify("secret", "{PLAIN}secret"));
                } catch (HashExecutor.Refused e) {
                    refused.incrementAndGet();
                }
            }));
        }
        while (pool.inFlight() + refused.get() < pool.size() + 1000) {
            Thread.sleep(10);
        }
        release.countDown();
        for (Thread t : burst) {
            t.join();
        }
        for (Thread h : holders) {
            h.join();
        }
        assertThat(refused).as("a backlog of cheap checks takes the pool well under its wait bound").hasValue(0);
    }

    @Test
    void aBacklogOfSlowHashesIsCutWhereItWouldTakeLongerThanTheWaitBound() throws Exception {
        HashExecutor pool = new HashExecutor(1, 1000, Duration.ofSeconds(1));
        try {
            pool.run(() -> { // the pool learns that a hash takes 200 ms or more
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            });
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> holders = hold(pool, "192.0.2.1", 1, release);
            AtomicInteger refused = new AtomicInteger();
            List<Thread> waiting = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                waiting.add(Thread.ofVirtual().start(() -> {
                    try {
                        pool.run(() -> true);
                    } catch (HashExecutor.Refused e) {
                        assertThat(e).hasMessageContaining("queue is full");
                        refused.incrementAndGet();
                    }
                }));
            }
            while (pool.inFlight() + refused.get() < 11) {
                Thread.sleep(10);
            }
            // 6 or more in flight are at least 1.2 s of work for one thread: over the bound, however fast the machine.
            assertThat(refused.get()).as("cut by the wait bound, far below the queue's 1,000").isGreaterThanOrEqualTo(6);
            release.countDown();
            for (Thread t : waiting) {
                t.join();
            }
            for (Thread h : holders) {
                h.join();
            }
            assertThat(pool.run(() -> true)).as("the pool serves again once the backlog is gone").isTrue();
        } finally {
            pool.close();
        }
    }

    @Test
    void oneAddressGetsOnlyItsShareOfABusyQueue() throws Exception {
        // One thread, a share of 2, room for 3: the third hash in flight makes the queue busy.
        HashExecutor pool = new HashExecutor(1, 3);
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> holders = hold(pool, "192.0.2.1", pool.perClientShare(), release);
        try {
            onVirtualThread(() -> {
                HashExecutor.bindClient("192.0.2.1", () -> false);
                assertThat(catchThrowable(() -> pool.run(() -> true))).isInstanceOf(HashExecutor.Refused.class)
                        .hasMessageContaining("share");
            });
            AtomicReference<Boolean> other = new AtomicReference<>();
            Thread t = Thread.ofVirtual().start(() -> {
                HashExecutor.bindClient("198.51.100.7", () -> false);
                other.set(pool.run(() -> true));
            });
            release.countDown();
            t.join();
            assertThat(other.get()).as("another address still gets its hash").isTrue();
        } finally {
            release.countDown();
            for (Thread h : holders) {
                h.join();
            }
        }
        assertThat(pool.inFlight("192.0.2.1")).isZero();
        pool.close();
    }

    @Test
    void workOfAClientThatHasGoneIsDroppedUnrun() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        onVirtualThread(() -> {
            HashExecutor.bindClient("192.0.2.1", () -> true);
            assertThat(catchThrowable(() -> pool.run(ran::incrementAndGet))).isInstanceOf(HashExecutor.Refused.class);
        });
        assertThat(ran).hasValue(0);
    }

    @Test
    void queuedWorkOfAClientThatHangsUpIsTakenBackUnrun() throws Exception {
        HashExecutor pool = new HashExecutor(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> holders = hold(pool, "192.0.2.1", 1, release);
        AtomicInteger ran = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean hungUp = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try {
            Thread waiter = Thread.ofVirtual().start(() -> {
                HashExecutor.bindClient("198.51.100.7", () -> false, hungUp::get);
                thrown.set(catchThrowable(() -> pool.run(ran::incrementAndGet)));
            });
            while (pool.inFlight() < 2) {
                Thread.sleep(10);
            }
            hungUp.set(true);
            assertThat(waiter.join(Duration.ofSeconds(30))).as("the caller stops waiting while the pool is busy").isTrue();
            assertThat(thrown.get()).isInstanceOf(HashExecutor.Refused.class).hasMessageContaining("gone");
            assertThat(pool.inFlight()).isEqualTo(1);
        } finally {
            release.countDown();
            for (Thread h : holders) {
                h.join();
            }
            pool.close();
        }
        assertThat(ran).as("never run").hasValue(0);
    }

    @Test
    void aRefusedHashIsAnUnavailableLoginNotAFailure() throws Exception {
        AuthService auth = new CredentialVerifier(DIRECTORY, pool);
        onVirtualThread(() -> {
            HashExecutor.bindClient("192.0.2.1", () -> true);
            assertThat(auth.checkPassword("alice", P1)).isInstanceOf(AuthResult.Unavailable.class);
        });
    }

    @Test
    void concurrentArgon2ChecksFitTheHeapWhateverTheCoreCount() {
        long mib = 1024 * 1024;
        assertThat(new Argon2Memory(512 * mib).concurrentChecks(Argon2Hash.MEMORY_KIB)).isEqualTo(8);
        assertThat(new Argon2Memory(100 * mib).concurrentChecks(Argon2Hash.MEMORY_KIB)).isEqualTo(1);
        Argon2Memory small = new Argon2Memory(100 * mib);
        AtomicInteger ran = new AtomicInteger();
        assertThat(small.within(200 * 1024, () -> ran.incrementAndGet() > 0)).as("can never fit").isFalse();
        assertThat(ran).hasValue(0);
        assertThat(small.within(Argon2Hash.MEMORY_KIB, () -> small.freeMib() == 100 - 64)).isTrue();
        assertThat(small.freeMib()).isEqualTo(100);
        assertThat(Argon2Memory.HEAP.concurrentChecks(Argon2Hash.MEMORY_KIB))
                .isEqualTo((int) (Runtime.getRuntime().maxMemory() / 2 / mib / 64));
    }

    /** Starts {@code n} hashes for {@code client} that wait for {@code release}; returns once all are in flight. */
    private static List<Thread> hold(HashExecutor pool, String client, int n, CountDownLatch release)
            throws InterruptedException {
        List<Thread> holders = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            holders.add(Thread.ofVirtual().start(() -> {
                HashExecutor.bindClient(client, () -> false);
                pool.run(() -> {
                    try {
                        return release.await(2, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        return false;
                    }
                });
            }));
        }
        while (pool.inFlight(client) < n) {
            Thread.sleep(10);
        }
        return holders;
    }
}
