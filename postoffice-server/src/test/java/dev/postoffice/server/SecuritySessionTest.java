package dev.postoffice.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.storage.Maildrop;
import dev.postoffice.testkit.RawClient;
import dev.postoffice.testkit.ScramClient;
import dev.postoffice.testkit.TlsClient;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STLS, POP3S, the plaintext policy, SASL over the wire, limits and the RFC 2449 extensions. */
class SecuritySessionTest {
    @TempDir
    Path data;
    TestServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start(java.util.function.UnaryOperator<ServerConfig.Builder> c) throws Exception {
        server = new TestServer(data, c).user("alice", "secret").userWithScheme("dave", "d4ve", "ARGON2ID");
        server.deliver("alice", "Subject: hello\n\nhi\n");
        return server;
    }

    private SSLContext trust() throws Exception {
        return TlsClient.trusting(data.resolve("tls/cert.pem"));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Offer every mechanism, whether or not every user can use it (the default offers only those). */
    private static ServerConfig.Builder allMechanisms(ServerConfig.Builder b) {
        return b.saslMechanisms(List.of("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"));
    }

    /** Treat even loopback as a remote, untrusted network. */
    private static ServerConfig.Builder remote(ServerConfig.Builder b) {
        return b.localNetworks(List.of());
    }

    @Test
    void cleartextPasswordsAreRefusedFromNonLocalAddressesUntilStls() throws Exception {
        start(SecuritySessionTest::remote);
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            List<String> capa = c.multiline();
            assertThat(capa).contains("STLS").doesNotContain("USER").noneMatch(l -> l.matches("SASL.*\\bPLAIN\\b.*"));
            assertThat(c.cmd("USER alice")).startsWith("-ERR [AUTH] plaintext authentication is not allowed");
            assertThat(c.cmd("PASS secret")).startsWith("-ERR [AUTH]");
            assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0secret"))).startsWith("-ERR [AUTH] plaintext");
            assertThat(c.cmd("STLS")).startsWith("+OK");
            c.startTls(trust());
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("USER").doesNotContain("STLS").anyMatch(l -> l.matches("SASL.*\\bPLAIN\\b.*"));
            c.login("alice", "secret");
            assertThat(c.cmd("STAT")).startsWith("+OK 1 ");
        }
    }

    @Test
    void theOperatorMayAllowCleartextPasswords() throws Exception {
        start(b -> remote(b).allowPlaintextAuth(true));
        try (RawClient c = new RawClient(server.port())) {
            c.login("alice", "secret");
        }
    }

    @Test
    void commandsPipelinedAfterStlsAreDiscarded() throws Exception {
        start(b -> b);
        try (RawClient c = new RawClient(server.port())) {
            c.send("STLS\r\nCAPA\r\nUSER alice\r\n");
            assertThat(c.line()).startsWith("+OK");
            c.startTls(trust());
            assertThat(c.silentFor(300)).as("nothing from the injected commands").isTrue();
            assertThat(c.cmd("PASS secret")).isEqualTo("-ERR send USER first");
            assertThat(c.cmd("NOOP")).startsWith("-ERR");
        }
    }

    @Test
    void stlsIsRefusedAfterLoginAndUnderTls() throws Exception {
        start(b -> b);
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("STLS");
            c.startTls(trust());
            assertThat(c.cmd("STLS")).isEqualTo("-ERR already using TLS");
        }
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("STLS")).startsWith("-ERR");
        }
        try (RawClient c = new RawClient(trust().getSocketFactory().createSocket("127.0.0.1", server.tlsPort()))) {
            assertThat(c.greeting()).startsWith("+OK");
            c.cmd("CAPA");
            assertThat(c.multiline()).doesNotContain("STLS").contains("USER");
            assertThat(c.cmd("STLS")).isEqualTo("-ERR already using TLS");
            c.login("alice", "secret");
            assertThat(c.cmd("RETR 1")).startsWith("+OK");
            assertThat(c.multiline()).contains("hi");
        }
    }

    @Test
    void aFailedHandshakeDisturbsNoOne() throws Exception {
        start(b -> b.handshakeTimeout(Duration.ofMillis(500)));
        try (Socket junk = new Socket("127.0.0.1", server.tlsPort())) {
            junk.getOutputStream().write("USER alice\r\n".getBytes(StandardCharsets.US_ASCII));
            junk.setSoTimeout(5000);
            assertThat(junk.getInputStream().read()).isIn(-1, 21); // closed, or a TLS alert record
        }
        try (Socket silent = new Socket("127.0.0.1", server.tlsPort())) {
            silent.setSoTimeout(5000);
            assertThat(silent.getInputStream().read()).isIn(-1, 21); // cut off after the handshake timeout
        }
        try (RawClient c = new RawClient(trust().getSocketFactory().createSocket("127.0.0.1", server.tlsPort()))) {
            c.login("alice", "secret");
        }
    }

    @Test
    void saslPlainWithAndWithoutInitialResponse() throws Exception {
        start(b -> b);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0secret"))).startsWith("+OK alice's maildrop");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH PLAIN")).isEqualTo("+ ");
            assertThat(c.cmd(b64("\0alice\0secret"))).startsWith("+OK");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0wrong"))).isEqualTo("-ERR [AUTH] authentication failed");
            assertThat(c.cmd("AUTH PLAIN " + b64("\0nobody\0wrong"))).isEqualTo("-ERR [AUTH] authentication failed");
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH PLAIN " + b64("dave\0alice\0secret"))).isEqualTo("-ERR [AUTH] authentication failed");
        }
    }

    @Test
    void saslLoginCramMd5AndScram() throws Exception {
        start(SecuritySessionTest::allMechanisms);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(new String(Base64.getDecoder().decode(c.cmd("AUTH LOGIN").substring(2)))).isEqualTo("Username:");
            assertThat(new String(Base64.getDecoder().decode(c.cmd(b64("alice")).substring(2)))).isEqualTo("Password:");
            assertThat(c.cmd(b64("secret"))).startsWith("+OK");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            String challenge = new String(Base64.getDecoder().decode(c.cmd("AUTH CRAM-MD5").substring(2)));
            assertThat(challenge).matches("<.+@.+>");
            assertThat(c.cmd(b64("alice " + hmacMd5Hex("secret", challenge)))).startsWith("+OK");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(ScramClient.login(c, "SCRAM-SHA-256", "alice", "secret")).startsWith("+OK");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(ScramClient.login(c, "SCRAM-SHA-1", "alice", "wrong")).startsWith("-ERR [AUTH]");
        }
    }

    @Test
    void authEdgeCases() throws Exception {
        start(SecuritySessionTest::allMechanisms);
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH")).startsWith("+OK");
            assertThat(c.multiline()).contains("PLAIN", "LOGIN", "SCRAM-SHA-256", "CRAM-MD5");
            assertThat(c.cmd("AUTH PLAIN")).isEqualTo("+ ");
            assertThat(c.cmd("*")).isEqualTo("-ERR authentication cancelled");
            assertThat(c.cmd("AUTH PLAIN not!base64")).isEqualTo("-ERR invalid base64 in the initial response");
            assertThat(c.cmd("AUTH PLAIN")).isEqualTo("+ ");
            assertThat(c.cmd("%%%")).isEqualTo("-ERR invalid base64 in the authentication exchange");
            assertThat(c.cmd("AUTH KERBEROS_V4")).isEqualTo("-ERR unsupported authentication mechanism");
            assertThat(c.cmd("AUTH PLAIN =")).startsWith("-ERR [AUTH]");
            assertThat(c.cmd("AUTH PLAIN")).isEqualTo("+ ");
            assertThat(c.cmd("x".repeat(ServerConfig.MAX_SASL_LINE + 10))).isEqualTo("-ERR authentication response too long");
            assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0" + "x".repeat(400))))
                    .as("a long initial response is not a long line").startsWith("-ERR [AUTH]");
            assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0secret"))).startsWith("+OK");
        }
    }

    @Test
    void tooManyFailuresCloseTheConnection() throws Exception {
        start(b -> b.maxAuthFailures(2));
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("USER alice");
            assertThat(c.cmd("PASS bad")).isEqualTo("-ERR [AUTH] authentication failed");
            c.cmd("USER alice");
            assertThat(c.cmd("PASS bad")).isEqualTo("-ERR [AUTH] authentication failed; too many failures, closing the connection");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void connectionLimitsPerAddressAndInTotal() throws Exception {
        start(b -> b.maxConnectionsPerAddress(2));
        try (RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port());
             RawClient c = new RawClient(server.port())) {
            assertThat(a.greeting()).startsWith("+OK");
            assertThat(b.greeting()).startsWith("+OK");
            assertThat(c.greeting()).isEqualTo("-ERR [SYS/TEMP] too many connections from your address");
            assertThat(c.closedByServer()).isTrue();
        }
        server.close();
        server = new TestServer(data, b -> b.maxConnections(1));
        try (RawClient a = new RawClient(server.port())) {
            a.login("alice", "secret"); // logged in: not closed to make room (see HardeningSessionTest)
            try (RawClient b = new RawClient(server.port())) {
                assertThat(b.greeting()).isEqualTo("-ERR [SYS/TEMP] too many connections, try again later");
            }
        }
    }

    @Test
    void connectionsPerUserAndAddressAreLimited() throws Exception {
        start(b -> b.maxConnectionsPerUser(1));
        try (RawClient a = new RawClient(server.port()); RawClient b = new RawClient(server.port())) {
            assertThat(a.cmd("USER alice")).startsWith("+OK");
            assertThat(b.cmd("USER alice")).isEqualTo("-ERR [IN-USE] too many connections for this user from your address");
            assertThat(b.cmd("USER nobody")).startsWith("+OK");
            a.close();
            Thread.sleep(200);
            assertThat(b.cmd("USER alice")).startsWith("+OK");
        }
    }

    @Test
    void preAuthenticationTimeoutIsShorter() throws Exception {
        start(b -> b.preAuthTimeout(Duration.ofMillis(500)));
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.line()).startsWith("-ERR autologout");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void idleTimeoutsAlsoEndTlsSessionsWithAReason() throws Exception {
        start(b -> b.preAuthTimeout(Duration.ofMillis(500)).idleTimeout(Duration.ofMillis(700)));
        try (RawClient c = new RawClient(trust().getSocketFactory().createSocket("127.0.0.1", server.tlsPort()))) {
            assertThat(c.line()).startsWith("-ERR autologout");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("STLS")).startsWith("+OK");
            c.startTls(trust()).login("alice", "secret");
            assertThat(c.cmd("STAT")).startsWith("+OK");
            assertThat(c.line()).startsWith("-ERR autologout");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void loginDelayIsAdvertisedAndEnforced() throws Exception {
        start(b -> b.loginDelay(Duration.ofHours(1)));
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("LOGIN-DELAY 3600");
            c.login("alice", "secret");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("USER alice");
            assertThat(c.cmd("PASS secret")).isEqualTo("-ERR [LOGIN-DELAY] minimum time between logins is 3600 seconds");
            // The refused login held the maildrop only for the check: another user is unaffected, and the
            // refusal left the lock free.
            assertThat(c.cmd("USER dave")).startsWith("+OK");
            assertThat(c.cmd("PASS d4ve")).startsWith("+OK");
        }
        server.restart(); // a restart does not forget: the time is kept with the maildrop
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("USER alice");
            assertThat(c.cmd("PASS secret")).startsWith("-ERR [LOGIN-DELAY]");
        }
        try (Maildrop m = server.store.open(dev.postoffice.storage.MailboxRef.of("alice"))) {
            assertThat(m.history().lastLogin()).isPresent(); // and nobody holds the lock
        }
    }

    @Test
    void aLoginTimeInTheFutureDoesNotLockTheUserOut() throws Exception {
        start(b -> b.loginDelay(Duration.ofHours(1)));
        try (Maildrop m = server.store.open(dev.postoffice.storage.MailboxRef.of("alice"))) {
            m.history().recordLogin(Instant.now().plus(Duration.ofDays(1))); // then the clock was set back
        }
        try (RawClient c = new RawClient(server.port())) {
            c.login("alice", "secret");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("USER alice");
            assertThat(c.cmd("PASS secret")).startsWith("-ERR [LOGIN-DELAY]"); // counted from the real login
        }
    }

    @Test
    void expireZeroRemovesRetrievedMessagesAtQuit() throws Exception {
        start(b -> b.expireDays(0));
        server.deliver("alice", "Subject: two\n\nsecond\n");
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("EXPIRE 0");
            c.login("alice", "secret");
            c.cmd("RETR 1");
            c.multiline();
            c.cmd("TOP 2 0");
            c.multiline();
            assertThat(c.cmd("QUIT")).startsWith("+OK");
        }
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("STAT")).startsWith("+OK 1 ");
            c.cmd("RETR 1");
            assertThat(c.multiline()).contains("second");
        }
    }

    @Test
    void expireDaysCountFromTheFirstRetrieval() throws Exception {
        start(b -> b.expireDays(30));
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("EXPIRE 30");
            c.login("alice", "secret");
            c.cmd("RETR 1");
            c.multiline();
            c.cmd("QUIT");
        }
        Path retrieved = data.resolve("home/alice/Maildir/postoffice-retrieved");
        String line = Files.readString(retrieved).trim();
        assertThat(line).matches("\\S+ \\d+");
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("STAT")).startsWith("+OK 1 "); // retrieved today: kept
            c.cmd("QUIT");
        }
        long old = java.time.Instant.now().minus(Duration.ofDays(31)).getEpochSecond();
        Files.writeString(retrieved, line.substring(0, line.indexOf(' ')) + " " + old + "\n");
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            assertThat(c.cmd("STAT")).isEqualTo("+OK 0 0");
        }
        assertThat(server.storedCount("alice")).isZero();
    }

    @Test
    void utf8AndLang() throws Exception {
        start(b -> b);
        server.user("김철수", "비밀번호");
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("UTF8 USER", "LANG");
            assertThat(c.cmd("UTF8")).startsWith("+OK");
            assertThat(c.cmd("LANG")).startsWith("+OK");
            assertThat(c.multiline()).containsExactly("en English");
            assertThat(c.cmd("LANG en")).startsWith("+OK en");
            assertThat(c.cmd("LANG fr")).startsWith("-ERR");
            c.login("김철수", "비밀번호");
            assertThat(c.cmd("UTF8")).startsWith("-ERR");
        }
    }

    @Test
    void sdpsStyleAliasesWhenEnabled() throws Exception {
        start(b -> b.loginAliases(true));
        server.user("carol@example.org", "c4rol");
        for (String alias : new String[] {"carol+example.org", "carol%example.org", "carol@example.org"}) {
            try (RawClient c = new RawClient(server.port())) {
                c.login(alias, "c4rol");
                c.cmd("QUIT");
            }
        }
    }

    @Test
    void noApopTimestampWhenNoUserCanUseApop() throws Exception {
        server = new TestServer(data).userWithScheme("dave", "d4ve", "ARGON2ID");
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.greeting()).doesNotContain("<");
            assertThat(c.cmd("APOP dave 0123456789abcdef0123456789abcdef")).isEqualTo("-ERR APOP is not available on this server");
            c.cmd("AUTH");
            assertThat(c.multiline()).doesNotContain("CRAM-MD5");
        }
    }

    @Test
    void expireCanBeSetPerUser() throws Exception {
        start(b -> b.expireDays(30));
        Files.writeString(data.resolve("users"), "erin:{PLAIN}3rin::::::expire=0\n",
                java.nio.file.StandardOpenOption.APPEND);
        server.deliver("erin", "Subject: e\n\ne\n");
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("EXPIRE 0 USER");
            c.login("erin", "3rin");
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("EXPIRE 0");
            c.cmd("RETR 1");
            c.multiline();
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port()).login("erin", "3rin")) {
            assertThat(c.cmd("STAT")).isEqualTo("+OK 0 0");
        }
        try (RawClient c = new RawClient(server.port()).login("alice", "secret")) {
            c.cmd("CAPA");
            assertThat(c.multiline()).contains("EXPIRE 30");
        }
    }

    @Test
    void scramWithStoredScramCredentials() throws Exception {
        start(SecuritySessionTest::allMechanisms);
        server.userWithScheme("sam", "s4m pass", "SCRAM-SHA-256");
        try (RawClient c = new RawClient(server.port())) {
            assertThat(ScramClient.login(c, "SCRAM-SHA-256", "sam", "s4m pass")).startsWith("+OK sam's maildrop");
            c.cmd("QUIT"); // releases the maildrop before the next login
        }
        try (RawClient c = new RawClient(server.port())) {
            c.login("sam", "s4m pass"); // USER/PASS verifies against the SCRAM secret too
        }
        assertThat(Files.readString(data.resolve("users"))).contains("sam:{SCRAM-SHA-256}4096,")
                .doesNotContain("s4m pass");
    }

    @Test
    void oauthBearerWithAJwtFromTheConfiguredIssuer() throws Exception {
        com.nimbusds.jose.jwk.RSAKey key = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate();
        Path jwks = data.resolve("jwks.json");
        Files.createDirectories(data);
        Files.writeString(jwks, new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString());
        start(b -> b.oauth(new ServerConfig.OAuth(jwks, "https://idp.example.org", "pop3", "email")));
        String good = token(key, "alice", "https://idp.example.org", 600);
        String wrongIssuer = token(key, "alice", "https://evil.example.org", 600);
        String expired = token(key, "alice", "https://idp.example.org", -600);
        try (RawClient c = new RawClient(server.port())) {
            c.cmd("CAPA");
            assertThat(c.multiline()).anyMatch(l -> l.startsWith("SASL ") && l.contains("OAUTHBEARER") && l.contains("XOAUTH2"));
            for (String bad : new String[] {wrongIssuer, expired}) {
                String challenge = c.cmd("AUTH OAUTHBEARER " + b64("n,a=alice,\u0001auth=Bearer " + bad + "\u0001\u0001"));
                assertThat(challenge).startsWith("+ ");
                assertThat(new String(Base64.getDecoder().decode(challenge.substring(2)))).contains("invalid_token");
                assertThat(c.cmd(b64("\u0001"))).startsWith("-ERR [AUTH]");
            }
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH OAUTHBEARER " + b64("n,a=alice,\u0001auth=Bearer " + good + "\u0001\u0001")))
                    .startsWith("+OK alice's maildrop");
            c.cmd("QUIT");
        }
        try (RawClient c = new RawClient(server.port())) {
            assertThat(c.cmd("AUTH XOAUTH2 " + b64("user=alice\u0001auth=Bearer " + good + "\u0001\u0001")))
                    .startsWith("+OK alice's maildrop");
        }
    }

    private static String token(com.nimbusds.jose.jwk.RSAKey key, String email, String issuer, long lifetimeSeconds)
            throws Exception {
        java.util.Date now = new java.util.Date();
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(
                new com.nimbusds.jose.JWSHeader.Builder(com.nimbusds.jose.JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer(issuer).audience("pop3").claim("email", email).claim("email_verified", true)
                        .issueTime(now).expirationTime(new java.util.Date(now.getTime() + lifetimeSeconds * 1000)).build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
        return jwt.serialize();
    }

    static String hmacMd5Hex(String key, String text) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacMD5");
        mac.init(new javax.crypto.spec.SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacMD5"));
        return java.util.HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }
}
