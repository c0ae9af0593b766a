package dev.postoffice.server;

import dev.postoffice.testkit.RawClient;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 10 §4 over a real socket: a bearer token's header is the client's text, and the reason a token was
 * refused used to quote it, so a {@code typ} holding a newline and an {@code auth: ... result=fail} line forged
 * a login failure for any address. The reasons logged are fixed words now (the app's log pattern escapes
 * controls too: SafeLogPatternTest in postoffice-app).
 */
class LogInjectionTest {
    private static final String FORGED = "auth: ip=192.0.2.66 user=bob mechanism=PLAIN secure=false result=fail";

    @TempDir
    Path data;

    @Test
    void aBearerTokenWithAForgedTypHeaderLeavesNoForgedLine() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
        Path jwks = Files.createDirectories(data).resolve("jwks.json");
        Files.writeString(jwks, new JWKSet(key.toPublicJWK()).toString());
        Date now = new Date();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1")
                .type(new JOSEObjectType("x\r\n2026-01-01T00:00:00.000+00:00 INFO  [LoginPolicy] " + FORGED)).build(),
                new JWTClaimsSet.Builder().issuer("https://idp.example.org").audience("pop3").claim("email", "alice")
                        .issueTime(now).expirationTime(new Date(now.getTime() + 600_000)).build());
        jwt.sign(new RSASSASigner(key));

        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        root.addAppender(appender);
        try (TestServer server = new TestServer(data,
                b -> b.oauth(new ServerConfig.OAuth(jwks, "https://idp.example.org", "pop3", "email")))
                .user("alice", "secret");
                RawClient c = new RawClient(server.port())) {
            String ir = "n,a=alice,\u0001auth=Bearer " + jwt.serialize() + "\u0001\u0001";
            assertThat(c.cmd("AUTH OAUTHBEARER " + Base64.getEncoder().encodeToString(ir.getBytes(StandardCharsets.UTF_8))))
                    .startsWith("+ ");
            assertThat(c.cmd(Base64.getEncoder().encodeToString(new byte[] {1}))).startsWith("-ERR [AUTH]");
            c.cmd("QUIT");
        } finally {
            root.detachAppender(appender);
        }
        List<String> lines;
        synchronized (appender) {
            lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
        assertThat(lines).anyMatch(l -> l.startsWith("bearer token refused: header not accepted"));
        assertThat(lines).noneMatch(l -> l.contains("192.0.2.66") || l.contains("\n") || l.contains("\r"));
    }
}
