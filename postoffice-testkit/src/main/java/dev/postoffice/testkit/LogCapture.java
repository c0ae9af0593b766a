package dev.postoffice.testkit;

import java.util.List;
import java.util.function.Predicate;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Collects what one class logs while open, e.g. to check that a warning is logged or that no message carries
 * a secret. Reading is safe while other threads still log: logback appends under the appender's lock, and the
 * readers take the same lock.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    /** Starts collecting what the logger of {@code source} logs. */
    public LogCapture(Class<?> source) {
        logger = (Logger) LoggerFactory.getLogger(source);
        appender.start();
        logger.addAppender(appender);
    }

    /** Formatted messages of the events at {@code level}, oldest first. */
    public List<String> messages(Level level) {
        return formatted(e -> e.getLevel() == level);
    }

    /** Every formatted message, whatever its level, oldest first. */
    public List<String> all() {
        return formatted(e -> true);
    }

    private List<String> formatted(Predicate<ILoggingEvent> which) {
        synchronized (appender) {
            return appender.list.stream().filter(which).map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
