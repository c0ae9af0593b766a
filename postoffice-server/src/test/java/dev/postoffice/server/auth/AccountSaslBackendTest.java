package dev.postoffice.server.auth;

import static dev.postoffice.server.auth.Exchanges.cramMd5;
import static dev.postoffice.server.auth.Exchanges.failure;
import static dev.postoffice.server.auth.Exchanges.login;
import static dev.postoffice.server.auth.Exchanges.oauthbearer;
import static dev.postoffice.server.auth.Exchanges.plain;
import static dev.postoffice.server.auth.Exchanges.rejected;
import static dev.postoffice.server.auth.Exchanges.scram;
import static dev.postoffice.server.auth.Exchanges.success;
import static dev.postoffice.server.auth.Exchanges.xoauth2;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthService;
import dev.postoffice.auth.BearerTokenValidator;
import dev.postoffice.auth.CredentialVerifier;
import dev.postoffice.auth.HashExecutor;
import dev.postoffice.auth.LoginCache;
import dev.postoffice.auth.OAuthConfig;
import dev.postoffice.auth.PasswdFile;
import dev.postoffice.auth.PasswordSchemes;
import dev.postoffice.auth.UserPolicy;
import dev.postoffice.protocol.sasl.SaslBackend.Verdict;
import dev.postoffice.protocol.sasl.SaslExchange.Step;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.storage.MailboxRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The adapter over a real passwd-file, driven through whole exchanges of every mechanism. */
class AccountSaslBackendTest {
    private static final String ISSUER = "https://id.example.org";
    private static final String AUDIENCE = "pop.example.org";
    private static final HashExecutor HASHING = new HashExecutor();
    private static RSAKey signingKey;

    @TempDir
    Path dir;
    private Path usersFile;
    private PasswdFile users;
    private AuthService auth;
    private AccountSaslBackend backend;

    @BeforeAll
    static void keys() throws Exception {
        signingKey = new RSAKeyGenerator(2048).keyID("k").generate();
    }

    @BeforeEach
    void directory() throws IOException {
        usersFile = dir.resolve("users");
        users = new PasswdFile(usersFile);
        users.add("argon", PasswordSchemes.encode("ARGON2ID", "argon-pw"));
        users.add("plain", "{PLAIN}plain-pw");
        users.add("scram", PasswordSchemes.encode("SCRAM-SHA-256", "scram-pw"));
        users.add("master", "{PLAIN}master-pw");
        auth = new LoginCache(new CredentialVerifier(users, HASHING));
        backend = new AccountSaslBackend(auth, Set.of("master"));
    }

    private AccountSaslBackend withTokens() throws Exception {
        Path keys = Files.writeString(dir.resolve("jwks.json"), new JWKSet(signingKey.toPublicJWK()).toString());
        BearerTokenValidator validator = new BearerTokenValidator(new OAuthConfig(keys, ISSUER, AUDIENCE));
        return new AccountSaslBackend(new LoginCache(new CredentialVerifier(users, HASHING, Optional.of(validator))),
                Set.of("master"));
    }

    private static String token(String email) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).claim("email", email).claim("email_verified", true)
                .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5)))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k").build(), claims);
        jwt.sign(new RSASSASigner(signingKey));
        return jwt.serialize();
    }

    // ---- passwords: PLAIN and LOGIN ----

    @ParameterizedTest
    @ValueSource(strings = {"argon", "plain", "scram"})
    void plainAndLoginSucceedForEveryScheme(String user) {
        String password = user + "-pw";
        assertThat(success(plain(backend, "", user, password))).isEqualTo(user);
        assertThat(success(plain(backend, user, user, password))).isEqualTo(user);
        assertThat(success(login(backend, user, password))).isEqualTo(user);
    }

    @Test
    void plainAndLoginFailIdenticallyForUnknownUsersAndWrongPasswords() {
        Step<Account> wrong = plain(backend, "", "argon", "nope");
        Step<Account> unknown = plain(backend, "", "nobody", "argon-pw");
        assertThat(rejected(wrong)).isEqualTo(rejected(unknown));
        assertThat(rejected(login(backend, "argon", "nope"))).isEqualTo(rejected(login(backend, "nobody", "x")));
    }

    @Test
    void theAccountCarriesTheHomeDirectory() throws IOException {
        Files.writeString(usersFile, "homed:{PLAIN}pw::::/srv/mail/homed\n");
        Step<Account> step = plain(backend, "", "homed", "pw");
        success(step);
        assertThat(((Step.Success<Account>) step).verdict().principal())
                .isEqualTo(new Account("homed", new MailboxRef("homed", Optional.of("/srv/mail/homed")),
                        UserPolicy.SERVER_DEFAULT));
    }

    // ---- master users ----

    @Test
    void aMasterUserMayAuthorizeAsAnyExistingUser() {
        assertThat(success(plain(backend, "argon", "master", "master-pw"))).isEqualTo("argon");
        assertThat(success(plain(backend, "", "master", "master-pw"))).isEqualTo("master");
        rejected(plain(backend, "nobody", "master", "master-pw"));
        rejected(plain(backend, "argon", "master", "wrong"));
    }

    @Test
    void otherUsersMayNotAuthorizeAsSomeoneElse() {
        rejected(plain(backend, "argon", "plain", "plain-pw"));
        rejected(plain(backend, "master", "plain", "plain-pw"));
    }

    @Test
    void theMasterRuleAppliesToScramAuthzid() throws Exception {
        assertThat(success(scram(backend, "SCRAM-SHA-256", "argon", "master", "master-pw").end())).isEqualTo("argon");
        rejected(scram(backend, "SCRAM-SHA-256", "argon", "plain", "plain-pw").end());
    }

    // ---- CRAM-MD5 ----

    @Test
    void cramMd5WorksForCleartextUsersOnly() throws Exception {
        assertThat(success(cramMd5(backend, "plain", "plain-pw"))).isEqualTo("plain");
        Step.Failure<Account> argon = rejected(cramMd5(backend, "argon", "argon-pw"));
        Step.Failure<Account> scramUser = rejected(cramMd5(backend, "scram", "scram-pw"));
        Step.Failure<Account> unknown = rejected(cramMd5(backend, "nobody", "plain-pw"));
        Step.Failure<Account> wrong = rejected(cramMd5(backend, "plain", "wrong"));
        assertThat(List.of(argon, scramUser, unknown)).containsOnly(wrong);
    }

    // ---- SCRAM ----

    @Test
    void scramSucceedsWithStoredAndDerivedCredentials() throws Exception {
        assertThat(success(scram(backend, "SCRAM-SHA-256", "", "scram", "scram-pw").end())).isEqualTo("scram");
        assertThat(success(scram(backend, "SCRAM-SHA-256", "", "plain", "plain-pw").end())).isEqualTo("plain");
        assertThat(success(scram(backend, "SCRAM-SHA-1", "", "plain", "plain-pw").end())).isEqualTo("plain");
    }

    @Test
    void scramLooksTheSameForEveryoneAndFailsAtTheProof() throws Exception {
        var stored = scram(backend, "SCRAM-SHA-256", "", "scram", "wrong");
        var derived = scram(backend, "SCRAM-SHA-256", "", "plain", "wrong");
        var argon = scram(backend, "SCRAM-SHA-256", "", "argon", "argon-pw");
        var unknown = scram(backend, "SCRAM-SHA-256", "", "nobody", "whatever");
        var otherHash = scram(backend, "SCRAM-SHA-1", "", "scram", "scram-pw");
        for (var run : List.of(stored, derived, argon, unknown, otherHash)) {
            assertThat(run.iterations()).isEqualTo("4096");
            assertThat(run.salt()).matches("[A-Za-z0-9+/]{22}==");
            assertThat(rejected(run.end())).isEqualTo(rejected(stored.end()));
        }
    }

    @Test
    void fakeScramSaltsAreStablePerNameAndDiffer() throws Exception {
        String first = scram(backend, "SCRAM-SHA-256", "", "nobody", "x").salt();
        String again = scram(backend, "SCRAM-SHA-256", "", "nobody", "y").salt();
        String other = scram(backend, "SCRAM-SHA-256", "", "someone", "x").salt();
        String sha1 = scram(backend, "SCRAM-SHA-1", "", "nobody", "x").salt();
        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
        assertThat(sha1).isNotEqualTo(first);
    }

    // ---- bearer tokens ----

    @Test
    void bearerMechanismsNeedAValidator() throws Exception {
        assertThat(backend.supports("OAUTHBEARER")).isFalse();
        assertThat(backend.supports("XOAUTH2")).isFalse();
        rejected(oauthbearer(backend, "", token("plain")));
    }

    @Test
    void oauthbearerAndXoauth2SucceedForTokensOfExistingUsers() throws Exception {
        AccountSaslBackend b = withTokens();
        assertThat(success(oauthbearer(b, "", token("argon")))).isEqualTo("argon");
        assertThat(success(oauthbearer(b, "argon", token("argon")))).isEqualTo("argon");
        assertThat(success(xoauth2(b, "plain", token("plain")))).isEqualTo("plain");
    }

    @Test
    void bearerTokensAreRefusedForUnknownUsersOtherUsersAndBadTokens() throws Exception {
        AccountSaslBackend b = withTokens();
        Step.Failure<Account> unknown = rejected(oauthbearer(b, "", token("nobody")));
        assertThat(rejected(oauthbearer(b, "plain", token("argon")))).isEqualTo(unknown);
        assertThat(rejected(oauthbearer(b, "", token("argon") + "x"))).isEqualTo(unknown);
        assertThat(rejected(xoauth2(b, "plain", token("argon")))).isEqualTo(unknown);
        assertThat(rejected(xoauth2(b, "nobody", token("nobody")))).isEqualTo(unknown);
    }

    @Test
    void aMasterUsersTokenMayAuthorizeAsAnotherUser() throws Exception {
        AccountSaslBackend b = withTokens();
        assertThat(success(oauthbearer(b, "argon", token("master")))).isEqualTo("argon");
        assertThat(success(xoauth2(b, "plain", token("master")))).isEqualTo("plain");
    }

    // ---- unavailable directory ----

    @Test
    void anUnreadableDirectoryIsUnavailableForEveryMechanism() throws Exception {
        Files.delete(usersFile);
        Files.createDirectory(usersFile);
        Step.Failure.Kind unavailable = Step.Failure.Kind.UNAVAILABLE;
        failure(plain(backend, "", "plain", "plain-pw"), unavailable);
        failure(cramMd5(backend, "plain", "plain-pw"), unavailable);
        failure(scram(backend, "SCRAM-SHA-256", "", "plain", "plain-pw").end(), unavailable);
    }

    // ---- supports ----

    @Test
    void supportsFollowsTheDirectory() throws Exception {
        assertThat(backend.supportedMechanisms())
                .containsExactly("SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN");
        assertThat(withTokens().supportedMechanisms())
                .containsExactlyElementsOf(SaslMechanisms.ALL.stream().filter(m -> !m.equals("GSSAPI")).toList());

        users.remove("plain");
        users.remove("master");
        assertThat(backend.supportedMechanisms()).containsExactly("SCRAM-SHA-256", "PLAIN", "LOGIN");
        assertThat(backend.capabilities().apop()).isFalse();

        users.remove("scram");
        assertThat(backend.supportedMechanisms()).containsExactly("PLAIN", "LOGIN");
        assertThat(backend.supports("scram-sha-256")).isFalse();
        assertThat(backend.supports("GSSAPI")).isFalse();
    }

    // ---- GSSAPI ----

    @Test
    void gssapiMapsPrincipalsOfTheRealmToExistingUsers() throws Exception {
        String service = "pop/mail.example.org@EXAMPLE.ORG";
        KerberosAcceptor kerberos = new KerberosAcceptor(new ServerConfig.Gssapi(
                Keytabs.write(dir.resolve("pop.keytab"), service), service, Optional.empty()));
        AccountSaslBackend k = new AccountSaslBackend(auth, Set.of("master"), List.of(), Optional.of(kerberos));
        assertThat(k.supports("GSSAPI")).isTrue();
        assertThat(k.gssapi()).containsSame(kerberos);
        assertThat(((Verdict.Success<Account>) k.gssapiAuthenticated("", "plain@EXAMPLE.ORG")).user())
                .isEqualTo("plain");
        assertThat(k.gssapiAuthenticated("plain", "plain@EXAMPLE.ORG")).isInstanceOf(Verdict.Success.class);
        assertThat(k.gssapiAuthenticated("", "nobody@EXAMPLE.ORG")).isInstanceOf(Verdict.Rejected.class);
        assertThat(k.gssapiAuthenticated("", "plain@OTHER.ORG")).isInstanceOf(Verdict.Rejected.class);
        assertThat(k.gssapiAuthenticated("", "plain/admin@EXAMPLE.ORG")).isInstanceOf(Verdict.Rejected.class);
        assertThat(k.gssapiAuthenticated("argon", "plain@EXAMPLE.ORG")).isInstanceOf(Verdict.Rejected.class);
        assertThat(((Verdict.Success<Account>) k.gssapiAuthenticated("argon", "master@EXAMPLE.ORG")).user())
                .isEqualTo("argon");
        assertThat(backend.supports("GSSAPI")).isFalse();
        assertThat(backend.gssapiAuthenticated("", "plain@EXAMPLE.ORG")).isInstanceOf(Verdict.Rejected.class);
    }

    // ---- from the server configuration ----

    @Test
    void createTakesMasterUsersAndOAuthFromTheConfiguration() throws Exception {
        Path keys = Files.writeString(dir.resolve("jwks.json"), new JWKSet(signingKey.toPublicJWK()).toString());
        ServerConfig config = ServerConfig.defaults().toBuilder()
                .masterUsers(Set.of("plain"))
                .oauth(new ServerConfig.OAuth(keys, ISSUER, AUDIENCE, null))
                .build();
        AccountSaslBackend created = AccountSaslBackend.create(
                ServerAuth.create(users, config, HASHING, LoginCache.DEFAULT_TTL), config);
        assertThat(created.supports("OAUTHBEARER")).isTrue();
        assertThat(success(oauthbearer(created, "", token("argon")))).isEqualTo("argon");
        assertThat(success(plain(created, "argon", "plain", "plain-pw"))).isEqualTo("argon");
        rejected(plain(created, "argon", "master", "master-pw"));

        AccountSaslBackend plainConfig = AccountSaslBackend.create(
                ServerAuth.create(users, ServerConfig.defaults(), HASHING, LoginCache.DEFAULT_TTL), ServerConfig.defaults());
        assertThat(plainConfig.supports("XOAUTH2")).isFalse();
    }
}
