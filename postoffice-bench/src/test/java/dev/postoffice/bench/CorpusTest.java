package dev.postoffice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.message.MessageFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CorpusTest {
    @Test
    void messagesHaveHeadersABodyAndTheRequestedSize() {
        for (int size : new int[] {2_000, 30_000, 250_000}) {
            byte[] m = Corpus.message(new SplittableRandom(size), 1, size);
            String text = new String(m, StandardCharsets.UTF_8);
            assertThat(text).startsWith("Return-Path: <").contains("\nSubject: ", "\nMessage-ID: <", "\n\n");
            assertThat(text).doesNotContain("\r");
            assertThat(m.length).isBetween((int) (size * 0.9), (int) (size * 1.1) + 200);
        }
    }

    @Test
    void onlyDottedMessagesHaveLinesStartingWithADot() {
        String dotted = new String(Corpus.message(new SplittableRandom(7), 1, 30_000, true), StandardCharsets.UTF_8);
        String clean = new String(Corpus.message(new SplittableRandom(7), 1, 30_000, false), StandardCharsets.UTF_8);
        assertThat(dotted).contains("\n.");
        assertThat(clean).doesNotContain("\n.").doesNotStartWith(".");
        assertThat(clean.length()).isBetween(27_000, 33_200);
    }

    @Test
    void sizesFollowTheMixWithinBounds() {
        SplittableRandom r = new SplittableRandom(1);
        int small = 0;
        for (int i = 0; i < 10_000; i++) {
            int s = Corpus.sampleSize(r, 2_000_000);
            assertThat(s).isBetween(2_000, 2_000_000);
            if (s < 8_000) {
                small++;
            }
        }
        assertThat(small).isBetween(4_000, 5_000); // 45 %
    }

    @Test
    void writesPoolManifestAndUsersFilesThatTheCeilingServes(@TempDir Path dir) throws Exception {
        int exit = new CommandLine(new Corpus()).execute("--out", dir.toString(), "--users", "3", "--messages", "4",
                "--pool", "10", "--max-size", "60000", "--big-mb", "1", "--many", "25", "--idle-users", "5");
        assertThat(exit).isZero();
        assertThat(UsersFile.read(dir.resolve("users-mail"))).extracting(UsersFile.Credentials::name)
                .containsExactly("user0001", "user0002", "user0003");
        assertThat(UsersFile.read(dir.resolve("users-many"))).hasSize(1);
        assertThat(UsersFile.read(dir.resolve("users-idle"))).hasSize(5)
                .allMatch(u -> u.password().equals(Corpus.IDLE_PASSWORD));
        var drops = CeilingServer.fromManifest(dir.resolve("manifest"));
        assertThat(drops.get("user0001").messages()).hasSize(5); // plus the big one
        assertThat(drops.get("user0002").messages()).hasSize(4);
        assertThat(drops.get("many").messages()).hasSize(25);
        byte[] first = Files.readAllBytes(dir.resolve(Files.readAllLines(dir.resolve("manifest")).get(1).split("\t")[1].split(" ")[0]));
        assertThat(drops.get("user0001").messages()[0].size()).isEqualTo(MessageFormat.canonicalSize(first));

        // Deterministic: the same seed writes the same manifest.
        Path again = dir.resolve("again");
        new CommandLine(new Corpus()).execute("--out", again.toString(), "--users", "3", "--messages", "4",
                "--pool", "10", "--max-size", "60000", "--big-mb", "1", "--many", "25", "--idle-users", "5");
        assertThat(Files.readAllLines(again.resolve("manifest"))).isEqualTo(Files.readAllLines(dir.resolve("manifest")));
        assertThat(List.of(Files.readAllBytes(again.resolve("pool/m0003.eml"))).get(0))
                .isEqualTo(Files.readAllBytes(dir.resolve("pool/m0003.eml")));
    }
}
