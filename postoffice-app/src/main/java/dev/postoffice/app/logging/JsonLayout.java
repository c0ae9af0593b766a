package dev.postoffice.app.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * {@code log-format = json}: one JSON object per line with {@code time}, {@code level}, {@code logger},
 * {@code session} (the connection number, when there is one), {@code msg}, and for lines of the form
 * {@code event: key=value ...} (the {@code auth:} and {@code logout:} lines) {@code event} and each key as a field.
 * The message is escaped as in the text format first ({@link SafeMessageConverter#escape}), then as JSON.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> {
    /** {@code auth: ip=... user=...}: an event name, then {@code key=value} pairs. */
    private static final Pattern EVENT = Pattern.compile("^([a-z][a-z ]{0,30}): ([a-z_]+=.*)$");
    private static final Pattern FIELD = Pattern.compile("([a-z_]+)=(.*?)(?= [a-z_]+=|$)");
    private static final java.util.Set<String> RESERVED = java.util.Set.of("time", "level", "logger", "session",
            "msg", "event", "exception");

    @Override
    public String doLayout(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(256).append("{\"time\":\"").append(Instant.ofEpochMilli(e.getTimeStamp()))
                .append("\",\"level\":\"").append(e.getLevel()).append("\",\"logger\":");
        String logger = e.getLoggerName();
        string(b, logger.substring(logger.lastIndexOf('.') + 1));
        String session = e.getMDCPropertyMap().get("session");
        if (session != null) {
            b.append(",\"session\":");
            string(b, session);
        }
        String msg = SafeMessageConverter.escape(e.getFormattedMessage());
        b.append(",\"msg\":");
        string(b, msg);
        Matcher m = msg == null ? null : EVENT.matcher(msg);
        if (m != null && m.matches()) {
            b.append(",\"event\":");
            string(b, m.group(1));
            Matcher f = FIELD.matcher(m.group(2));
            while (f.find()) {
                if (!RESERVED.contains(f.group(1))) {
                    b.append(",\"").append(f.group(1)).append("\":");
                    string(b, f.group(2));
                }
            }
        }
        IThrowableProxy t = e.getThrowableProxy();
        if (t != null) {
            b.append(",\"exception\":");
            string(b, SafeMessageConverter.escape(ThrowableProxyUtil.asString(t)));
        }
        return b.append("}\n").toString();
    }

    private static void string(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Switches the console appender of logback.xml to this layout. */
    public static void enable() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Appender<ILoggingEvent> async = root.getAppender("ASYNC");
        Appender<ILoggingEvent> out = async instanceof BatchingAppender a ? a.getAppender("OUT") : root.getAppender("OUT");
        if (!(out instanceof OutputStreamAppender<ILoggingEvent> console)) {
            return;
        }
        JsonLayout layout = new JsonLayout();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.setCharset(java.nio.charset.StandardCharsets.UTF_8);
        encoder.start();
        console.stop();
        console.setEncoder(encoder);
        console.start();
    }
}
