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
        assertThat(UserCommand.defaultScheme(data)).isEqualTo("ARGON2ID");
        data.users().add("sam", PasswordSchemes.encode("SCRAM-SHA-256", "pw"));
        assertThat(UserCommand.defaultScheme(data)).isEqualTo("SCRAM-SHA-256");
        data.users().add("dave", PasswordSchemes.encode("SHA512-CRYPT", "pw"));
        assertThat(UserCommand.defaultScheme(data)).isEqualTo("ARGON2ID");
    }
}
