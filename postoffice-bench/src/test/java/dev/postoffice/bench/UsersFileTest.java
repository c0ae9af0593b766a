package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsersFileTest {
    @Test
    void skipsCommentsAndBlankLinesAndKeepsSpacesInPasswords() {
        String text = """
                # accounts for the load test
                alice secret

                   # an indented comment
                bob   correct horse battery staple
                carol\tpass with trailing space\s
                  dave indented-name
                """;
        List<UsersFile.Credentials> users = UsersFile.parse(text, "users");
        assertThat(users).extracting(UsersFile.Credentials::name).containsExactly("alice", "bob", "carol", "dave");
        assertThat(users).extracting(UsersFile.Credentials::password)
                .containsExactly("secret", "correct horse battery staple", "pass with trailing space ", "indented-name");
    }

    @Test
    void acceptsCrlfAndAMissingFinalNewline() {
        List<UsersFile.Credentials> users = UsersFile.parse("a pw one\r\nb pw#two", "users");
        assertThat(users).containsExactly(new UsersFile.Credentials("a", "pw one"), new UsersFile.Credentials("b", "pw#two"));
    }

    @Test
    void aNameWithoutPasswordIsAnErrorNamingTheLineButNotItsContent() {
        assertThatThrownBy(() -> UsersFile.parse("alice secret\n\nhunter2\n", "users.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("users.txt line 3")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void credentialsNeverPrintThePassword() {
        assertThat(new UsersFile.Credentials("alice", "s3cret").toString()).isEqualTo("alice");
    }

    @Test
    void readsAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("users");
        Files.writeString(f, "user0001 pw-user0001\n");
        assertThat(UsersFile.read(f)).containsExactly(new UsersFile.Credentials("user0001", "pw-user0001"));
    }

    @Test
    void thePoolHandsEachUserToOneClientAtATime() throws Exception {
        UserPool pool = new UserPool(UsersFile.parse("a 1\nb 2\n", "u"));
        long soon = System.nanoTime() + 50_000_000L;
        UsersFile.Credentials first = pool.take(soon);
        UsersFile.Credentials second = pool.take(soon);
        assertThat(List.of(first.name(), second.name())).containsExactly("a", "b");
        assertThat(pool.take(System.nanoTime())).isNull();
        pool.release(first);
        assertThat(pool.take(soon)).isEqualTo(first);
    }
}
