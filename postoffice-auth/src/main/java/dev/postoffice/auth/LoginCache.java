package dev.postoffice.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A {@link CredentialVerifier} that remembers successful password checks for a short time, as Dovecot's auth cache
 * does; every other mechanism goes to the verifier as it is.
 *
 * <p>{@link #checkPassword} (USER/PASS, SASL PLAIN and LOGIN) still looks the user up in the directory first. A
 * remembered success counts only before it expires ({@link #DEFAULT_TTL} unless constructed with another TTL;
 * {@link Duration#ZERO} turns the cache off), only while the user's stored secret is exactly the one it was verified
 * against (so a password change takes effect at once), and only for exactly the same password. Failures are never
 * remembered: a wrong password always costs the full verification, and unknown users are never cached. An entry
 * holds the stored secret as the directory returned it, an HMAC-SHA-256 of the user name and password under a
 * random key of this instance (never the password), and the expiry. At most {@value #MAX_ENTRIES} users are
 * remembered; when the cache is full of live entries, further successes are simply not remembered.
 *
 * <p>The trade-off: while an entry lives, the process memory holds a keyed HMAC of that user's password, so someone
 * able to read the memory (where the key is too) could test guesses at the speed of HMAC-SHA-256 rather than that of
 * the stored scheme, for that user. Entries are never logged or written anywhere; an entry stops counting at its
 * expiry and is dropped then by the user's next login or by a sweep that runs at most once per TTL while logins
 * happen. A success served from the cache is faster than a verification, which only a client that sent the right
 * password can observe.
 */
public final class LoginCache implements AuthService {
    /** How long a successful password check is remembered unless a constructor says otherwise: 60 seconds. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);

    /** At most this many users' successful checks are remembered at once. */
    static final int MAX_ENTRIES = 10_000;

    /** A remembered success: the secret it was verified against, the HMAC of the password, the expiry (nanos). */
    private record Entry(String secret, byte[] tag, long expiresAt) {}

    private final CredentialVerifier verifier;
    /** 0: no cache. */
    private final long ttlNanos;
    private final LongSupplier nanoClock;
    /** Keys the HMACs of passwords; drawn at random per instance. */
    private final byte[] key = new byte[32];
    /** Keyed once; cloned per use, never used itself. */
    private final Mac macPrototype;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** Held to add a user, so that the bound is never exceeded; replacing an entry needs no lock. */
    private final ReentrantLock growth = new ReentrantLock();
    private final AtomicLong nextSweep;
    /** Full verifications {@link #checkPassword} did, as opposed to answers from the cache; for tests. */
    private final AtomicLong verifications = new AtomicLong();

    /** Remembers {@code verifier}'s successful password checks for {@link #DEFAULT_TTL}. */
    public LoginCache(CredentialVerifier verifier) {
        this(verifier, DEFAULT_TTL);
    }

    /**
     * Remembers {@code verifier}'s successful password checks for {@code ttl}.
     *
     * @param ttl {@link Duration#ZERO} disables the cache; more than a year counts as a year
     * @throws IllegalArgumentException if {@code ttl} is negative
     */
    public LoginCache(CredentialVerifier verifier, Duration ttl) {
        this(verifier, ttl, System::nanoTime);
    }

    /** For tests: {@code nanoClock} stands in for {@link System#nanoTime()}. */
    LoginCache(CredentialVerifier verifier, Duration ttl, LongSupplier nanoClock) {
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("Cache TTL must not be negative: " + ttl);
        }
        // Saturated far below overflow, so that "expiresAt - now" comparisons stay correct.
        this.ttlNanos = ttl.compareTo(Duration.ofDays(365)) > 0 ? Duration.ofDays(365).toNanos() : ttl.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.nextSweep = new AtomicLong(nanoClock.getAsLong() + ttlNanos);
        new SecureRandom().nextBytes(key);
        this.macPrototype = newMac(key);
    }

    /**
     * Answers from the cache when the same password succeeded against the same stored secret within the TTL;
     * otherwise as {@link CredentialVerifier#checkPassword}, remembering a success.
     */
    @Override
    public AuthResult checkPassword(String user, String password) {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Optional<UserRecord> record;
        try {
            record = verifier.directory().find(user);
        } catch (IOException | UncheckedIOException e) {
            return CredentialVerifier.unavailable(e);
        }
        // Computed for unknown users and users without an entry too, so that the work before the verification
        // does not depend on who logged in lately.
        byte[] tag = ttlNanos > 0 && !password.isEmpty() ? tag(user, password) : null;
        if (tag != null) {
            sweepIfDue();
            if (record.isPresent() && cached(user, record.get().secret(), tag)) {
                return new AuthResult.Success(record.get().account());
            }
        }
        verifications.incrementAndGet();
        AuthResult result = verifier.checkPassword(record, password);
        if (result instanceof AuthResult.Success && tag != null) {
            remember(user, new Entry(record.orElseThrow().secret(), tag, nanoClock.getAsLong() + ttlNanos));
        }
        return result;
    }

    /** Whether a live entry for {@code user} was made with {@code secret} and the password {@code tag} stands for. */
    private boolean cached(String user, String secret, byte[] tag) {
        Entry entry = entries.get(user);
        if (entry == null) {
            return false;
        }
        if (nanoClock.getAsLong() - entry.expiresAt() >= 0 || !entry.secret().equals(secret)) {
            entries.remove(user, entry); // expired, or the password was changed: it can never count again
            return false;
        }
        return MessageDigest.isEqual(entry.tag(), tag);
    }

    private void remember(String user, Entry entry) {
        if (entries.replace(user, entry) != null) {
            return;
        }
        growth.lock();
        try {
            if (entries.size() >= MAX_ENTRIES) {
                sweep(nanoClock.getAsLong());
            }
            if (entries.size() < MAX_ENTRIES) {
                entries.put(user, entry);
            }
        } finally {
            growth.unlock();
        }
    }

    /** Drops expired entries, at most once per TTL, so that they do not stay in memory long after expiry. */
    private void sweepIfDue() {
        long now = nanoClock.getAsLong();
        long due = nextSweep.get();
        if (now - due >= 0 && nextSweep.compareAndSet(due, now + ttlNanos)) {
            sweep(now);
        }
    }

    private void sweep(long now) {
        entries.values().removeIf(e -> now - e.expiresAt() >= 0);
    }

    /** How many users the cache holds now, expired entries not yet dropped included; for tests. */
    int size() {
        return entries.size();
    }

    /** How many full verifications {@link #checkPassword} has done; for tests. */
    long verifications() {
        return verifications.get();
    }

    /**
     * HMAC-SHA-256 under this instance's key of the user name and the password, both as their UTF-16 code units
     * (lossless for any string, unpaired surrogates included, unlike UTF-8 encoding).
     */
    private byte[] tag(String user, String password) {
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
            return mac().doFinal(input);
        } finally {
            Arrays.fill(input, (byte) 0);
        }
    }

    private Mac mac() {
        try {
            return (Mac) macPrototype.clone();
        } catch (CloneNotSupportedException e) {
            return newMac(key); // a provider whose HMAC cannot be cloned: key it afresh
        }
    }

    private static Mac newMac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JRE", e);
        }
    }

    // ---- every other mechanism: as the verifier answers ----

    @Override
    public AuthResult checkApop(String user, String timestamp, String digest) {
        return verifier.checkApop(user, timestamp, digest);
    }

    @Override
    public AuthResult checkCramMd5(String user, String challenge, String digest) {
        return verifier.checkCramMd5(user, challenge, digest);
    }

    @Override
    public Optional<ScramSecret> scram(String user, String scheme) throws IOException {
        return verifier.scram(user, scheme);
    }

    @Override
    public AuthResult authorize(String user) {
        return verifier.authorize(user);
    }

    @Override
    public boolean acceptsBearerTokens() {
        return verifier.acceptsBearerTokens();
    }

    @Override
    public AuthResult checkBearer(String token) {
        return verifier.checkBearer(token);
    }

    @Override
    public DirectoryCapabilities capabilities() {
        return verifier.capabilities();
    }
}
