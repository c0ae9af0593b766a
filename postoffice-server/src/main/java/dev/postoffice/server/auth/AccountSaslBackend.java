package dev.postoffice.server.auth;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthResult;
import dev.postoffice.auth.AuthService;
import dev.postoffice.auth.Decoys;
import dev.postoffice.auth.DirectoryCapabilities;
import dev.postoffice.auth.ScramSecret;
import dev.postoffice.protocol.sasl.SaslBackend;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.server.ServerConfig;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SASL mechanisms' view of an {@link AuthService}: passwords, CRAM-MD5, SCRAM credentials, bearer tokens
 * (OAUTHBEARER and XOAUTH2) and Kerberos principals (GSSAPI, through a {@link KerberosAcceptor}), plus a set of
 * master users.
 *
 * <p>Authorization: an authzid equal to the authenticated user (or none) logs that user in. Any other authzid is
 * refused unless the authenticated user is a master user, who then logs in as the authzid's account (which must
 * exist). The same rule applies to PLAIN, SCRAM's {@code a=} and OAUTHBEARER's authzid against the token's user.
 *
 * <p>Unknown users cost and look the same as wrong secrets: the service does that for passwords and CRAM-MD5; SCRAM
 * gets {@linkplain Decoys#scram decoy credentials} (stable per user, with the iteration count and salt length real
 * ones have), so the exchange proceeds identically and fails at the proof. Safe for concurrent use; never logs
 * secrets or tokens.
 */
public final class AccountSaslBackend implements SaslBackend<Account> {
    private static final Logger log = LoggerFactory.getLogger(AccountSaslBackend.class);

    private final AuthService auth;
    private final Set<String> masterUsers;
    private final List<String> configured;
    private final Optional<KerberosAcceptor> kerberos;
    /** The directory's capabilities the configured mechanisms were last checked against (once per reload). */
    private volatile DirectoryCapabilities checked;

    /** @param masterUsers users who may authorize as any other user */
    public AccountSaslBackend(AuthService auth, Set<String> masterUsers) {
        this(auth, masterUsers, List.of());
    }

    /**
     * @param configured the mechanisms the operator asked to offer ({@code sasl-mechanisms}); those some users
     *                   cannot use are named in a warning at start and after each users-file reload
     */
    public AccountSaslBackend(AuthService auth, Set<String> masterUsers, List<String> configured) {
        this(auth, masterUsers, configured, Optional.empty());
    }

    /** @param kerberos the service side of GSSAPI; empty: GSSAPI is not supported */
    public AccountSaslBackend(AuthService auth, Set<String> masterUsers, List<String> configured,
                              Optional<KerberosAcceptor> kerberos) {
        this.auth = Objects.requireNonNull(auth, "auth");
        this.kerberos = Objects.requireNonNull(kerberos, "kerberos");
        this.masterUsers = Set.copyOf(masterUsers);
        this.configured = List.copyOf(configured);
        warnAboutUnusableMechanisms();
    }

    /** The backend a server configuration asks for: its master users and configured mechanisms. */
    public static AccountSaslBackend create(AuthService auth, ServerConfig config) {
        return new AccountSaslBackend(auth, config.masterUsers(), config.saslMechanisms(),
                config.gssapi().map(KerberosAcceptor::new));
    }

    /** Logs how many users cannot use each configured mechanism, once per state of the directory. */
    private void warnAboutUnusableMechanisms() {
        DirectoryCapabilities now = auth.capabilities();
        if (configured.isEmpty() || now.equals(checked)) {
            return;
        }
        checked = now;
        for (String m : configured) {
            int unable = now.usersUnable(m);
            if (unable > 0) {
                log.warn("sasl-mechanisms offers {}, which {} of {} users cannot use (their stored secret does not "
                        + "allow it); clients that pick it will fail for them", m, unable, now.coverage().users());
            }
        }
    }

    /**
     * OAUTHBEARER and XOAUTH2 when the service accepts bearer tokens; CRAM-MD5 when some user has a cleartext
     * secret; SCRAM when some user has SCRAM credentials of that hash or a cleartext secret; GSSAPI when a keytab is
     * configured and readable; PLAIN and LOGIN always; nothing else. Reflects the directory as it is now (a users-file reload changes the answer).
     */
    @Override
    public boolean supports(String mechanism) {
        warnAboutUnusableMechanisms();
        String name = mechanism.toUpperCase(Locale.ROOT);
        return switch (name) {
            case "PLAIN", "LOGIN" -> true;
            case "CRAM-MD5" -> capabilities().cramMd5();
            case "SCRAM-SHA-1", "SCRAM-SHA-256" -> capabilities().scram(name);
            case "OAUTHBEARER", "XOAUTH2" -> auth.acceptsBearerTokens();
            case "GSSAPI" -> kerberos.isPresent() && kerberos.get().usable();
            default -> false;
        };
    }

    /** The mechanisms of {@link SaslMechanisms#ALL} that {@link #supports} accepts now, in preference order. */
    public List<String> supportedMechanisms() {
        return SaslMechanisms.ALL.stream().filter(this::supports).toList();
    }

    /** The directory's capabilities, e.g. whether the greeting needs an APOP timestamp. */
    public DirectoryCapabilities capabilities() {
        return auth.capabilities();
    }

    @Override
    public Verdict<Account> checkPassword(String authzid, String authcid, String password) {
        return authorizeAs(authzid, auth.checkPassword(authcid, password));
    }

    @Override
    public Verdict<Account> checkCramMd5(String user, String challenge, String digest) {
        return authorizeAs("", auth.checkCramMd5(user, challenge, digest));
    }

    @Override
    public ScramLookup scramCredentials(String user, ScramHash hash) {
        Optional<ScramSecret> secret;
        try {
            secret = auth.scram(user, hash.mechanism);
        } catch (IOException e) {
            return new ScramLookup.Unavailable("user directory failed: " + e);
        }
        ScramSecret s = secret.orElseGet(() -> Decoys.scram(hash.mechanism, user));
        return new ScramLookup.Found(new ScramCredentials(s.salt(), s.iterations(), s.storedKey(), s.serverKey()));
    }

    @Override
    public Verdict<Account> scramAuthenticated(String authzid, String authcid) {
        return authorizeAs(authzid, auth.authorize(authcid));
    }

    @Override
    public Verdict<Account> checkBearer(String user, String token) {
        if (!auth.acceptsBearerTokens()) {
            return new Verdict.Rejected<>();
        }
        return authorizeAs(user, auth.checkBearer(token));
    }

    @Override
    public Optional<dev.postoffice.protocol.sasl.GssapiAcceptor> gssapi() {
        return kerberos.map(k -> k);
    }

    /** The principal's user (see {@link KerberosAcceptor#user}), who must exist; then the authorization rule. */
    @Override
    public Verdict<Account> gssapiAuthenticated(String authzid, String principal) {
        Optional<String> user = kerberos.flatMap(k -> k.user(principal));
        if (user.isEmpty()) {
            return new Verdict.Rejected<>();
        }
        return authorizeAs(authzid, auth.authorize(user.get()));
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
                yield switch (auth.authorize(authzid)) {
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
}
