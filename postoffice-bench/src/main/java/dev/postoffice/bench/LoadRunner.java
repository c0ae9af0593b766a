package dev.postoffice.bench;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs one scenario against one server: virtual-thread clients, each holding one user at a time.
 *
 * <p>Short-session scenarios (login, download, mixed) run {@code concurrency} clients back to back for the
 * warm-up and then the measured duration; at the end of the duration no new session starts, sessions in
 * flight get a short grace and are then cut off, and nothing that completes after the end is counted.
 * Held-session scenarios (idle, stat) log {@code concurrency} sessions in, at most {@code rampParallel} logins
 * at a time, hold them all for the duration (the measured window) and end each with NOOP and QUIT.
 *
 * <p>Memory is bounded: counters, one fixed-size {@link Histogram} per operation and one timeline sample
 * per second, whatever the number of sessions.
 *
 * <p>Longer than 400 lines because both kinds of scenario share one run's counters, histograms, timed steps and
 * error accounting; split apart, all of that would have to be passed between them.
 */
public final class LoadRunner {
    /**
     * @param concurrency     clients (short sessions) or sessions to hold (idle, stat)
     * @param intervalSeconds seconds between commands of a held session
     * @param rampParallel    held sessions logging in at the same time
     * @param maxSessions     stop starting sessions after this many (0: no limit); short-session scenarios
     * @param progress        where the once-a-second progress line goes, or null
     * @param sources         local addresses the connections are made from in turn; empty for the system's choice
     */
    public record Config(InetSocketAddress address, Scenario scenario, int concurrency, Duration duration,
            Duration warmup, int connectTimeoutMillis, int readTimeoutMillis, double intervalSeconds,
            int rampParallel, long maxSessions, long seed, PrintStream progress, List<InetAddress> sources) {
        public Config(InetSocketAddress address, Scenario scenario, int concurrency, Duration duration,
                Duration warmup, int connectTimeoutMillis, int readTimeoutMillis, double intervalSeconds,
                int rampParallel, long maxSessions, long seed, PrintStream progress) {
            this(address, scenario, concurrency, duration, warmup, connectTimeoutMillis, readTimeoutMillis,
                    intervalSeconds, rampParallel, maxSessions, seed, progress, List.of());
        }
    }

    /** One second of the run. */
    public record Sample(double t, String phase, long sessions, long commands, long bytesIn, long errors, int up) {}

    /** Counter values at one instant. */
    record Totals(long sessions, long failed, long commands, long bytesIn, long bytesOut, long messages,
            long messageOctets, long errors) {
        Totals minus(Totals o) {
            return new Totals(sessions - o.sessions, failed - o.failed, commands - o.commands,
                    bytesIn - o.bytesIn, bytesOut - o.bytesOut, messages - o.messages,
                    messageOctets - o.messageOctets, errors - o.errors);
        }
    }

    /** What held sessions did (idle and stat). */
    public record HoldOutcome(int target, int established, int upAtEnd, int failed, double rampSeconds) {}

    /** Everything the report needs. */
    public record Result(Config config, int users, Instant started, double measuredSeconds, Totals totals,
            EnumMap<Op, Histogram> latency, EnumMap<Op, Histogram> rampLatency, EnumMap<ErrorKind, Long> errors,
            List<String> errorSamples, List<Sample> timeline, HoldOutcome hold, String loadAverageAtStart) {}

    private static final int SMALL_BUFFER = 2048;
    private static final int LARGE_BUFFER = 64 * 1024;
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final int MAX_ERROR_SAMPLES = 10;

    private final Config config;
    private final LongAdder sessionsOk = new LongAdder();
    private final LongAdder sessionsFailed = new LongAdder();
    private final LongAdder commands = new LongAdder();
    private final LongAdder wireIn = new LongAdder();
    private final LongAdder wireOut = new LongAdder();
    private final LongAdder messages = new LongAdder();
    private final LongAdder messageOctets = new LongAdder();
    private final EnumMap<ErrorKind, LongAdder> errors = new EnumMap<>(ErrorKind.class);
    private final List<String> errorSamples = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger up = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();
    private final Set<Pop3Client> open = ConcurrentHashMap.newKeySet();
    private final List<Sample> timeline = Collections.synchronizedList(new ArrayList<>());
    private volatile EnumMap<Op, Histogram> latency = newHistograms();
    private volatile long deadline = Long.MAX_VALUE;
    private volatile boolean stopping;
    private volatile String phase = "run";

    public LoadRunner(Config config) {
        this.config = config;
        for (ErrorKind k : ErrorKind.values()) {
            errors.put(k, new LongAdder());
        }
    }

    /** Runs the scenario with these users; returns when every client has finished. */
    public Result run(List<UsersFile.Credentials> users) throws InterruptedException {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("no users");
        }
        if (config.scenario().holdsSessions() && users.size() < config.concurrency()) {
            throw new IllegalArgumentException(config.scenario().key() + " holds " + config.concurrency()
                    + " sessions at once and needs as many users; the users file has " + users.size());
        }
        return config.scenario().holdsSessions() ? runHeld(users) : runShort(users);
    }

    // ---- short sessions: login, download, mixed ----

    private Result runShort(List<UsersFile.Credentials> users) throws InterruptedException {
        String load = Report.loadAverage();
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        long warmupEnd = start + config.warmup().toNanos();
        long end = warmupEnd + config.duration().toNanos();
        UserPool pool = new UserPool(users);
        CountDownLatch done = new CountDownLatch(config.concurrency());
        phase = config.warmup().isZero() ? "run" : "warmup";
        Totals base = totals();
        Sampler sampler = new Sampler(start);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < config.concurrency(); i++) {
            int index = i;
            workers.add(Thread.ofVirtual().name("bench-" + i).start(() -> {
                try {
                    shortWorker(index, pool, end);
                } finally {
                    done.countDown();
                }
            }));
        }
        sampler.start();
        if (!config.warmup().isZero()) {
            done.await(Math.max(0, warmupEnd - System.nanoTime()), TimeUnit.NANOSECONDS);
            latency = newHistograms();
            base = totals();
            phase = "run";
        }
        long measureStart = warmupEnd;
        deadline = end;
        done.await(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        long measureEnd = Math.max(measureStart, Math.min(System.nanoTime(), end)); // --sessions may end it early
        Totals measured = totals().minus(base);
        EnumMap<Op, Histogram> measuredLatency = latency;
        stopping = true;
        phase = "stop";
        finish(done, workers);
        sampler.stop();
        return new Result(config, users.size(), startedAt, (measureEnd - measureStart) / 1e9, measured,
                measuredLatency, null, errorCounts(), List.copyOf(errorSamples), List.copyOf(timeline), null, load);
    }

    private void shortWorker(int index, UserPool pool, long end) {
        SplittableRandom random = new SplittableRandom(config.seed() * 1_000_003L + index);
        while (!stopping && System.nanoTime() < end) {
            if (config.maxSessions() > 0 && started.incrementAndGet() > config.maxSessions()) {
                return;
            }
            UsersFile.Credentials user;
            try {
                user = pool.take(end);
            } catch (InterruptedException e) {
                return;
            }
            if (user == null) {
                return;
            }
            try {
                switch (config.scenario()) {
                    case LOGIN -> loginSession(user);
                    case DOWNLOAD -> downloadSession(user);
                    default -> mixedSession(user, random);
                }
            } catch (Pop3Exception e) {
                failed(e);
                pause(10); // a server refusing connections must not turn the generator into a busy loop
            } finally {
                pool.release(user);
            }
        }
    }

    private void loginSession(UsersFile.Credentials user) throws Pop3Exception {
        long t0 = System.nanoTime();
        Pop3Client c = connect(SMALL_BUFFER, t0);
        try {
            login(c, user, t0);
            timed(Op.STAT, c::stat);
            record(Op.LOGIN_TO_STAT, System.nanoTime() - t0);
            quit(c, t0);
        } finally {
            close(c);
        }
    }

    private void downloadSession(UsersFile.Credentials user) throws Pop3Exception {
        long t0 = System.nanoTime();
        Pop3Client c = connect(LARGE_BUFFER, t0);
        try {
            login(c, user, t0);
            retrieveAll(c);
            quit(c, t0);
        } finally {
            close(c);
        }
    }

    /** A full download without DELE: LIST, UIDL, then RETR of every message. */
    private void retrieveAll(Pop3Client c) throws Pop3Exception {
        Pop3Client.Listing<Long> list = timed(Op.LIST, c::list);
        timed(Op.UIDL, c::uidl);
        for (int i = 0; i < list.size(); i++) {
            retr(c, list.numbers()[i], list.values().get(i));
        }
    }

    private void mixedSession(UsersFile.Credentials user, SplittableRandom random) throws Pop3Exception {
        int kind = random.nextInt(100);
        long t0 = System.nanoTime();
        Pop3Client c = connect(kind < 50 ? SMALL_BUFFER : LARGE_BUFFER, t0);
        try {
            if (kind >= 50 && kind < 90) {
                timed(Op.CAPA, c::capa);
            }
            login(c, user, t0);
            if (kind < 50) { // poll: anything new?
                timed(Op.STAT, c::stat);
                timed(Op.UIDL, c::uidl);
            } else if (kind < 75) { // fetch the newest few
                timed(Op.STAT, c::stat);
                timed(Op.UIDL, c::uidl);
                Pop3Client.Listing<Long> list = timed(Op.LIST, c::list);
                int n = Math.min(list.size(), 1 + random.nextInt(3));
                for (int i = list.size() - n; i < list.size(); i++) {
                    retr(c, list.numbers()[i], list.values().get(i));
                }
            } else if (kind < 90) { // header scan, as mutt does
                timed(Op.UIDL, c::uidl);
                Pop3Client.Listing<Long> list = timed(Op.LIST, c::list);
                for (int i = Math.max(0, list.size() - 10); i < list.size(); i++) {
                    int number = list.numbers()[i];
                    long octets = timed(Op.TOP, () -> c.top(number, 0));
                    counted(octets);
                }
            } else { // full download
                retrieveAll(c);
            }
            quit(c, t0);
        } finally {
            close(c);
        }
    }

    // ---- held sessions: idle, stat ----

    private Result runHeld(List<UsersFile.Credentials> users) throws InterruptedException {
        String load = Report.loadAverage();
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        int n = config.concurrency();
        CountDownLatch rampDone = new CountDownLatch(n);
        CountDownLatch holdStarted = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(n);
        Semaphore ramp = new Semaphore(Math.max(1, config.rampParallel()));
        AtomicInteger established = new AtomicInteger();
        AtomicInteger upAtEnd = new AtomicInteger();
        AtomicInteger failedSessions = new AtomicInteger();
        long[] hold = new long[2]; // start, end; written before holdStarted opens
        phase = "ramp";
        Sampler sampler = new Sampler(start);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            UsersFile.Credentials user = users.get(i);
            SplittableRandom random = new SplittableRandom(config.seed() * 1_000_003L + i);
            workers.add(Thread.ofVirtual().name("bench-" + i).start(() -> {
                try {
                    heldSession(user, random, ramp, rampDone, holdStarted, hold, established, upAtEnd, failedSessions);
                } finally {
                    done.countDown();
                }
            }));
        }
        sampler.start();
        long rampTimeout = Math.max(TimeUnit.SECONDS.toNanos(120), 2 * config.duration().toNanos());
        rampDone.await(rampTimeout, TimeUnit.NANOSECONDS);
        long holdStart = System.nanoTime();
        double rampSeconds = (holdStart - start) / 1e9;
        EnumMap<Op, Histogram> rampLatency = latency;
        latency = newHistograms();
        Totals base = totals();
        hold[0] = holdStart;
        hold[1] = holdStart + config.duration().toNanos();
        deadline = hold[1];
        phase = "hold";
        holdStarted.countDown();
        Thread.sleep(Duration.ofNanos(Math.max(0, hold[1] - System.nanoTime())));
        Totals measured = totals().minus(base);
        EnumMap<Op, Histogram> measuredLatency = latency;
        phase = "quit";
        // Every held session now checks it is still up with NOOP and quits.
        done.await(Math.max(10, config.readTimeoutMillis() / 1000 + 5), TimeUnit.SECONDS);
        stopping = true;
        finish(done, workers);
        sampler.stop();
        HoldOutcome outcome = new HoldOutcome(n, established.get(), upAtEnd.get(), failedSessions.get(), rampSeconds);
        return new Result(config, users.size(), startedAt, (hold[1] - hold[0]) / 1e9, measured, measuredLatency,
                rampLatency, errorCounts(), List.copyOf(errorSamples), List.copyOf(timeline), outcome, load);
    }

    private void heldSession(UsersFile.Credentials user, SplittableRandom random, Semaphore ramp,
            CountDownLatch rampDone, CountDownLatch holdStarted, long[] hold, AtomicInteger established,
            AtomicInteger upAtEnd, AtomicInteger failedSessions) {
        Pop3Client c = null;
        try {
            ramp.acquireUninterruptibly();
            try {
                long t0 = System.nanoTime();
                c = connect(SMALL_BUFFER, t0);
                login(c, user, t0);
                Pop3Client client = c;
                timed(Op.STAT, client::stat);
                record(Op.LOGIN_TO_STAT, System.nanoTime() - t0);
                established.incrementAndGet();
            } finally {
                ramp.release();
                rampDone.countDown();
            }
            holdStarted.await();
            Pop3Client client = c;
            long interval = Math.max(1, (long) (config.intervalSeconds() * 1e9));
            long next = hold[0] + (long) (random.nextDouble() * interval);
            while (next < hold[1] && !stopping) {
                sleepUntil(next);
                if (config.scenario() == Scenario.STAT) {
                    timed(Op.STAT, client::stat);
                } else {
                    timed(Op.NOOP, client::noop);
                }
                next += interval;
            }
            sleepUntil(hold[1]);
            client.noop(); // still up at the end of the hold?
            upAtEnd.incrementAndGet();
            quit(client, System.nanoTime());
        } catch (Pop3Exception e) {
            failedSessions.incrementAndGet();
            failed(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (c != null) {
                close(c);
            }
        }
    }

    // ---- shared steps ----

    @FunctionalInterface
    private interface Step<T> {
        T run() throws Pop3Exception;
    }

    @FunctionalInterface
    private interface VoidStep {
        void run() throws Pop3Exception;
    }

    private final java.util.concurrent.atomic.AtomicLong nextSource = new java.util.concurrent.atomic.AtomicLong();

    private Pop3Client connect(int bufferSize, long t0) throws Pop3Exception {
        List<InetAddress> sources = config.sources();
        InetAddress from = sources.isEmpty() ? null
                : sources.get((int) Math.floorMod(nextSource.getAndIncrement(), (long) sources.size()));
        Pop3Client c = Pop3Client.connect(config.address(), from, config.connectTimeoutMillis(),
                config.readTimeoutMillis(), bufferSize, wireIn);
        open.add(c);
        if (stopping) {
            close(c);
            throw new Pop3Exception(ErrorKind.CLOSED, "the run is over");
        }
        record(Op.CONNECT, System.nanoTime() - t0);
        return c;
    }

    private void login(Pop3Client c, UsersFile.Credentials user, long t0) throws Pop3Exception {
        timed(Op.USER, () -> c.user(user.name()));
        timed(Op.PASS, () -> c.pass(user.password()));
        up.incrementAndGet();
        record(Op.LOGIN, System.nanoTime() - t0);
    }

    private void quit(Pop3Client c, long t0) throws Pop3Exception {
        timed(Op.QUIT, c::quit);
        long now = System.nanoTime();
        if (now <= deadline) {
            sessionsOk.increment();
        }
        record(Op.SESSION, now - t0);
    }

    private void retr(Pop3Client c, int number, long size) throws Pop3Exception {
        long octets = timed(Op.RETR, () -> c.retr(number, size));
        counted(octets);
    }

    private void counted(long octets) {
        if (System.nanoTime() <= deadline) {
            messages.increment();
            messageOctets.add(octets);
        }
    }

    private <T> T timed(Op op, Step<T> step) throws Pop3Exception {
        long t = System.nanoTime();
        T value = step.run();
        long now = System.nanoTime();
        if (now <= deadline) {
            commands.increment();
        }
        record(op, now - t);
        return value;
    }

    private void timed(Op op, VoidStep step) throws Pop3Exception {
        timed(op, () -> {
            step.run();
            return null;
        });
    }

    private void record(Op op, long nanos) {
        if (System.nanoTime() <= deadline) {
            latency.get(op).record(nanos);
        }
    }

    private void close(Pop3Client c) {
        if (open.remove(c)) {
            wireOut.add(c.bytesOut());
            if (c.authenticated()) {
                up.decrementAndGet();
            }
        }
        c.close();
    }

    private void failed(Pop3Exception e) {
        if (stopping) {
            return; // cut off at the end of the run, not a server failure
        }
        errors.get(e.kind()).increment();
        sessionsFailed.increment();
        if (errorSamples.size() < MAX_ERROR_SAMPLES) {
            errorSamples.add(e.kind().key() + ": " + e.getMessage());
        }
    }

    /** Waits a short grace for sessions in flight, then cuts the rest off. */
    private void finish(CountDownLatch done, List<Thread> workers) throws InterruptedException {
        done.await(GRACE_NANOS, TimeUnit.NANOSECONDS);
        for (Pop3Client c : open) {
            c.close(); // the worker's own close() then does the accounting
        }
        for (Thread t : workers) {
            t.join(Duration.ofSeconds(5));
        }
    }

    private Totals totals() {
        long errorSum = 0;
        for (LongAdder a : errors.values()) {
            errorSum += a.sum();
        }
        return new Totals(sessionsOk.sum(), sessionsFailed.sum(), commands.sum(), wireIn.sum(), wireOut.sum(),
                messages.sum(), messageOctets.sum(), errorSum);
    }

    private EnumMap<ErrorKind, Long> errorCounts() {
        EnumMap<ErrorKind, Long> m = new EnumMap<>(ErrorKind.class);
        errors.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    private static EnumMap<Op, Histogram> newHistograms() {
        EnumMap<Op, Histogram> m = new EnumMap<>(Op.class);
        for (Op op : Op.values()) {
            m.put(op, new Histogram());
        }
        return m;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            Thread.sleep(Duration.ofNanos(left));
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Once a second: a timeline sample, and the progress line (overwritten with CR) on stderr. */
    private final class Sampler {
        private final long start;
        private final Thread thread;
        private volatile boolean running = true;
        private Totals last;

        Sampler(long start) {
            this.start = start;
            this.last = totals();
            this.thread = Thread.ofPlatform().daemon().name("bench-sampler").unstarted(this::loop);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join();
            sample();
            if (config.progress() != null) {
                config.progress().print("\n");
                config.progress().flush();
            }
        }

        private void loop() {
            long next = start + TimeUnit.SECONDS.toNanos(1);
            while (running) {
                try {
                    sleepUntil(next);
                } catch (InterruptedException e) {
                    return;
                }
                next += TimeUnit.SECONDS.toNanos(1);
                sample();
            }
        }

        private synchronized void sample() {
            long now = System.nanoTime();
            Totals t = totals();
            Totals d = t.minus(last);
            last = t;
            double at = (now - start) / 1e9;
            if (!timeline.isEmpty() && at - timeline.get(timeline.size() - 1).t() < 0.2) {
                return; // the final sample right after a regular one adds nothing
            }
            timeline.add(new Sample(Math.round(at * 1000) / 1000.0, phase, d.sessions(), d.commands(), d.bytesIn(),
                    d.errors(), up.get()));
            if (config.progress() != null) {
                String line = String.format(Locale.ROOT,
                        "\r[%s %s] %5.0fs  sessions %d (%d/s)  commands %d/s  %.1f MB/s  up %d  errors %d   ",
                        config.scenario().key(), phase, at, t.sessions(), d.sessions(), d.commands(),
                        d.bytesIn() / 1e6, up.get(), t.errors());
                config.progress().print(line);
                config.progress().flush();
            }
        }
    }
}
