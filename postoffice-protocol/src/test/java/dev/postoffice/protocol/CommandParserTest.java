package dev.postoffice.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CommandParserTest {

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("USER alice", new Command.User("alice")),
                Arguments.of("user alice@example.org", new Command.User("alice@example.org")),
                Arguments.of("USER  alice ", new Command.User("alice")),
                Arguments.of("USER 김철수", new Command.User("김철수")),
                Arguments.of("PASS secret", new Command.Pass("secret")),
                Arguments.of("PASS  two words ", new Command.Pass(" two words ")),
                Arguments.of("pass x", new Command.Pass("x")),
                Arguments.of("APOP mrose c4c9334bac560ecc979e58001b3e22fb",
                        new Command.Apop("mrose", "c4c9334bac560ecc979e58001b3e22fb")),
                Arguments.of("APOP mrose C4C9334BAC560ECC979E58001B3E22FB",
                        new Command.Apop("mrose", "c4c9334bac560ecc979e58001b3e22fb")),
                Arguments.of("QUIT", new Command.Quit()),
                Arguments.of("quit", new Command.Quit()),
                Arguments.of("QuIt", new Command.Quit()),
                Arguments.of("CAPA", new Command.Capa()),
                Arguments.of("NOOP", new Command.Noop()),
                Arguments.of("STAT", new Command.Stat()),
                Arguments.of("STAT ", new Command.Stat()),
                Arguments.of("RSET", new Command.Rset()),
                Arguments.of("LIST", new Command.List(OptionalInt.empty())),
                Arguments.of("LIST 1", new Command.List(OptionalInt.of(1))),
                Arguments.of("list 2147483647", new Command.List(OptionalInt.of(Integer.MAX_VALUE))),
                Arguments.of("LIST 007", new Command.List(OptionalInt.of(7))),
                Arguments.of("UIDL", new Command.Uidl(OptionalInt.empty())),
                Arguments.of("UIDL 3", new Command.Uidl(OptionalInt.of(3))),
                Arguments.of("RETR 1", new Command.Retr(1)),
                Arguments.of("DELE 12", new Command.Dele(12)),
                Arguments.of("TOP 1 0", new Command.Top(1, 0)),
                Arguments.of("top 1 99999999", new Command.Top(1, 99_999_999)),
                Arguments.of("TOP 1 9223372036854775807", new Command.Top(1, Long.MAX_VALUE)),
                Arguments.of("STLS", new Command.Stls()),
                Arguments.of("stls", new Command.Stls()),
                Arguments.of("AUTH", new Command.Auth(Optional.empty(), Optional.empty())),
                Arguments.of("AUTH plain", new Command.Auth(Optional.of("PLAIN"), Optional.empty())),
                Arguments.of("AUTH PLAIN AGFsaWNlAHNlY3JldA==",
                        new Command.Auth(Optional.of("PLAIN"), Optional.of("AGFsaWNlAHNlY3JldA=="))),
                Arguments.of("AUTH PLAIN =", new Command.Auth(Optional.of("PLAIN"), Optional.of("="))),
                Arguments.of("AUTH SCRAM-SHA-256", new Command.Auth(Optional.of("SCRAM-SHA-256"), Optional.empty())),
                Arguments.of("UTF8", new Command.Utf8()),
                Arguments.of("utf8", new Command.Utf8()),
                Arguments.of("LANG", new Command.Lang(Optional.empty())),
                Arguments.of("LANG en", new Command.Lang(Optional.of("en"))));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("valid")
    void parsesValidCommands(String line, Command expected) throws Exception {
        assertThat(parse(line)).isEqualTo(expected);
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("", "empty command line", true),
                Arguments.of(" STAT", "command line starts with a space", true),
                Arguments.of("FOO", "unknown command", true),
                Arguments.of("ST4T", "unknown command", true),
                Arguments.of("LAST", "LAST was removed from POP3 by RFC 1939; use UIDL", true),
                Arguments.of("STAT 1", "STAT takes no arguments", false),
                Arguments.of("QUIT now", "QUIT takes no arguments", false),
                Arguments.of("USER", "USER needs a user name", false),
                Arguments.of("USER a b", "too many arguments for USER", false),
                Arguments.of("PASS", "PASS needs a password", false),
                Arguments.of("PASS ", "PASS needs a password", false),
                Arguments.of("RETR", "RETR needs a message number", false),
                Arguments.of("RETR 0", "invalid message number", false),
                Arguments.of("RETR -1", "invalid message number", false),
                Arguments.of("RETR +1", "invalid message number", false),
                Arguments.of("RETR 1x", "invalid message number", false),
                Arguments.of("RETR 0x10", "invalid message number", false),
                Arguments.of("RETR 2147483648", "invalid message number", false),
                Arguments.of("RETR 99999999999999999999999", "invalid message number", false),
                Arguments.of("RETR 1 2", "too many arguments for RETR", false),
                Arguments.of("DELE 0", "invalid message number", false),
                Arguments.of("LIST 1 2", "too many arguments for LIST", false),
                Arguments.of("LIST 0", "invalid message number", false),
                Arguments.of("UIDL x", "invalid message number", false),
                Arguments.of("TOP 1", "TOP needs a message number and a number of lines", false),
                Arguments.of("TOP 1 2 3", "TOP needs a message number and a number of lines", false),
                Arguments.of("TOP 1 -1", "invalid number of lines", false),
                Arguments.of("TOP 1 9223372036854775808", "invalid number of lines", false),
                Arguments.of("TOP 0 1", "invalid message number", false),
                Arguments.of("APOP mrose", "APOP needs a user name and a digest", false),
                Arguments.of("STLS now", "STLS takes no arguments", false),
                Arguments.of("AUTH PLAIN a b", "too many arguments for AUTH", false),
                Arguments.of("AUTH PL@IN", "invalid SASL mechanism name", false),
                Arguments.of("AUTH ABCDEFGHIJKLMNOPQRSTU", "invalid SASL mechanism name", false),
                Arguments.of("UTF8 x", "UTF8 takes no arguments", false),
                Arguments.of("LANG en fr", "too many arguments for LANG", false),
                Arguments.of("APOP mrose xyz", "APOP digest must be 32 hexadecimal digits", false),
                Arguments.of("APOP mrose c4c9334bac560ecc979e58001b3e22fg",
                        "APOP digest must be 32 hexadecimal digits", false));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("invalid")
    void rejectsInvalidCommands(String line, String message, boolean unknown) {
        assertThatThrownBy(() -> parse(line))
                .isInstanceOfSatisfying(CommandSyntaxException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(message);
                    assertThat(e.unknownCommand()).isEqualTo(unknown);
                });
    }

    @ParameterizedTest(name = "{index}")
    @MethodSource("garbage")
    void rejectsGarbageWithoutEchoingIt(byte[] line, String message) {
        assertThatThrownBy(() -> CommandParser.parse(line, line.length))
                .isInstanceOf(CommandSyntaxException.class)
                .hasMessage(message);
    }

    static Stream<Arguments> garbage() {
        return Stream.of(
                Arguments.of(new byte[] {'S', 'T', 0, 'T'}, "NUL byte in command line"),
                Arguments.of(new byte[] {0}, "NUL byte in command line"),
                Arguments.of(new byte[] {'U', 'S', 'E', 'R', ' ', (byte) 0xff, (byte) 0xfe}, "command line is not valid UTF-8"),
                Arguments.of(new byte[] {(byte) 0xc3, (byte) 0xa9}, "unknown command"),
                Arguments.of(new byte[] {0x16, 0x03, 0x01, 0x02}, "unknown command"),
                Arguments.of("GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII), "unknown command"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("valid")
    void passwordIsNeverPrinted(String line, Command expected) throws Exception {
        Command c = parse(line);
        if (c instanceof Command.Pass) {
            assertThat(c.toString()).doesNotContain(((Command.Pass) expected).password().trim());
        }
    }

    private static Command parse(String line) throws CommandSyntaxException {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return CommandParser.parse(b, b.length);
    }
}
