package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.PasswordSchemes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code user add} without --scheme keeps what the server offers usable by every user. */
class UserDefaultSchemeTest {
    @Test
    void scramWhenEveryUserCanUseScramArgon2idOtherwise(@TempDir Path dir) throws Exception {
        DataDir data = new DataDir(dir);
        assertThat(UserCommand.defaultScheme(data, java.util.List.of())).isEqualTo("ARGON2ID");
        data.users().add("sam", PasswordSchemes.encode("SCRAM-SHA-256", "pw"));
        assertThat(UserCommand.defaultScheme(data, java.util.List.of())).isEqualTo("SCRAM-SHA-256");
        data.users().add("dave", PasswordSchemes.encode("SHA512-CRYPT", "pw"));
        assertThat(UserCommand.defaultScheme(data, java.util.List.of())).isEqualTo("ARGON2ID");
    }

    @Test
    void scramWhenTheConfigurationOffersItEvenBesideArgon2idUsers(@TempDir Path dir) throws Exception {
        DataDir data = new DataDir(dir);
        data.users().add("dave", PasswordSchemes.encode("ARGON2ID", "pw"));
        Path conf = dir.resolve("postoffice.conf");
        java.nio.file.Files.writeString(conf, "sasl-mechanisms = plain, login scram-sha-256\n");
        assertThat(UserCommand.offered(conf)).containsExactly("PLAIN", "LOGIN", "SCRAM-SHA-256");
        assertThat(UserCommand.defaultScheme(data, UserCommand.offered(conf))).isEqualTo("SCRAM-SHA-256");
        java.nio.file.Files.writeString(conf, "sasl-mechanisms = PLAIN SCRAM-SHA-1\n");
        assertThat(UserCommand.defaultScheme(data, UserCommand.offered(conf))).isEqualTo("SCRAM-SHA-1");
        assertThat(UserCommand.offered(null)).isEmpty();
        assertThat(UserCommand.defaultScheme(data, UserCommand.offered(null))).isEqualTo("ARGON2ID");
    }
}
