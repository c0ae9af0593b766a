package dev.postoffice.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Fuzzes {@link CommandParser#parse} with arbitrary command lines. Beyond "no crash": the only exception is
 * {@link CommandSyntaxException}, whose message is short printable ASCII (it goes after {@code -ERR} and must not
 * carry the client's bytes); only the first {@code length} bytes count; a parsed command's arguments obey the
 * grammar; and a command written back in canonical form parses to the same command.
 */
class CommandParserFuzzTest {
    @FuzzTest
    void parse(byte[] line) {
        Command command;
        try {
            command = CommandParser.parse(line, line.length);
        } catch (CommandSyntaxException e) {
            assertSafeMessage(e.getMessage());
            return;
        }
        assertThat(command).isNotNull();
        checkArguments(command);

        // Only the first `length` bytes are the line: trailing garbage in the buffer changes nothing.
        byte[] padded = Arrays.copyOf(line, line.length + 3);
        padded[line.length] = ' ';
        padded[line.length + 1] = 'X';
        padded[line.length + 2] = 0;
        assertThat(parseOrFail(padded, line.length)).isEqualTo(command);

        // Round trip through the canonical form.
        byte[] canonical = format(command).getBytes(StandardCharsets.UTF_8);
        assertThat(parseOrFail(canonical, canonical.length)).isEqualTo(command);
    }

    private static Command parseOrFail(byte[] line, int length) {
        try {
            return CommandParser.parse(line, length);
        } catch (CommandSyntaxException e) {
            throw new AssertionError("a line equivalent to an accepted one was refused: " + e.getMessage());
        }
    }

    static void assertSafeMessage(String message) {
        assertThat(message).isNotEmpty().hasSizeLessThanOrEqualTo(100);
        assertThat(message.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).as("printable ASCII: %s", message).isTrue();
    }

    private static void checkArguments(Command command) {
        switch (command) {
            case Command.User u -> assertWord(u.name());
            case Command.Pass p -> assertThat(p.password()).isNotEmpty().doesNotContain("\0");
            case Command.Apop a -> {
                assertWord(a.name());
                assertThat(a.digest()).matches("[0-9a-f]{32}");
            }
            case Command.Auth a -> {
                a.mechanism().ifPresent(m -> assertThat(m).matches("[A-Z0-9_-]{1,20}"));
                a.initialResponse().ifPresent(CommandParserFuzzTest::assertWord);
                assertThat(a.initialResponse().isEmpty() || a.mechanism().isPresent()).isTrue();
            }
            case Command.Lang l -> l.tag().ifPresent(CommandParserFuzzTest::assertWord);
            case Command.List l -> l.message().ifPresent(n -> assertThat(n).isPositive());
            case Command.Uidl u -> u.message().ifPresent(n -> assertThat(n).isPositive());
            case Command.Retr r -> assertThat(r.message()).isPositive();
            case Command.Dele d -> assertThat(d.message()).isPositive();
            case Command.Top t -> {
                assertThat(t.message()).isPositive();
                assertThat(t.lines()).isNotNegative();
            }
            default -> { }
        }
    }

    private static void assertWord(String s) {
        assertThat(s).isNotEmpty().doesNotContain(" ").doesNotContain("\0");
    }

    /** The command as a client would canonically write it. */
    private static String format(Command command) {
        return switch (command) {
            case Command.User u -> "USER " + u.name();
            case Command.Pass p -> "PASS " + p.password();
            case Command.Apop a -> "APOP " + a.name() + " " + a.digest();
            case Command.Auth a -> "AUTH" + a.mechanism().map(m -> " " + m).orElse("")
                    + a.initialResponse().map(r -> " " + r).orElse("");
            case Command.Lang l -> "LANG" + l.tag().map(t -> " " + t).orElse("");
            case Command.List l -> "LIST" + (l.message().isPresent() ? " " + l.message().getAsInt() : "");
            case Command.Uidl u -> "UIDL" + (u.message().isPresent() ? " " + u.message().getAsInt() : "");
            case Command.Retr r -> "RETR " + r.message();
            case Command.Dele d -> "DELE " + d.message();
            case Command.Top t -> "TOP " + t.message() + " " + t.lines();
            default -> command.getClass().getSimpleName().toUpperCase(Locale.ROOT);
        };
    }
}
