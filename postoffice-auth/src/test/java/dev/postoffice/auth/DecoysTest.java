package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoysTest {
    @Test
    void decoySaltsComeFromAKeyFileThatOutlivesTheProcess(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Decoys.KEY_FILE);
        Decoys.useKeyFile(file);
        assertThat(Files.size(file)).isEqualTo(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        byte[] salt = Decoys.scram("SCRAM-SHA-256", "nobody").salt();

        Path other = dir.resolve("other.key");
        Files.write(other, new byte[32]);
        Decoys.useKeyFile(other); // as another server would
        assertThat(Decoys.scram("SCRAM-SHA-256", "nobody").salt()).isNotEqualTo(salt);

        Decoys.useKeyFile(file); // as after a restart: the same key, the same salts
        assertThat(Decoys.scram("SCRAM-SHA-256", "nobody").salt()).isEqualTo(salt);
        assertThat(Decoys.scram("SCRAM-SHA-256", "somebody").salt()).isNotEqualTo(salt);
    }

    @Test
    void aKeyFileOfTheWrongLengthIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve(Decoys.KEY_FILE);
        Files.write(file, new byte[5]);
        assertThatThrownBy(() -> Decoys.useKeyFile(file)).isInstanceOf(IOException.class).hasMessageContaining("32");
    }
}
