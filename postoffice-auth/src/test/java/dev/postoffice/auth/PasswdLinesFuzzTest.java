package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * Fuzzes the passwd-file parser with arbitrary file contents. Asserted: splitting into lines and joining them
 * gives back the same bytes (edits keep other lines intact); every line parses without an exception; a user's name
 * is one {@link PasswdFile#validateName} accepts and agrees with {@link PasswdLines.Line#userName}, its home is
 * absolute; a malformed line's reason does not quote the line's secret; and replacing a user's secret with
 * {@link PasswdLines#withSecret} changes the secret and nothing else.
 */
class PasswdLinesFuzzTest {
    @FuzzTest
    void parse(byte[] file) {
        List<PasswdLines.Line> lines = PasswdLines.split(file);
        assertThat(PasswdLines.join(lines)).isEqualTo(file);
        for (int i = 0; i < lines.size(); i++) {
            PasswdLines.Line line = lines.get(i);
            assertThat(line.number()).isEqualTo(i + 1);
            assertThat(line.content()).doesNotContain((byte) '\n');
            assertThat(line.terminator()).isIn("\n", "\r\n", "\r", "");
            checkLine(line);
        }
    }

    private static void checkLine(PasswdLines.Line line) {
        PasswdLines.Parsed parsed = PasswdLines.parse(line);
        switch (parsed) {
            case PasswdLines.Parsed.User u -> {
                UserRecord user = u.record();
                assertThatCode(() -> PasswdFile.validateName(user.name())).doesNotThrowAnyException();
                assertThat(line.userName()).contains(user.name());
                user.home().ifPresent(home -> assertThat(home.isAbsolute()).isTrue());
                assertThat(user.secret()).doesNotContain(":");
                String text = line.text().orElseThrow();
                String changed = PasswdLines.withSecret(text, "{PLAIN}fuzz");
                PasswdLines.Parsed again = PasswdLines.parse(line.withContent(changed));
                assertThat(again).isInstanceOf(PasswdLines.Parsed.User.class);
                UserRecord updated = ((PasswdLines.Parsed.User) again).record();
                assertThat(updated.secret()).isEqualTo("{PLAIN}fuzz");
                assertThat(updated.name()).isEqualTo(user.name());
                assertThat(updated.home()).isEqualTo(user.home());
                assertThat(updated.extra()).isEqualTo(user.extra());
                assertThat(updated.account()).isEqualTo(user.account());
            }
            case PasswdLines.Parsed.Malformed m -> {
                assertThat(m.reason()).isNotEmpty();
                line.text().ifPresent(text -> {
                    String[] fields = text.split(":", -1);
                    if (fields.length > 1 && fields[1].length() >= 6 && !fields[0].contains(fields[1])
                            && !reasonWithoutSecret(text, fields[1]).contains(fields[1])) {
                        // Unless the words of the reason or the other fields spell it anyway ("elative" in
                        // "relative home directory"), the reason never shows the secret.
                        assertThat(m.reason()).doesNotContain(fields[1]);
                    }
                });
            }
            case PasswdLines.Parsed.Ignored ignored -> assertThat(line.userName()).isEmpty();
        }
    }

    /** The reason given for the same line with its secret replaced by as many '#'. */
    private static String reasonWithoutSecret(String text, String secret) {
        int at = text.indexOf(':');
        String masked = text.substring(0, at + 1) + "#".repeat(secret.length()) + text.substring(at + 1 + secret.length());
        PasswdLines.Parsed parsed = PasswdLines.parse(
                PasswdLines.split(masked.getBytes(java.nio.charset.StandardCharsets.UTF_8)).get(0));
        return parsed instanceof PasswdLines.Parsed.Malformed m ? m.reason() : "";
    }
}
