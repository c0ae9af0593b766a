package dev.postoffice.auth;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Dovecot passwd-file line format, {@code user:password:uid:gid:gecos:home:shell:extra_fields}, at the byte
 * level (so edits can keep every other line intact) and at the field level.
 */
final class PasswdLines {
    private static final int HOME = 5;
    private static final int EXTRA = 7;

    private PasswdLines() {}

    /**
     * One physical line.
     *
     * @param number     1-based line number
     * @param content    the bytes without the line terminator
     * @param terminator {@code "\n"}, {@code "\r\n"}, or for a last line without newline {@code "\r"} or {@code ""};
     *                   {@code content + terminator} is exactly what the file holds
     */
    record Line(int number, byte[] content, String terminator) {
        /** The content as UTF-8, or empty when it is not valid UTF-8. */
        Optional<String> text() {
            try {
                return Optional.of(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(content)).toString());
            } catch (CharacterCodingException e) {
                return Optional.empty();
            }
        }

        /** The user name field when this line defines a user (not blank, not a comment, not starting with ':'). */
        Optional<String> userName() {
            return text().filter(PasswdLines::definesUser).map(t -> field(t, 0));
        }

        Line withContent(String text) {
            return new Line(number, text.getBytes(StandardCharsets.UTF_8), terminator);
        }

        Line withTerminator(String newTerminator) {
            return new Line(number, content, newTerminator);
        }
    }

    /** The outcome of parsing one line: a user, a line to skip silently, or a line to skip with a warning. */
    sealed interface Parsed {
        record User(UserRecord record) implements Parsed {}

        record Ignored() implements Parsed {}

        /** The reason must not quote the line: it may hold a secret. */
        record Malformed(String reason) implements Parsed {}
    }

    /** Splits file contents into lines, keeping each terminator so the lines re-join to the same bytes. */
    static List<Line> split(byte[] bytes) {
        List<Line> lines = new ArrayList<>();
        int start = 0;
        int number = 1;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                boolean crlf = i > start && bytes[i - 1] == '\r';
                int end = crlf ? i - 1 : i;
                lines.add(new Line(number++, Arrays.copyOfRange(bytes, start, end), crlf ? "\r\n" : "\n"));
                start = i + 1;
            }
        }
        if (start < bytes.length) {
            boolean cr = bytes[bytes.length - 1] == '\r';
            int end = cr ? bytes.length - 1 : bytes.length;
            lines.add(new Line(number, Arrays.copyOfRange(bytes, start, end), cr ? "\r" : ""));
        }
        return lines;
    }

    /** Joins lines back into file contents. */
    static byte[] join(List<Line> lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Line line : lines) {
            out.writeBytes(line.content());
            out.writeBytes(line.terminator().getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    /**
     * Parses one line the way Dovecot does: blank lines (here including whitespace-only ones), {@code #} comments
     * and lines starting with {@code ':'} are ignored; the fields are split at {@code ':'}; everything after the shell field is the space-separated extra
     * fields (re-joined with {@code ':'} if it contained any), or, in Dovecot's old format where that field is
     * empty, the {@code userdb_mail} location. Stricter than Dovecot, a line without a password field is
     * malformed (it may be a stray secret rather than a user name), and so is a line whose user name
     * {@link PasswdFile#validateName} rejects or whose home directory is relative, because both end up in
     * file-system paths.
     */
    static Parsed parse(Line line) {
        Optional<String> decoded = line.text();
        if (decoded.isEmpty()) {
            return new Parsed.Malformed("not valid UTF-8");
        }
        String text = decoded.get();
        if (!definesUser(text)) {
            return new Parsed.Ignored();
        }
        String[] fields = text.split(":", -1);
        if (fields.length < 2) {
            return new Parsed.Malformed("no password field");
        }
        String name = fields[0];
        try {
            PasswdFile.validateName(name);
        } catch (IllegalArgumentException e) {
            return new Parsed.Malformed("invalid user name");
        }
        String secret = fields[1];
        Optional<Path> home = Optional.empty();
        if (fields.length > HOME && !fields[HOME].isEmpty()) {
            Path path;
            try {
                path = Path.of(fields[HOME]);
            } catch (InvalidPathException e) {
                return new Parsed.Malformed("user " + name + " has an invalid home directory");
            }
            if (!path.isAbsolute()) {
                return new Parsed.Malformed("user " + name + " has a relative home directory");
            }
            home = Optional.of(path);
        }
        return new Parsed.User(new UserRecord(name, secret, home, extraFields(fields)));
    }

    /** Returns {@code text} with its password field replaced, every other field kept as it was. */
    static String withSecret(String text, String secret) {
        String[] fields = text.split(":", -1);
        if (fields.length == 1) {
            return fields[0] + ":" + secret;
        }
        fields[1] = secret;
        return String.join(":", fields);
    }

    private static Map<String, String> extraFields(String[] fields) {
        if (fields.length <= EXTRA) {
            return Map.of();
        }
        Map<String, String> extra = new LinkedHashMap<>();
        if (fields[EXTRA].isEmpty()) {
            String mail = String.join(":", Arrays.copyOfRange(fields, EXTRA + 1, fields.length));
            if (!mail.isEmpty()) {
                extra.put("userdb_mail", mail);
            }
        } else {
            String joined = String.join(":", Arrays.copyOfRange(fields, EXTRA, fields.length));
            for (String field : joined.split(" ")) {
                if (field.isEmpty()) {
                    continue;
                }
                int eq = field.indexOf('=');
                if (eq < 0) {
                    extra.put(field, "");
                } else {
                    extra.put(field.substring(0, eq), field.substring(eq + 1));
                }
            }
        }
        return Collections.unmodifiableMap(extra);
    }

    private static boolean definesUser(String text) {
        return !text.isBlank() && text.charAt(0) != '#' && text.charAt(0) != ':';
    }

    private static String field(String text, int index) {
        return text.split(":", -1)[index];
    }
}
