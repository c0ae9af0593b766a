package dev.postoffice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.postoffice.server.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Date;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OAUTHBEARER (RFC 7628) and XOAUTH2 with a bearer token as the "password", against the Postoffice server
 * validating JWTs from a configured issuer (JWKS key file), over real sockets.
 */
class FetchOAuthTest {
    static final String ISSUER = "https://idp.example.org";

    @TempDir
    Path dir;
    ServerFixture server;
    RSAKey key;

    @BeforeEach
    void start() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("k1").generate();
        Path jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        server = new ServerFixture(dir.resolve("server"), b -> b.oauth(new ServerConfig.OAuth(jwks, ISSUER, "pop3", "email")))
                .user("alice@example.org", "not-the-token");
        server.deliver("alice@example.org", "Subject: one\r\n\r\nfirst\r\n".getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String token(String issuer, long lifetimeSeconds) throws Exception {
        Date now = new Date();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                new JWTClaimsSet.Builder().issuer(issuer).audience("pop3").claim("email", "alice@example.org")
                        .claim("email_verified", true).issueTime(now)
                        .expirationTime(new Date(now.getTime() + lifetimeSeconds * 1000)).build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private FetchResult fetch(String mechanism, String token) throws Exception {
        PopUrl url = PopUrl.parse("pop3://alice%40example.org;auth=" + mechanism + "@127.0.0.1:" + server.server.port() + "/");
        try (MaildirTarget t = new MaildirTarget(dir.resolve("Mail"), true)) {
            return new Fetcher(url, ConnectOptions.DEFAULT, FetchOptions.KEEP, Clock.systemUTC())
                    .fetch(t, dir.resolve("state"), () -> token, null);
        }
    }

    @Test
    void oauthBearerWithAValidTokenFetches() throws Exception {
        FetchResult r = fetch("OAUTHBEARER", token(ISSUER, 600));
        assertThat(r.login()).isEqualTo("OAUTHBEARER");
        assertThat(r.fetched()).isEqualTo(1);
    }

    @Test
    void xoauth2WithAValidTokenFetches() throws Exception {
        FetchResult r = fetch("XOAUTH2", token(ISSUER, 600));
        assertThat(r.login()).isEqualTo("XOAUTH2");
        assertThat(r.fetched()).isEqualTo(1);
    }

    @Test
    void expiredOrForeignTokensAreAPermanentFailureAndFetchNothing() throws Exception {
        for (String mechanism : new String[] {"OAUTHBEARER", "XOAUTH2"}) {
            for (String bad : new String[] {token(ISSUER, -600), token("https://evil.example.org", 600), "not-a-jwt"}) {
                assertThatThrownBy(() -> fetch(mechanism, bad)).as(mechanism)
                        .isInstanceOf(FetchException.class)
                        .hasMessageStartingWith("login as alice@example.org failed (" + mechanism + "): [AUTH]")
                        .matches(e -> !((FetchException) e).temporary());
            }
        }
        assertThat(Files.exists(dir.resolve("Mail/new")) ? Files.list(dir.resolve("Mail/new")).count() : 0).isZero();
        assertThat(server.stored("alice@example.org")).isEqualTo(1);
    }
}
