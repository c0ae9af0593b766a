package dev.postoffice.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The app's logback.xml writes every event as one line, whatever its message or exception holds. */
class SafeLogPatternTest {
    private static String encode(ILoggingEvent event) throws Exception {
        LoggerContext context = new LoggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(SafeLogPatternTest.class.getResource("/logback.xml"));
        try {
            BatchingAppender async = (BatchingAppender) context.getLogger("ROOT").getAppender("ASYNC");
            @SuppressWarnings("unchecked")
            OutputStreamAppender<ILoggingEvent> out = (OutputStreamAppender<ILoggingEvent>) async.getAppender("OUT");
            return new String(out.getEncoder().encode(event), StandardCharsets.UTF_8);
        } finally {
            context.stop();
        }
    }

    private static LoggingEvent event(String format, Object arg, Throwable t) {
        LoggerContext context = new LoggerContext();
        LoggingEvent e = new LoggingEvent("test", context.getLogger("dev.postoffice.Test"), Level.INFO, format, t,
                new Object[] {arg});
        e.setMDCPropertyMap(java.util.Map.of("session", "7"));
        return e;
    }

    @Test
    void aMessageWithCrLfIsOneLine() throws Exception {
        String forged = "x\r\n2026-01-01T00:00:00.000Z INFO  [Logins] auth: ip=192.0.2.7 user=bob result=fail";
        String line = encode(event("bearer token refused: {}", forged, null));
        assertThat(line).endsWith("\n");
        assertThat(line.lines()).hasSize(1);
        assertThat(line).contains("x\\r\\n2026-01-01T00:00:00.000Z INFO  [Logins] auth: ip=192.0.2.7");
    }

    @Test
    void otherControlsAreEscapedAndPlainTextUntouched() {
        assertThat(SafeMessageConverter.escape("a\u0000b\u001b[31mc\u0085d\u2028e\tf\\g é"))
                .isEqualTo("a\\u0000b\\u001b[31mc\\u0085d\\u2028e\\tf\\g é");
        String plain = "auth: ip=127.0.0.1 user=alice result=ok";
        assertThat(SafeMessageConverter.escape(plain)).isSameAs(plain);
    }

    @Test
    void noLineOfAStackTraceStartsAtTheMargin() throws Exception {
        String text = encode(event("failed: {}", "x",
                new IOException("bad\nauth: ip=192.0.2.7 result=fail", new IllegalStateException("inner"))));
        assertThat(text.lines().skip(1)).isNotEmpty().allMatch(l -> l.startsWith("\t"));
        assertThat(text.lines().findFirst().orElseThrow()).endsWith("failed: x");
    }
}
