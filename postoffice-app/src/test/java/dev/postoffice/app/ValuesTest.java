package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.postoffice.server.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValuesTest {
    @ParameterizedTest
    @CsvSource({"127.0.0.1:1110,127.0.0.1,1110", "0.0.0.0:110,0.0.0.0,110", "[::1]:995,0:0:0:0:0:0:0:1,995",
            ":1110,0.0.0.0,1110"})
    void parsesHostPort(String text, String host, int port) {
        InetSocketAddress a = Values.hostPort(text);
        assertThat(a.getAddress().getHostAddress()).isEqualTo(host);
        assertThat(a.getPort()).isEqualTo(port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1110", "host:", "host:x", "host:70000", "[::1]995", "[::1"})
    void rejectsBadHostPort(String text) {
        assertThatThrownBy(() -> Values.hostPort(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({"500ms,PT0.5S", "30s,PT30S", "10m,PT10M", "1h,PT1H", "45,PT45S", " 2s ,PT2S"})
    void parsesDurations(String text, String iso) {
        assertThat(Values.duration(text)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "10x", "-5s", "1.5s", "ten minutes"})
    void rejectsBadDurations(String text) {
        assertThatThrownBy(() -> Values.duration(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid duration");
    }

    @Test
    void configurationFileOverridesDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("postoffice.conf");
        Files.writeString(file, "# comment\npop3 = 127.0.0.1:2110\nidle-timeout = 15m\nauth-failure-delay = 3s\n"
                + "max-bad-commands = 5\nhostname = mail.example.org\n");
        ServerConfig c = ServerSettings.load(file).set("max-bad-commands", "7").build(ServerConfig.builder());
        assertThat(c.pop3Listen().orElseThrow().getPort()).isEqualTo(2110);
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.authFailureDelay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.maxBadCommands()).isEqualTo(7); // the command line wins over the file
        assertThat(c.hostname()).isEqualTo("mail.example.org");
    }

    @Test
    void theSampleConfigurationParses() {
        ServerSettings s = ServerSettings.load(Path.of("../packaging/postoffice.conf"));
        assertThat(s.get("admin")).isEqualTo("127.0.0.1:9110");
        assertThat(s.build(ServerConfig.builder()).pop3sListen().orElseThrow().getPort()).isEqualTo(995);
    }

    @Test
    void unknownConfigurationKeysAreAnError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("postoffice.conf");
        Files.writeString(file, "# a comment\n\nidle-timout = 15m\npop3 = 127.0.0.1:2110\nno equals sign\n"
                + "pop3 = 127.0.0.1:2111\n");
        assertThatThrownBy(() -> ServerSettings.load(file)).isInstanceOf(UserError.class)
                .hasMessageContaining(file + ":3: unknown setting 'idle-timout' (did you mean idle-timeout?)")
                .hasMessageContaining(file + ":5: expected 'key = value', got 'no equals sign'")
                .hasMessageContaining(file + ":6: pop3 is set twice");
    }

    @Test
    void everySettingParses(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("all.conf");
        Files.writeString(file, String.join("\n",
                "pop3 = off", "pop3s = 127.0.0.1:1995", "preauth-timeout = 30s", "preauth-lifetime = 2m",
                "oauth-require-email-verified = no", "tls-handshake-timeout = 10s", "tls-provider = Conscrypt",
                "auth-failure-delay-max = 20s", "max-auth-failures = 5", "max-connections = 50",
                "max-connections-per-address = 5", "max-connections-per-user = 2", "allow-plaintext-auth = yes",
                "local-networks = 10.0.0.0/8, ::1", "sasl-mechanisms = plain scram-sha-256",
                "master-users = admin", "login-aliases = yes", "login-delay = 5m", "expire = 30",
                "oauth-keys = /etc/jwks.json", "oauth-issuer = https://idp.example.org",
                "oauth-audience = pop3", "oauth-user-claim = preferred_username", ""));
        ServerConfig c = ServerSettings.load(file).build(ServerConfig.builder());
        assertThat(c.pop3Listen()).isEmpty();
        assertThat(c.tlsProvider()).isEqualTo(dev.postoffice.server.tls.TlsProvider.CONSCRYPT);
        assertThat(c.maxConnectionsPerUser()).isEqualTo(2);
        assertThat(c.allowPlaintextAuth()).isTrue();
        assertThat(c.localNetworks()).hasSize(2);
        assertThat(c.saslMechanisms()).containsExactly("PLAIN", "SCRAM-SHA-256");
        assertThat(c.masterUsers()).containsExactly("admin");
        assertThat(c.loginDelay()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.expireDays()).contains(30);
        assertThat(c.oauth().orElseThrow().userClaim()).isEqualTo("preferred_username");
        assertThat(c.oauth().orElseThrow().requireEmailVerified()).isFalse();
        assertThat(c.preAuthLifetime()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void badValuesNameTheSetting(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "local-networks = not-a-network\n");
        assertThatThrownBy(() -> ServerSettings.load(file).build(ServerConfig.builder()))
                .isInstanceOf(UserError.class).hasMessageStartingWith(file + ":1: local-networks: ");
        assertThatThrownBy(() -> new ServerSettings().set("local-networks", "x").build(ServerConfig.builder()))
                .isInstanceOf(UserError.class).hasMessageStartingWith("local-networks: ");
        assertThatThrownBy(() -> new ServerSettings().set("tls-provider", "openssl").build(ServerConfig.builder()))
                .isInstanceOf(UserError.class)
                .hasMessage("tls-provider: unknown TLS provider 'openssl', expected one of jdk, accp, conscrypt, bouncycastle");
    }

    @Test
    void gssapiSettingsGoTogether(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("krb.conf");
        Files.writeString(file, "gssapi-keytab = /etc/postoffice/pop.keytab\n"
                + "gssapi-principal = pop/mail.example.org@EXAMPLE.ORG\n");
        ServerConfig.Gssapi g = ServerSettings.load(file).build(ServerConfig.builder()).gssapi().orElseThrow();
        assertThat(g.keytab()).isEqualTo(Path.of("/etc/postoffice/pop.keytab"));
        assertThat(g.principal()).isEqualTo("pop/mail.example.org@EXAMPLE.ORG");
        assertThat(g.realm()).isEmpty();
        assertThat(ServerSettings.load(file).set("gssapi-realm", "CORP.EXAMPLE.ORG").build(ServerConfig.builder())
                .gssapi().orElseThrow().realm()).contains("CORP.EXAMPLE.ORG");
        assertThat(ServerSettings.load(null).build(ServerConfig.builder()).gssapi()).isEmpty();
        assertThatThrownBy(() -> ServerSettings.load(null).set("gssapi-keytab", "/k").build(ServerConfig.builder()))
                .isInstanceOf(UserError.class).hasMessage("gssapi-keytab and gssapi-principal go together");
        assertThatThrownBy(() -> ServerSettings.load(file).set("gssapi-principal", "pop@EXAMPLE.ORG")
                .build(ServerConfig.builder()))
                .isInstanceOf(UserError.class).hasMessageContaining("must be service/host@REALM");
    }

    @Test
    void authCacheTtlDefaultsToAMinuteAndZeroTurnsItOff(@TempDir Path dir) throws Exception {
        assertThat(ServerSettings.load(null).authCacheTtl())
                .isEqualTo(dev.postoffice.auth.LoginCache.DEFAULT_TTL).isEqualTo(Duration.ofSeconds(60));
        Path file = dir.resolve("cache.conf");
        Files.writeString(file, "auth-cache-ttl = 0\n");
        assertThat(ServerSettings.load(file).authCacheTtl()).isZero();
        assertThat(ServerSettings.load(file).set("auth-cache-ttl", "5m").authCacheTtl()).isEqualTo(Duration.ofMinutes(5));
        Files.writeString(file, "auth-cache-ttl = soon\n");
        assertThatThrownBy(() -> ServerSettings.load(file))
                .isInstanceOf(UserError.class).hasMessageStartingWith(file + ":1: auth-cache-ttl: ");
        assertThatThrownBy(() -> new ServerSettings().set("auth-cache-ttl", "soon").authCacheTtl())
                .isInstanceOf(UserError.class).hasMessageStartingWith("auth-cache-ttl: ");
    }

    @Test
    void defaultsFollowTheRfc() {
        ServerConfig d = ServerConfig.defaults();
        assertThat(d.idleTimeout()).isGreaterThanOrEqualTo(Duration.ofMinutes(10));
        assertThat(d.pop3Listen().orElseThrow().getPort()).isEqualTo(110);
        assertThat(d.pop3sListen().orElseThrow().getPort()).isEqualTo(995);
        assertThat(d.allowPlaintextAuth()).isFalse();
        assertThat(d.preAuthTimeout()).isLessThan(d.idleTimeout());
    }
}
