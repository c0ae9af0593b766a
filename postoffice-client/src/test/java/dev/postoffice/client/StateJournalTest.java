package dev.postoffice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateJournalTest {
    @TempDir
    Path dir;

    @Test
    void appendsSurviveAReopenAndATornTailIsCutOff() throws Exception {
        Path f = dir.resolve("s/a.state");
        try (StateJournal j = StateJournal.open(f)) {
            j.append(List.of("u1", "u2"), 100);
        }
        Files.writeString(f, "R 101 u3", StandardOpenOption.APPEND); // a crash in the middle of a line
        try (StateJournal j = StateJournal.open(f)) {
            assertThat(j.retrieved()).isEqualTo(Map.of("u1", 100L, "u2", 100L));
            j.append(List.of("u4"), 102);
        }
        assertThat(Files.readString(f)).isEqualTo(StateJournal.HEADER + "\nR 100 u1\nR 100 u2\nR 102 u4\n");
    }

    @Test
    void compactionKeepsOnlyWhatIsStillOnTheServer() throws Exception {
        Path f = dir.resolve("a.state");
        try (StateJournal j = StateJournal.open(f)) {
            j.append(List.of("u1", "u2", "u3"), 100);
            j.compact(Map.of("u2", 100L));
            j.append(List.of("u5"), 200);
        }
        try (StateJournal j = StateJournal.open(f)) {
            assertThat(j.retrieved()).isEqualTo(Map.of("u2", 100L, "u5", 200L));
        }
        assertThat(Files.exists(dir.resolve("a.state.tmp"))).isFalse();
    }

    @Test
    void aDamagedJournalIsRefusedRatherThanGuessed() throws Exception {
        Path f = dir.resolve("a.state");
        Files.writeString(f, StateJournal.HEADER + "\nR x u1\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> StateJournal.open(f)).isInstanceOf(FetchException.class).hasMessageContaining("damaged");
        Files.writeString(f, "something else\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> StateJournal.open(f)).hasMessageContaining("not a postoffice fetch state file");
    }

    @Test
    void oneHolderAtATime() throws Exception {
        Path f = dir.resolve("a.state");
        try (StateJournal j = StateJournal.open(f)) {
            assertThatThrownBy(() -> StateJournal.open(f)).isInstanceOf(FetchException.class)
                    .matches(e -> ((FetchException) e).temporary());
        }
        StateJournal.open(f).close();
    }
}
