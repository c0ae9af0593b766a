package dev.postoffice.auth;

/**
 * Which secret-dependent login methods a user directory can serve to at least one of its users, and to how many
 * ({@link Coverage}), so that a server advertises by default only what every user can use: APOP and CRAM-MD5 need
 * a cleartext secret; SCRAM needs stored SCRAM credentials of its hash, or a cleartext secret to derive them from.
 * Computed once per users-file (re)load.
 *
 * @param cleartext   some user has a non-empty PLAIN (CLEAR, CLEARTEXT) secret
 * @param scramSha1   some user has a {@code {SCRAM-SHA-1}} secret
 * @param scramSha256 some user has a {@code {SCRAM-SHA-256}} secret
 * @param minUserExpireDays the shortest per-user RFC 2449 EXPIRE ({@link Expire.Days}) in days, or empty when
 *                          no user has one
 * @param perUserExpire some user has an EXPIRE policy of their own ({@link Expire.Days} or {@link Expire.Never}),
 *                      so the policy varies per user
 * @param coverage      how many users can use each secret-dependent mechanism
 */
public record DirectoryCapabilities(boolean cleartext, boolean scramSha1, boolean scramSha256,
                                    java.util.Optional<Integer> minUserExpireDays, boolean perUserExpire,
                                    Coverage coverage) {
    /**
     * How many users there are, and how many of them can use CRAM-MD5 (and APOP), SCRAM-SHA-1 and SCRAM-SHA-256.
     */
    public record Coverage(int users, int cramMd5, int scramSha1, int scramSha256) {
        /** For a directory known only by its flags: as if it had one user who can use what is flagged. */
        static Coverage ofFlags(boolean cleartext, boolean sha1, boolean sha256) {
            return new Coverage(1, cleartext ? 1 : 0, sha1 || cleartext ? 1 : 0, sha256 || cleartext ? 1 : 0);
        }
    }

    public DirectoryCapabilities(boolean cleartext, boolean scramSha1, boolean scramSha256) {
        this(cleartext, scramSha1, scramSha256, java.util.Optional.empty(), false);
    }

    public DirectoryCapabilities(boolean cleartext, boolean scramSha1, boolean scramSha256,
                                 java.util.Optional<Integer> minUserExpireDays, boolean perUserExpire) {
        this(cleartext, scramSha1, scramSha256, minUserExpireDays, perUserExpire,
                Coverage.ofFlags(cleartext, scramSha1, scramSha256));
    }

    /** The capabilities of a directory's users: their secrets and their per-user EXPIRE policies. */
    public static DirectoryCapabilities ofUsers(java.util.Collection<UserRecord> users) {
        DirectoryCapabilities secrets = of(users.stream().map(UserRecord::secret).toList());
        java.util.Optional<Integer> min = java.util.Optional.empty();
        boolean perUser = false;
        for (UserRecord u : users) {
            switch (u.account().policy().expire()) {
                case Expire.ServerDefault d -> { }
                case Expire.Never n -> perUser = true;
                case Expire.Days d -> {
                    perUser = true;
                    if (min.isEmpty() || d.days() < min.get()) {
                        min = java.util.Optional.of(d.days());
                    }
                }
            }
        }
        int cram = 0;
        int sha1 = 0;
        int sha256 = 0;
        for (UserRecord u : users) {
            DirectoryCapabilities one = of(java.util.List.of(u.secret()));
            cram += one.cleartext ? 1 : 0;
            sha1 += one.scram("SCRAM-SHA-1") ? 1 : 0;
            sha256 += one.scram("SCRAM-SHA-256") ? 1 : 0;
        }
        return new DirectoryCapabilities(secrets.cleartext, secrets.scramSha1, secrets.scramSha256, min, perUser,
                new Coverage(users.size(), cram, sha1, sha256));
    }

    /** Everything: for directories that cannot tell. */
    public static final DirectoryCapabilities ALL = new DirectoryCapabilities(true, true, true);
    /** Nothing secret-dependent beyond passwords: e.g. an empty directory, or one of ARGON2ID users only. */
    public static final DirectoryCapabilities NONE = new DirectoryCapabilities(false, false, false);

    /** The capabilities of a set of stored secrets ({@code {SCHEME}data}). */
    public static DirectoryCapabilities of(Iterable<String> secrets) {
        boolean cleartext = false;
        boolean sha1 = false;
        boolean sha256 = false;
        for (String secret : secrets) {
            cleartext |= PasswordSchemes.plaintext(secret).filter(s -> !s.isEmpty()).isPresent();
            sha1 |= PasswordSchemes.scram(secret, "SCRAM-SHA-1").isPresent();
            sha256 |= PasswordSchemes.scram(secret, "SCRAM-SHA-256").isPresent();
        }
        return new DirectoryCapabilities(cleartext, sha1, sha256);
    }

    /**
     * How many users cannot use a mechanism (CRAM-MD5 or SCRAM-*; 0 for any other, which needs no particular
     * secret).
     */
    public int usersUnable(String mechanism) {
        return switch (mechanism.toUpperCase(java.util.Locale.ROOT)) {
            case "CRAM-MD5" -> coverage.users() - coverage.cramMd5();
            case "SCRAM-SHA-1" -> coverage.users() - coverage.scramSha1();
            case "SCRAM-SHA-256" -> coverage.users() - coverage.scramSha256();
            default -> 0;
        };
    }

    /** Whether every user (and there is at least one) can use the mechanism: the default of what is offered. */
    public boolean everyoneCan(String mechanism) {
        return coverage.users() > 0 && usersUnable(mechanism) == 0;
    }

    /** APOP (RFC 1939): the greeting needs its timestamp. */
    public boolean apop() {
        return cleartext;
    }

    /** CRAM-MD5 (RFC 2195). */
    public boolean cramMd5() {
        return cleartext;
    }

    /**
     * SCRAM with the given hash: stored credentials of that hash, or a cleartext secret to derive them from.
     *
     * @param mechanism {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256}, case-insensitive
     * @throws IllegalArgumentException for another name
     */
    public boolean scram(String mechanism) {
        boolean stored = switch (ScramAlgorithm.forScheme(mechanism)
                .orElseThrow(() -> new IllegalArgumentException("Not a SCRAM mechanism"))) {
            case SHA_1 -> scramSha1;
            case SHA_256 -> scramSha256;
        };
        return stored || cleartext;
    }
}
