package dev.postoffice.server.auth;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthResult;
import dev.postoffice.auth.Authenticator;
import dev.postoffice.auth.BearerTokenValidator;
import dev.postoffice.auth.DirectoryCapabilities;
import dev.postoffice.auth.OAuthConfig;
import dev.postoffice.auth.ScramSecret;
import dev.postoffice.protocol.sasl.SaslBackend;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.server.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SASL mechanisms' view of the user directory: {@link Authenticator} for passwords, CRAM-MD5 and SCRAM
 * credentials, an optional {@link BearerTokenValidator} for OAUTHBEARER and XOAUTH2, and a set of master users.
 *
 * <p>Authorization: an authzid equal to the authenticated user (or none) logs that user in. Any other authzid is
 * refused unless the authenticated user is a master user, who then logs in as the authzid's account (which must
 * exist). The same rule applies to PLAIN, SCRAM's {@code a=} and OAUTHBEARER's authzid against the token's user.
 *
 * <p>Unknown users cost and look the same as wrong secrets: password and CRAM-MD5 checks do a dummy verification
 * (see {@link Authenticator}); SCRAM gets fake credentials derived from a per-instance random key and the user
 * name (stable for the instance, with the iteration count and salt length real ones have), so the exchange proceeds
 * identically and fails at the proof. Safe for concurrent use; never logs secrets or tokens.
 */
public final class AccountSaslBackend implements SaslBackend<Account> {
    private static final Logger log = LoggerFactory.getLogger(AccountSaslBackend.class);
    private static final String KDF = "HmacSHA256";

    private final Authenticator authenticator;
    private final Optional<BearerTokenValidator> tokens;
    private final Set<String> masterUsers;
    private final byte[] fakeKey = new byte[32];

    /**
     * @param tokens      validates bearer tokens; empty: OAUTHBEARER and XOAUTH2 are not supported
     * @param masterUsers users who may authorize as any other user
     */
    public AccountSaslBackend(Authenticator authenticator, Optional<BearerTokenValidator> tokens,
            Set<String> masterUsers) {
        this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.masterUsers = Set.copyOf(masterUsers);
        new SecureRandom().nextBytes(fakeKey);
    }

    /**
     * The backend a server configuration asks for: its master users, and a token validator when it configures
     * OAuth (user claim defaulting to {@value OAuthConfig#DEFAULT_USER_CLAIM}, clock skew 60 s).
     *
     * @throws IOException if the OAuth key file cannot be read or holds no usable key
     */
    public static AccountSaslBackend create(Authenticator authenticator, ServerConfig config) throws IOException {
        Optional<BearerTokenValidator> tokens = Optional.empty();
        if (config.oauth().isPresent()) {
            ServerConfig.OAuth o = config.oauth().get();
            tokens = Optional.of(new BearerTokenValidator(
                    new OAuthConfig(o.keyFile(), o.issuer(), o.audience(), o.userClaim(), null)));
        }
        return new AccountSaslBackend(authenticator, tokens, config.masterUsers());
    }

    /**
     * OAUTHBEARER and XOAUTH2 with a token validator; CRAM-MD5 when some user has a cleartext secret; SCRAM when
     * some user has SCRAM credentials of that hash or a cleartext secret; PLAIN and LOGIN always; nothing else.
     * Reflects the directory as it is now (a users-file reload changes the answer).
     */
    @Override
    public boolean supports(String mechanism) {
        String name = mechanism.toUpperCase(Locale.ROOT);
        return switch (name) {
            case "PLAIN", "LOGIN" -> true;
            case "CRAM-MD5" -> capabilities().cramMd5();
            case "SCRAM-SHA-1", "SCRAM-SHA-256" -> capabilities().scram(name);
            case "OAUTHBEARER", "XOAUTH2" -> tokens.isPresent();
            default -> false;
        };
    }

    /** The mechanisms of {@link SaslMechanisms#ALL} that {@link #supports} accepts now, in preference order. */
    public List<String> supportedMechanisms() {
        return SaslMechanisms.ALL.stream().filter(this::supports).toList();
    }

    /** The directory's capabilities, e.g. whether the greeting needs an APOP timestamp. */
    public DirectoryCapabilities capabilities() {
        return authenticator.capabilities();
    }

    @Override
    public Verdict<Account> checkPassword(String authzid, String authcid, String password) {
        return authorizeAs(authzid, authenticator.checkPassword(authcid, password));
    }

    @Override
    public Verdict<Account> checkCramMd5(String user, String challenge, String digest) {
        return authorizeAs("", authenticator.checkCramMd5(user, challenge, digest));
    }

    @Override
    public ScramLookup scramCredentials(String user, ScramHash hash) {
        Optional<ScramSecret> secret;
        try {
            secret = authenticator.scram(user, hash.mechanism);
        } catch (IOException e) {
            return new ScramLookup.Unavailable("user directory failed: " + e);
        }
        return new ScramLookup.Found(secret
                .map(s -> new ScramCredentials(s.salt(), s.iterations(), s.storedKey(), s.serverKey()))
                .orElseGet(() -> fakeCredentials(user, hash)));
    }

    @Override
    public Verdict<Account> scramAuthenticated(String authzid, String authcid) {
        return authorizeAs(authzid, authenticator.authorize(authcid));
    }

    @Override
    public Verdict<Account> checkBearer(String user, String token) {
        if (tokens.isEmpty()) {
            return new Verdict.Rejected<>();
        }
        return switch (tokens.get().validate(token)) {
            case BearerTokenValidator.Result.Valid valid -> authorizeAs(user, authenticator.authorize(valid.user()));
            case BearerTokenValidator.Result.Invalid invalid -> {
                log.info("bearer token refused: {}", invalid.reason());
                yield new Verdict.Rejected<>();
            }
            case BearerTokenValidator.Result.Unavailable unavailable -> new Verdict.Unavailable<>(unavailable.reason());
        };
    }

    /** Applies the authorization rule to the outcome of authenticating someone. */
    private Verdict<Account> authorizeAs(String authzid, AuthResult authenticated) {
        return switch (authenticated) {
            case AuthResult.Success success -> {
                Account account = success.account();
                if (authzid.isEmpty() || authzid.equals(account.name())) {
                    yield new Verdict.Success<>(account, account.name());
                }
                if (!masterUsers.contains(account.name())) {
                    yield new Verdict.Rejected<>();
                }
                yield switch (authenticator.authorize(authzid)) {
                    case AuthResult.Success target -> {
                        log.info("master user {} authorized as {}", account.name(), target.account().name());
                        yield new Verdict.Success<>(target.account(), target.account().name());
                    }
                    case AuthResult.Rejected r -> new Verdict.Rejected<>();
                    case AuthResult.Unavailable u -> new Verdict.Unavailable<>(u.reason());
                };
            }
            case AuthResult.Rejected r -> new Verdict.Rejected<>();
            case AuthResult.Unavailable u -> new Verdict.Unavailable<>(u.reason());
        };
    }

    /** Credentials nobody can match: salt and keys are HMACs of the user name under a key only this object has. */
    private ScramCredentials fakeCredentials(String user, ScramHash hash) {
        byte[] salt = Arrays.copyOf(derive("salt", hash, user), ScramSecret.SALT_BYTES);
        byte[] storedKey = Arrays.copyOf(derive("stored-key", hash, user), hash.length);
        byte[] serverKey = Arrays.copyOf(derive("server-key", hash, user), hash.length);
        return new ScramCredentials(salt, ScramSecret.DEFAULT_ITERATIONS, storedKey, serverKey);
    }

    private byte[] derive(String purpose, ScramHash hash, String user) {
        try {
            Mac mac = Mac.getInstance(KDF);
            mac.init(new SecretKeySpec(fakeKey, KDF));
            return mac.doFinal((purpose + "\0" + hash.mechanism + "\0" + user).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(KDF + " is missing from this JRE", e);
        }
    }
}
