package dev.postoffice.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks POP3 credentials (USER/PASS, APOP, and for SASL: passwords, CRAM-MD5 and SCRAM credentials) against a
 * {@link UserDirectory}.
 *
 * <p>Unknown users and wrong passwords give the same {@link AuthResult.Rejected} and cost about the same time:
 * for an unknown user the password is checked against a dummy secret of the {@linkplain
 * PasswordSchemes#DEFAULT_SCHEME default scheme}, computed once per JVM. (Users whose secret uses a cheaper or
 * dearer scheme take correspondingly less or more time.) Empty passwords are always rejected, as is APOP and
 * CRAM-MD5 for a user whose cleartext secret is empty. A failing directory gives {@link AuthResult.Unavailable}.
 *
 * <p><b>Hashing pool.</b> Password verification (the dummy verification for unknown users included) and the SCRAM
 * key derivation of {@link #scram} do not run on the calling thread but on a small process-wide pool of platform
 * daemon threads named {@code postoffice-hash-N}, as many as the machine has processors (at least 2). The pool's
 * size also bounds how many hashes run at once (one ARGON2ID check holds 64 MiB); further requests queue in
 * arrival order. The server runs one virtual thread per connection, and a hash computed on it would occupy one of
 * the few carrier threads for up to a quarter of a second, so that cheap commands of other sessions would wait
 * behind it. The caller waits for the result (a virtual thread without holding its carrier). An interrupt does not
 * abandon the work: the caller still waits for the outcome and returns it with its interrupt status set. Errors
 * and runtime exceptions of the work are rethrown to the caller as they are.
 *
 * <p><b>Authentication cache.</b> USER/PASS and the SASL mechanisms that carry a password (PLAIN, LOGIN) go through
 * {@link #checkPassword}, which remembers successful checks for a short time, as Dovecot's auth cache does:
 * {@link #DEFAULT_CACHE_TTL} unless constructed with another TTL; {@link Duration#ZERO} turns the cache off. Every
 * check still looks the user up in the directory first. A remembered success counts only before it expires, only
 * while the user's stored secret is exactly the one it was verified against (so a password change takes effect at
 * once), and only for exactly the same password. Failures are never remembered: a wrong password always costs the
 * full verification, and unknown users are never cached. An entry holds the stored secret as the directory
 * returned it, an HMAC-SHA-256 of the user name and password under a random key made once per process (never the
 * password), and the expiry. At most {@value #MAX_CACHE_ENTRIES} users are remembered; when the cache is full of
 * live entries, further successes are simply not remembered.
 *
 * <p>The cache's security trade-off: while an entry lives, the process memory holds a keyed HMAC of that user's
 * password, so someone able to read the memory (where the key is too) could test guesses at the speed of
 * HMAC-SHA-256 rather than that of the stored scheme, for that user. Entries are in memory only and never logged
 * or written anywhere; an entry stops counting at its expiry and is dropped then by the user's next login or by a
 * sweep that runs at most once per TTL while logins happen. A success served from the cache is faster than a
 * verification, which only a client that sent the right password can observe.
 */
public final class Authenticator implements AuthService {
    private static final int MD5_BYTES = 16;

    /** How long a successful password check is remembered unless a constructor says otherwise: 60 seconds. */
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(60);

    /** At most this many users' successful checks are remembered at once. */
    static final int MAX_CACHE_ENTRIES = 10_000;

    /**
     * Holds the dummy secret, computed on first use of the class by {@link #Authenticator}, and the per-process key
     * that cleartext users' SCRAM salts are derived from.
     */
    private static final class Dummy {
        static final String SECRET;
        static final String CLEARTEXT;
        static final byte[] SALT_KEY = new byte[32];
        /** Keys the cache's HMACs of passwords. */
        static final byte[] CACHE_KEY = new byte[32];

        static {
            SecureRandom random = new SecureRandom();
            byte[] bytes = new byte[24];
            random.nextBytes(bytes);
            random.nextBytes(SALT_KEY);
            random.nextBytes(CACHE_KEY);
            CLEARTEXT = HexFormat.of().formatHex(bytes);
            SECRET = PasswordSchemes.encode(PasswordSchemes.DEFAULT_SCHEME, CLEARTEXT);
        }
    }

    /** A remembered success: the secret it was verified against, the HMAC of the password, the expiry (nanos). */
    private record CacheEntry(String secret, byte[] tag, long expiresAt) {}

    private final UserDirectory directory;
    /** 0: no cache. */
    private final long cacheTtlNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, CacheEntry> cache = new ConcurrentHashMap<>();
    /** Held to add a user to the cache, so that the bound is never exceeded; replacing an entry needs no lock. */
    private final ReentrantLock cacheGrowth = new ReentrantLock();
    private final AtomicLong nextSweep;
    /** Full verifications {@link #checkPassword} did, as opposed to answers from the cache; for tests. */
    private final AtomicLong verifications = new AtomicLong();

    /**
     * Authenticates against {@code directory}, remembering successful password checks for
     * {@link #DEFAULT_CACHE_TTL}; computes the dummy secret now if this is the first instance.
     */
    public Authenticator(UserDirectory directory) {
        this(directory, DEFAULT_CACHE_TTL);
    }

    /**
     * Authenticates against {@code directory}, remembering successful password checks for {@code cacheTtl}.
     *
     * @param cacheTtl how long a successful {@link #checkPassword} is remembered; {@link Duration#ZERO} disables
     *                 the cache, and more than a year counts as a year
     * @throws IllegalArgumentException if {@code cacheTtl} is negative
     */
    public Authenticator(UserDirectory directory, Duration cacheTtl) {
        this(directory, cacheTtl, System::nanoTime);
    }

    /** For tests: {@code nanoClock} stands in for {@link System#nanoTime()}. */
    Authenticator(UserDirectory directory, Duration cacheTtl, LongSupplier nanoClock) {
        this.directory = Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(cacheTtl, "cacheTtl");
        if (cacheTtl.isNegative()) {
            throw new IllegalArgumentException("Cache TTL must not be negative: " + cacheTtl);
        }
        // Saturated far below overflow, so that "expiresAt - now" comparisons stay correct.
        this.cacheTtlNanos = cacheTtl.compareTo(Duration.ofDays(365)) > 0
                ? Duration.ofDays(365).toNanos() : cacheTtl.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.nextSweep = new AtomicLong(nanoClock.getAsLong() + cacheTtlNanos);
        Objects.requireNonNull(Dummy.SECRET);
    }

    /**
     * USER/PASS (and SASL PLAIN and LOGIN): checks {@code password} against the user's stored secret, or answers
     * from the cache when the same password succeeded against the same stored secret within the TTL.
     *
     * @return {@link AuthResult.Success} with the user's account, {@link AuthResult.Rejected} for an unknown user,
     *         a wrong or empty password, or {@link AuthResult.Unavailable} if the directory failed
     */
    @Override
    public AuthResult checkPassword(String user, String password) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Optional<UserRecord> record;
        try {
            record = directory.find(user);
        } catch (IOException | UncheckedIOException e) {
            return unavailable(e);
        }
        String secret = record.map(UserRecord::secret).orElse(Dummy.SECRET);
        // Computed for unknown users and users without an entry too, so that the work before the verification
        // does not depend on who logged in lately.
        byte[] tag = cacheTtlNanos > 0 && !password.isEmpty() ? cacheTag(user, password) : null;
        if (tag != null) {
            sweepIfDue();
            if (record.isPresent() && cached(user, secret, tag)) {
                return new AuthResult.Success(record.get().account());
            }
        }
        verifications.incrementAndGet();
        boolean matches = verifyBounded(password, secret);
        if (matches && record.isPresent() && !password.isEmpty()) {
            if (tag != null) {
                remember(user, new CacheEntry(secret, tag, nanoClock.getAsLong() + cacheTtlNanos));
            }
            return new AuthResult.Success(record.get().account());
        }
        return new AuthResult.Rejected();
    }

    /** Whether a live entry for {@code user} was made with {@code secret} and the password {@code tag} stands for. */
    private boolean cached(String user, String secret, byte[] tag) {
        CacheEntry entry = cache.get(user);
        if (entry == null) {
            return false;
        }
        if (nanoClock.getAsLong() - entry.expiresAt() >= 0 || !entry.secret().equals(secret)) {
            cache.remove(user, entry); // expired, or the password was changed: it can never count again
            return false;
        }
        return MessageDigest.isEqual(entry.tag(), tag);
    }

    private void remember(String user, CacheEntry entry) {
        if (cache.replace(user, entry) != null) {
            return;
        }
        cacheGrowth.lock();
        try {
            if (cache.size() >= MAX_CACHE_ENTRIES) {
                sweep(nanoClock.getAsLong());
            }
            if (cache.size() < MAX_CACHE_ENTRIES) {
                cache.put(user, entry);
            }
        } finally {
            cacheGrowth.unlock();
        }
    }

    /** Drops expired entries, at most once per TTL, so that they do not stay in memory long after expiry. */
    private void sweepIfDue() {
        long now = nanoClock.getAsLong();
        long due = nextSweep.get();
        if (now - due >= 0 && nextSweep.compareAndSet(due, now + cacheTtlNanos)) {
            sweep(now);
        }
    }

    private void sweep(long now) {
        cache.values().removeIf(e -> now - e.expiresAt() >= 0);
    }

    /** How many users the cache holds now, expired entries not yet dropped included; for tests. */
    int cacheSize() {
        return cache.size();
    }

    /** How many full verifications {@link #checkPassword} has done; for tests. */
    long verifications() {
        return verifications.get();
    }

    /**
     * HMAC-SHA-256 under the per-process {@link Dummy#CACHE_KEY} of the user name and the password, both as their
     * UTF-16 code units (lossless for any string, unpaired surrogates included, unlike UTF-8 encoding).
     */
    private static byte[] cacheTag(String user, String password) {
        byte[] input = new byte[4 + 2 * user.length() + 2 * password.length()];
        int o = 0;
        input[o++] = (byte) (user.length() >>> 24);
        input[o++] = (byte) (user.length() >>> 16);
        input[o++] = (byte) (user.length() >>> 8);
        input[o++] = (byte) user.length();
        for (String s : new String[] {user, password}) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                input[o++] = (byte) (c >>> 8);
                input[o++] = (byte) c;
            }
        }
        try {
            return CacheMac.get().doFinal(input);
        } finally {
            Arrays.fill(input, (byte) 0);
        }
    }

    /** Keyed HMAC instances for {@link #cacheTag}: a clone of one initialised prototype, which is never used. */
    private static final class CacheMac {
        private static final Mac PROTOTYPE = newMac();

        private static Mac newMac() {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(Dummy.CACHE_KEY, "HmacSHA256"));
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JRE", e);
            }
        }

        static Mac get() {
            try {
                return (Mac) PROTOTYPE.clone();
            } catch (CloneNotSupportedException e) {
                return newMac(); // a provider whose HMAC cannot be cloned: key it afresh
            }
        }
    }

    /**
     * APOP (RFC 1939): accepts when {@code hexDigest} is the MD5 of {@code timestamp} followed by the user's
     * cleartext secret. Only users whose stored secret is cleartext (PLAIN and its aliases) can use APOP; for
     * everyone else, and for unknown users, the result is {@link AuthResult.Rejected} after the same work.
     *
     * @param timestamp the greeting's timestamp exactly as sent, angle brackets included
     * @param hexDigest 32 hex digits (RFC 1939 says lower case; upper case is accepted too)
     */
    @Override
    public AuthResult checkApop(String user, String timestamp, String hexDigest) {
        Objects.requireNonNull(timestamp, "timestamp");
        return checkSharedSecretDigest(user, hexDigest, secret -> md5(timestamp + secret));
    }

    /**
     * CRAM-MD5 (RFC 2195): accepts when {@code hexDigest} is the HMAC-MD5 of {@code challenge} keyed with the user's
     * cleartext secret, compared in constant time. As with APOP, only users with a non-empty cleartext secret can
     * succeed; everyone else, unknown users included, is {@link AuthResult.Rejected} after the same work.
     *
     * @param challenge the challenge exactly as sent, angle brackets included
     * @param hexDigest 32 hex digits
     */
    public AuthResult checkCramMd5(String user, String challenge, String hexDigest) {
        Objects.requireNonNull(challenge, "challenge");
        return checkSharedSecretDigest(user, hexDigest, secret -> hmacMd5(secret, challenge));
    }

    /**
     * APOP and CRAM-MD5: the client proves knowledge of the cleartext secret with a 16-octet digest. Users
     * without a non-empty cleartext secret, and unknown users, are rejected after computing the digest of a
     * dummy secret, so the work is the same.
     */
    private AuthResult checkSharedSecretDigest(String user, String hexDigest,
                                               java.util.function.Function<String, byte[]> digestOfSecret) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(hexDigest, "hexDigest");
        Optional<UserRecord> record;
        try {
            record = directory.find(user);
        } catch (IOException | UncheckedIOException e) {
            return unavailable(e);
        }
        Optional<String> cleartext = record.flatMap(r -> PasswordSchemes.plaintext(r.secret()))
                .filter(s -> !s.isEmpty());
        byte[] expected = digestOfSecret.apply(cleartext.orElse(Dummy.CLEARTEXT));
        Optional<byte[]> given = parseDigest(hexDigest);
        boolean matches = MessageDigest.isEqual(expected, given.orElseGet(() -> new byte[MD5_BYTES]));
        if (matches && given.isPresent() && cleartext.isPresent()) {
            return new AuthResult.Success(record.get().account());
        }
        return new AuthResult.Rejected();
    }

    /**
     * SCRAM credentials of {@code user} for {@code scheme}: the stored ones when the user's secret is SCRAM of that
     * hash; for a user with a non-empty cleartext secret, credentials derived from it now, with
     * {@value ScramSecret#DEFAULT_ITERATIONS} iterations and a salt derived from a per-process random key and the
     * user name (so it is stable while the process runs); otherwise (unknown user, other scheme) empty. Every call
     * costs one key derivation of {@value ScramSecret#DEFAULT_ITERATIONS} iterations, whatever the outcome, done on
     * the hashing pool.
     *
     * @param scheme {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256}, case-insensitive
     * @throws IOException              if the directory cannot be read
     * @throws IllegalArgumentException if {@code scheme} is not a SCRAM scheme
     */
    public Optional<ScramSecret> scram(String user, String scheme) throws IOException {
        Objects.requireNonNull(user, "user");
        ScramAlgorithm algorithm = ScramAlgorithm.forScheme(Objects.requireNonNull(scheme, "scheme"))
                .orElseThrow(() -> new IllegalArgumentException("Not a SCRAM scheme"));
        Optional<UserRecord> record = find(user);
        Optional<ScramSecret> stored = record.flatMap(r -> PasswordSchemes.scram(r.secret(), algorithm.scheme));
        Optional<String> cleartext = record.filter(r -> stored.isEmpty())
                .flatMap(r -> PasswordSchemes.plaintext(r.secret()))
                .filter(s -> !s.isEmpty());
        String password = cleartext.orElse(Dummy.CLEARTEXT);
        byte[] salt = derivedSalt(algorithm, user);
        ScramSecret derived = onHashPool(() -> ScramSecret.deriveLeniently(algorithm, password, salt,
                ScramSecret.DEFAULT_ITERATIONS));
        if (stored.isPresent()) {
            return stored;
        }
        return cleartext.map(c -> derived);
    }

    /**
     * The account of a user who authenticated by other means: a verified SCRAM proof, a validated bearer token,
     * or an authorization identity a master user asked for.
     *
     * @return {@link AuthResult.Success}, {@link AuthResult.Rejected} for an unknown user, or
     *         {@link AuthResult.Unavailable}
     */
    public AuthResult authorize(String user) {
        Objects.requireNonNull(user, "user");
        try {
            return directory.find(user)
                    .<AuthResult>map(r -> new AuthResult.Success(r.account()))
                    .orElseGet(AuthResult.Rejected::new);
        } catch (IOException | UncheckedIOException e) {
            return unavailable(e);
        }
    }

    /**
     * What the directory's users can use ({@link UserDirectory#capabilities()}); {@link DirectoryCapabilities#ALL}
     * when the directory cannot be read now, since logins then fail with {@link AuthResult.Unavailable} anyway.
     */
    public DirectoryCapabilities capabilities() {
        try {
            return directory.capabilities();
        } catch (IOException | UncheckedIOException e) {
            return DirectoryCapabilities.ALL;
        }
    }

    private Optional<UserRecord> find(String user) throws IOException {
        try {
            return directory.find(user);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static byte[] derivedSalt(ScramAlgorithm algorithm, String user) {
        byte[] input = (algorithm.scheme + "\0" + user).getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(ScramAlgorithm.SHA_256.hmac(Dummy.SALT_KEY, input), ScramSecret.SALT_BYTES);
    }

    private static byte[] hmacMd5(String key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacMD5"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacMD5 is missing from this JRE", e);
        }
    }

    /**
     * Password hashing is deliberately expensive: one ARGON2ID verification takes 64 MiB of heap and a
     * core for a quarter of a second. At most this many run at once in the process (the size of the hashing
     * pool), so a burst of logins queues instead of exhausting memory.
     */
    static final int MAX_CONCURRENT_VERIFICATIONS = Math.max(2, Runtime.getRuntime().availableProcessors());

    /** Prefix of the names of the hashing pool's threads, which are numbered from 0. */
    static final String HASH_THREAD_PREFIX = "postoffice-hash-";

    /** The hashing pool, started on first use: fixed size, unbounded FIFO queue, daemon platform threads. */
    private static final class HashPool {
        static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(MAX_CONCURRENT_VERIFICATIONS,
                Thread.ofPlatform().name(HASH_THREAD_PREFIX, 0).daemon(true).factory());
    }

    /**
     * Runs {@code work} on the hashing pool and waits for its result. An interrupt does not stop the wait (the work
     * is not abandoned halfway); the interrupt status is set again before returning. What the work throws is
     * rethrown as it is.
     */
    static <T> T onHashPool(Supplier<T> work) {
        Callable<T> task = work::get;
        Future<T> future = HashPool.EXECUTOR.submit(task);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause); // unreachable: a Supplier throws nothing checked
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The schemes of the secrets verified so far, in order; for tests that check the work is the same. */
    static final java.util.Queue<String> VERIFIED_SCHEMES = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The threads that did those verifications; for tests that check it is not the caller. */
    static final java.util.Queue<Thread> VERIFYING_THREADS = new java.util.concurrent.ConcurrentLinkedQueue<>();
    static volatile boolean recordSchemes;

    private static boolean verifyBounded(String password, String secret) {
        boolean record = recordSchemes;
        if (record) {
            VERIFIED_SCHEMES.add(secret.startsWith("{") ? secret.substring(0, secret.indexOf('}') + 1) : "");
        }
        return onHashPool(() -> {
            if (record) {
                VERIFYING_THREADS.add(Thread.currentThread());
            }
            return PasswordSchemes.verify(password, secret);
        });
    }

    private static AuthResult unavailable(Exception e) {
        return new AuthResult.Unavailable("user directory failed: " + e);
    }

    /** The digest's bytes; empty unless it is exactly 32 hex digits. */
    private static Optional<byte[]> parseDigest(String hex) {
        if (hex.length() != 2 * MD5_BYTES) {
            return Optional.empty();
        }
        try {
            return Optional.of(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static byte[] md5(String s) {
        try {
            return MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JRE", e);
        }
    }
}
