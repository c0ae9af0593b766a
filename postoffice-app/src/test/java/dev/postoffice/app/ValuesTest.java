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
        ServerConfig c = ServerSettings.load(file).apply(ServerConfig.defaults());
        assertThat(c.pop3Listen().getPort()).isEqualTo(2110);
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.authFailureDelay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.maxBadCommands()).isEqualTo(5);
        assertThat(c.hostname()).isEqualTo("mail.example.org");
    }

    @Test
    void unknownConfigurationKeysAreAnError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("postoffice.conf");
        Files.writeString(file, "idle-timout = 15m\n");
        assertThatThrownBy(() -> ServerSettings.load(file)).isInstanceOf(UserError.class)
                .hasMessageContaining("unknown setting(s) [idle-timout]");
    }

    @Test
    void defaultsFollowTheRfc() {
        ServerConfig d = ServerConfig.defaults();
        assertThat(d.idleTimeout()).isGreaterThanOrEqualTo(Duration.ofMinutes(10));
        assertThat(d.pop3Listen().getPort()).isEqualTo(110);
    }
}
