package dev.postoffice.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

/** {@code log-format = json}: one object per line, escaped as the text format is, event fields lifted out. */
class JsonLayoutTest {
    private static String layout(String format, Object... args) {
        LoggerContext context = new LoggerContext();
        LoggingEvent e = new LoggingEvent("test", context.getLogger("dev.postoffice.server.login.LoginPolicy"),
                Level.INFO, format, null, args);
        e.setTimeStamp(1_700_000_000_123L);
        e.setMDCPropertyMap(java.util.Map.of("session", "42"));
        return new JsonLayout().doLayout(e);
    }

    @Test
    void anAuthLineBecomesFields() {
        String line = layout("auth: ip={} user={} mechanism={} secure={} result={}", "192.0.2.7", "alice", "USER",
                "no", "fail");
        assertThat(line).isEqualTo("{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"INFO\",\"logger\":\"LoginPolicy\","
                + "\"session\":\"42\",\"msg\":\"auth: ip=192.0.2.7 user=alice mechanism=USER secure=no result=fail\","
                + "\"event\":\"auth\",\"ip\":\"192.0.2.7\",\"user\":\"alice\",\"mechanism\":\"USER\",\"secure\":\"no\","
                + "\"result\":\"fail\"}\n");
    }

    @Test
    void aForgedLineStaysInsideItsString() {
        String line = layout("bearer token refused: {}", "x\"}\r\n{\"level\":\"INFO\",\"msg\":\"auth: result=ok\\");
        assertThat(line.lines()).hasSize(1);
        assertThat(line).contains("\"msg\":\"bearer token refused: x\\\"}\\\\r\\\\n{\\\"level\\\":\\\"INFO\\\","
                + "\\\"msg\\\":\\\"auth: result=ok\\\\\"}");
        assertThat(line).doesNotContain("\"event\"");
    }

    @Test
    void reservedNamesAreNotOverwrittenByFields() {
        String line = layout("logout: ip={} level={} reason={}", "::1", "DEBUG", "idle timeout");
        assertThat(line).contains("\"level\":\"INFO\"").doesNotContain("\"level\":\"DEBUG\"")
                .contains("\"reason\":\"idle timeout\"");
    }
}
