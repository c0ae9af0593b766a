package dev.postoffice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The generator's users file: one {@code name password} per line. The name ends at the first space or
 * tab; the password is the rest of the line after that run of blanks, taken exactly (it may contain
 * spaces, as RFC 1939's PASS allows). Blank lines and lines whose first non-blank character is {@code #}
 * are skipped; a CR before the line feed is dropped.
 */
public final class UsersFile {
    /** One account the generator logs in as. */
    public record Credentials(String name, String password) {
        @Override
        public String toString() {
            return name; // never the password
        }
    }

    private UsersFile() {}

    public static List<Credentials> read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * @throws IllegalArgumentException naming the line (never its content) that has no password
     */
    public static List<Credentials> parse(String text, String source) {
        List<Credentials> users = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (l.endsWith("\r")) {
                l = l.substring(0, l.length() - 1);
            }
            int start = skipBlanks(l, 0);
            if (start == l.length() || l.charAt(start) == '#') {
                continue;
            }
            int end = start;
            while (end < l.length() && !blank(l.charAt(end))) {
                end++;
            }
            int pw = skipBlanks(l, end);
            if (pw == l.length()) {
                throw new IllegalArgumentException(source + " line " + (i + 1) + ": expected 'name password'");
            }
            users.add(new Credentials(l.substring(start, end), l.substring(pw)));
        }
        return users;
    }

    private static int skipBlanks(String s, int i) {
        while (i < s.length() && blank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean blank(char c) {
        return c == ' ' || c == '\t';
    }
}
