package dev.postoffice.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Parses one command line (without its line terminator) into a {@link Command}.
 *
 * <p>RFC 1939 section 3: a keyword, case-insensitive, and arguments separated by a space. Numeric
 * arguments are strict: ASCII digits only, no sign, no overflow, and message numbers start at 1. Extra
 * arguments are an error. The parser is stateless and knows nothing of sessions or storage.
 */
public final class CommandParser {
    private CommandParser() {}

    public static Command parse(byte[] line, int length) throws CommandSyntaxException {
        for (int i = 0; i < length; i++) {
            if (line[i] == 0) {
                throw new CommandSyntaxException("NUL byte in command line");
            }
        }
        String text = decode(line, length);
        int sp = text.indexOf(' ');
        String keyword = sp < 0 ? text : text.substring(0, sp);
        String rest = sp < 0 ? "" : text.substring(sp + 1);
        if (keyword.isEmpty()) {
            throw new CommandSyntaxException(text.isEmpty() ? "empty command line" : "command line starts with a space", true);
        }
        if (!isKeyword(keyword)) {
            throw new CommandSyntaxException("unknown command", true);
        }
        String kw = keyword.toUpperCase(Locale.ROOT);
        if (kw.equals("PASS")) {
            // The rest of the line, spaces included, is the password (RFC 1939 section 7).
            if (rest.isEmpty()) {
                throw new CommandSyntaxException("PASS needs a password");
            }
            return new Command.Pass(rest);
        }
        String[] args = split(rest);
        return switch (kw) {
            case "USER" -> new Command.User(one(kw, args, "a user name"));
            case "APOP" -> apop(args);
            case "QUIT" -> none(kw, args, new Command.Quit());
            case "CAPA" -> none(kw, args, new Command.Capa());
            case "NOOP" -> none(kw, args, new Command.Noop());
            case "STAT" -> none(kw, args, new Command.Stat());
            case "RSET" -> none(kw, args, new Command.Rset());
            case "LIST" -> new Command.List(optionalMessage(kw, args));
            case "UIDL" -> new Command.Uidl(optionalMessage(kw, args));
            case "RETR" -> new Command.Retr(messageNumber(one(kw, args, "a message number")));
            case "DELE" -> new Command.Dele(messageNumber(one(kw, args, "a message number")));
            case "TOP" -> top(args);
            case "STLS" -> none(kw, args, new Command.Stls());
            case "AUTH" -> auth(args);
            case "UTF8" -> none(kw, args, new Command.Utf8());
            case "LANG" -> lang(args);
            case "LAST" -> throw new CommandSyntaxException("LAST was removed from POP3 by RFC 1939; use UIDL", true);
            default -> throw new CommandSyntaxException("unknown command", true);
        };
    }

    private static String decode(byte[] line, int length) throws CommandSyntaxException {
        boolean ascii = true;
        for (int i = 0; i < length; i++) {
            if (line[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(line, 0, length, StandardCharsets.ISO_8859_1);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(line, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new CommandSyntaxException("command line is not valid UTF-8");
        }
    }

    /** RFC 2449 section 3: keywords are printable ASCII; ours are letters and digits (UTF8). */
    private static boolean isKeyword(String s) {
        if (s.length() > 40) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    /** Arguments separated by spaces; runs of spaces and trailing spaces are tolerated. */
    private static String[] split(String rest) {
        if (rest.isEmpty()) {
            return new String[0];
        }
        ArrayList<String> out = new ArrayList<>(2);
        int i = 0;
        int n = rest.length();
        while (i < n) {
            while (i < n && rest.charAt(i) == ' ') {
                i++;
            }
            int start = i;
            while (i < n && rest.charAt(i) != ' ') {
                i++;
            }
            if (i > start) {
                out.add(rest.substring(start, i));
            }
        }
        return out.toArray(new String[0]);
    }

    private static Command none(String kw, String[] args, Command command) throws CommandSyntaxException {
        if (args.length != 0) {
            throw new CommandSyntaxException(kw + " takes no arguments");
        }
        return command;
    }

    private static String one(String kw, String[] args, String what) throws CommandSyntaxException {
        if (args.length == 0) {
            throw new CommandSyntaxException(kw + " needs " + what);
        }
        if (args.length > 1) {
            throw new CommandSyntaxException("too many arguments for " + kw);
        }
        return args[0];
    }

    private static OptionalInt optionalMessage(String kw, String[] args) throws CommandSyntaxException {
        if (args.length == 0) {
            return OptionalInt.empty();
        }
        if (args.length > 1) {
            throw new CommandSyntaxException("too many arguments for " + kw);
        }
        return OptionalInt.of(messageNumber(args[0]));
    }

    private static Command apop(String[] args) throws CommandSyntaxException {
        if (args.length != 2) {
            throw new CommandSyntaxException("APOP needs a user name and a digest");
        }
        String digest = args[1];
        if (digest.length() != 32 || !isHex(digest)) {
            throw new CommandSyntaxException("APOP digest must be 32 hexadecimal digits");
        }
        return new Command.Apop(args[0], digest.toLowerCase(Locale.ROOT));
    }

    private static Command auth(String[] args) throws CommandSyntaxException {
        if (args.length > 2) {
            throw new CommandSyntaxException("too many arguments for AUTH");
        }
        java.util.Optional<String> mechanism = args.length > 0
                ? java.util.Optional.of(args[0].toUpperCase(Locale.ROOT)) : java.util.Optional.empty();
        if (mechanism.isPresent() && !isMechanismName(mechanism.get())) {
            throw new CommandSyntaxException("invalid SASL mechanism name");
        }
        return new Command.Auth(mechanism, args.length > 1 ? java.util.Optional.of(args[1]) : java.util.Optional.empty());
    }

    /** RFC 4422 section 3.1: 1 to 20 characters of A-Z, 0-9, '-' and '_'. */
    private static boolean isMechanismName(String s) {
        if (s.isEmpty() || s.length() > 20) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static Command lang(String[] args) throws CommandSyntaxException {
        if (args.length > 1) {
            throw new CommandSyntaxException("too many arguments for LANG");
        }
        return new Command.Lang(args.length == 0 ? java.util.Optional.empty() : java.util.Optional.of(args[0]));
    }

    private static Command top(String[] args) throws CommandSyntaxException {
        if (args.length != 2) {
            throw new CommandSyntaxException("TOP needs a message number and a number of lines");
        }
        int message = messageNumber(args[0]);
        long lines = number(args[1], Long.MAX_VALUE, "invalid number of lines");
        return new Command.Top(message, lines);
    }

    /** A message number: 1 to 2^31-1, ASCII digits only. */
    public static int messageNumber(String s) throws CommandSyntaxException {
        long n = number(s, Integer.MAX_VALUE, "invalid message number");
        if (n == 0) {
            throw new CommandSyntaxException("invalid message number");
        }
        return (int) n;
    }

    private static long number(String s, long max, String error) throws CommandSyntaxException {
        if (s.isEmpty() || s.length() > 19) {
            throw new CommandSyntaxException(error);
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new CommandSyntaxException(error);
            }
            int d = c - '0';
            if (n > (max - d) / 10) {
                throw new CommandSyntaxException(error);
            }
            n = n * 10 + d;
        }
        return n;
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }
}
