package dev.postoffice.storage.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgUrlTest {
    private static final Function<String, String> NO_ENV = name -> null;
    private static final Function<String, String> ENV = Map.of(PgUrl.PASSWORD_VARIABLE, "from-env")::get;
    @TempDir
    Path dir;

    @Test
    void parsesTheUrlWithDefaults() {
        PgUrl url = PgUrl.parse("postgresql://db.example:6543/mail?user=po&password=s%26cret", NO_ENV);
        assertThat(url.host()).isEqualTo("db.example");
        assertThat(url.port()).isEqualTo(6543);
        assertThat(url.database()).isEqualTo("mail");
        assertThat(url.user()).isEqualTo("po");
        assertThat(url.password()).contains("s&cret");
        assertThat(url.leaseTtl()).isEqualTo(Duration.ofSeconds(15));
        assertThat(url.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/mail");
        assertThat(url.toString()).doesNotContain("cret");

        PgUrl plain = PgUrl.parse("postgresql://[::1]/mail?user=po&lease-ttl=5s&pool=3&connect-timeout=500ms", NO_ENV);
        assertThat(plain.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(plain.port()).isEqualTo(5432);
        assertThat(plain.password()).isEmpty();
        assertThat(plain.leaseTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(plain.pool()).isEqualTo(3);
    }

    @Test
    void thePasswordMayComeFromAFileOrTheEnvironment() throws Exception {
        Path file = dir.resolve("pw");
        Files.writeString(file, "from-file\n");
        assertThat(PgUrl.parse("postgresql://h/d?user=u&password-file=" + file, NO_ENV).password())
                .contains("from-file");
        assertThat(PgUrl.parse("postgresql://h/d?user=u", ENV)
                .password()).isEqualTo(Optional.of("from-env"));
        assertThat(PgUrl.parse("postgresql://h/d?user=u&password=given",
                ENV).password()).contains("given");
    }

    @Test
    void badUrlsGetOneLineReasonsWithoutThePassword() {
        assertThatThrownBy(() -> PgUrl.parse("postgres://h/d?user=u&password=secret", NO_ENV))
                .hasMessageContaining("expected postgresql://").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> PgUrl.parse("postgresql://h/d", NO_ENV)).hasMessageContaining("user=");
        assertThatThrownBy(() -> PgUrl.parse("postgresql://h/d?user=u&colour=red", NO_ENV))
                .hasMessageContaining("unknown parameter 'colour'");
        assertThatThrownBy(() -> PgUrl.parse("postgresql://h/d?user=u&lease-ttl=31s", NO_ENV))
                .hasMessageContaining("1s to 30s");
        assertThatThrownBy(() -> PgUrl.parse("postgresql://h/d?user=u&connect-timeout=100ms", NO_ENV))
                .hasMessageContaining("connect-timeout=100ms must be a duration from 250ms to 30s");
        assertThatThrownBy(() -> PgUrl.parse("postgresql://h:70000/d?user=u", NO_ENV))
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> PgUrl.parse("postgresql://h/d?user=u&password-file=" + dir.resolve("none"),
                NO_ENV)).hasMessageContaining("cannot read the password file");
        assertThat(PgUrl.redact("postgresql://h/d?user=u&password=secret&pool=2"))
                .isEqualTo("postgresql://h/d?user=u&password=***&pool=2");
    }
}
