package dev.postoffice.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code deliver} under a quota (exit 77, or 75 with quota-full-tempfail) and {@code quota} reporting usage. */
class DeliverQuotaTest {
    @TempDir
    Path dir;

    @Test
    void deliverStopsAtTheQuotaAndQuotaReportsTheUsage() throws Exception {
        Files.writeString(dir.resolve("users"), "bob:{PLAIN}b::::::quota_messages=2\nann:{PLAIN}a\n");
        Path message = Files.writeString(dir.resolve("m.eml"), "Subject: q\n\nbody\n"); // 20 octets with CRLF
        String data = dir.toString();
        assertThat(Main.run("deliver", "--data", data, "--user", "bob", message.toString())).isEqualTo(0);
        assertThat(Main.run("deliver", "--data", data, "--user", "bob", message.toString())).isEqualTo(0);
        assertThat(Main.run("deliver", "--data", data, "--user", "bob", message.toString())).isEqualTo(77);
        assertThat(Main.run("deliver", "--data", data, "--user", "bob", "--set", "quota-full-tempfail=yes",
                message.toString())).isEqualTo(75);
        assertThat(Main.run("deliver", "--data", data, "--user", "ann", "--set", "quota-bytes=30",
                message.toString(), message.toString())).as("the second would cross 30 octets").isEqualTo(77);
        assertThat(Main.run("deliver", "--data", data, "--user", "ann", "--set", "quota-bytes=30",
                "--set", "quota-grace=yes", message.toString())).as("grace lets it cross").isEqualTo(0);

        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run("quota", "--data", data, "--set", "quota-bytes=1k")).isEqualTo(0);
        } finally {
            System.setOut(saved);
        }
        assertThat(out.toString(StandardCharsets.UTF_8).lines().map(l -> l.trim().split(" +")))
                .anySatisfy(cols -> assertThat(cols).containsExactly("bob", "40", "1024", "2", "2", "100%"))
                .anySatisfy(cols -> assertThat(cols).containsExactly("ann", "40", "1024", "2", "-", "4%"));
        assertThat(Main.run("quota", "--data", data, "nobody")).isEqualTo(67);
    }
}
