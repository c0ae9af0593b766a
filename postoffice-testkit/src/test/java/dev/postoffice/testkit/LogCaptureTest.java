package dev.postoffice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;

class LogCaptureTest {
    private static final Logger LOG = LoggerFactory.getLogger(LogCaptureTest.class);

    @Test
    void collectsByLevelWhileOpenOnly() {
        LOG.warn("before {}", 0);
        try (LogCapture log = new LogCapture(LogCaptureTest.class)) {
            LOG.warn("careful {}", 1);
            LOG.error("broken");
            LOG.warn("careful {}", 2);
            assertThat(log.messages(Level.WARN)).containsExactly("careful 1", "careful 2");
            assertThat(log.messages(Level.ERROR)).containsExactly("broken");
            assertThat(log.all()).containsExactly("careful 1", "broken", "careful 2");
            log.close();
            LOG.warn("after");
            assertThat(log.all()).hasSize(3);
        }
    }
}
