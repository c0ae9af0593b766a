package dev.postoffice.app.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %safeEx}: a stack trace whose every line is indented by a tab, so that no text in an exception
 * message (which may quote client input) can start a line of its own that looks like a log event; CRs and other
 * controls but LF and tab are escaped as in {@link SafeMessageConverter}.
 */
public final class SafeThrowableConverter extends ThrowableProxyConverter {
    @Override
    public String convert(ILoggingEvent event) {
        String trace = super.convert(event);
        if (trace.isEmpty()) {
            return trace;
        }
        boolean finalNewline = trace.endsWith("\n");
        String[] lines = (finalNewline ? trace.substring(0, trace.length() - 1) : trace).split("\n", -1);
        StringBuilder b = new StringBuilder(trace.length() + lines.length * 2);
        for (String line : lines) {
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1); // a CRLF line end from the platform
            }
            if (!line.startsWith("\t")) {
                b.append('\t');
            }
            b.append(SafeMessageConverter.escape(line).replace("\\t", "\t")).append('\n');
        }
        return b.toString();
    }
}
