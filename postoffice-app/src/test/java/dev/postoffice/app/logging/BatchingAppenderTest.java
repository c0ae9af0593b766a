package dev.postoffice.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.Flushable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The log writer: every event written once, in order, a flush per batch, loggers held back rather than lines lost. */
class BatchingAppenderTest {
    private final LoggerContext context = new LoggerContext();
    private final Recorder recorder = new Recorder();
    private final BatchingAppender appender = new BatchingAppender();

    /** Records the messages it gets and, at each flush, how many it had then; can hold the writer in an append. */
    private static final class Recorder extends AppenderBase<ILoggingEvent> implements Flushable {
        final List<String> messages = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> flushedAt = Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch hold = new CountDownLatch(0);
        final CountDownLatch holding = new CountDownLatch(1);

        @Override
        protected void append(ILoggingEvent e) {
            if (hold.getCount() > 0) {
                holding.countDown();
                try {
                    hold.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            messages.add(e.getFormattedMessage());
        }

        @Override
        public void flush() {
            flushedAt.add(messages.size());
        }
    }

    private void start(int queueSize, int lingerMillis) {
        recorder.setContext(context);
        recorder.setName("OUT");
        recorder.start();
        appender.setContext(context);
        appender.setName("ASYNC");
        appender.setQueueSize(queueSize);
        appender.setLinger(lingerMillis);
        appender.addAppender(recorder);
        appender.start();
        assertThat(appender.isStarted()).isTrue();
    }

    private ILoggingEvent event(String message) {
        LoggingEvent e = new LoggingEvent("test", context.getLogger("dev.postoffice.Test"), Level.INFO, message, null,
                null);
        e.setMDCPropertyMap(java.util.Map.of()); // a bare context has no MDC adapter
        return e;
    }

    private void awaitWritten(int n) throws InterruptedException {
        for (int i = 0; i < 1000 && recorder.messages.size() < n; i++) {
            Thread.sleep(10);
        }
        assertThat(recorder.messages).hasSize(n);
    }

    @AfterEach
    void stop() {
        recorder.hold.countDown();
        appender.stop();
    }

    @Test
    void whatArrivesWhileTheWriterIsBusyIsWrittenAsOneBatchWithOneFlush() throws Exception {
        start(8192, 0);
        recorder.hold = new CountDownLatch(1);
        appender.doAppend(event("first"));
        assertThat(recorder.holding.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 100; i++) {
            appender.doAppend(event("line " + i));
        }
        recorder.hold.countDown();
        awaitWritten(101);
        for (int i = 0; i < 100 && recorder.flushedAt.size() < 2; i++) {
            Thread.sleep(10);
        }
        assertThat(recorder.flushedAt).containsExactly(1, 101);
        assertThat(recorder.messages.subList(1, 101)).isEqualTo(java.util.stream.IntStream.range(0, 100)
                .mapToObj(i -> "line " + i).toList());
    }

    @Test
    void aFullQueueHoldsTheLoggerBackAndLosesNothing() throws Exception {
        start(4, 0);
        recorder.hold = new CountDownLatch(1);
        appender.doAppend(event("first"));
        assertThat(recorder.holding.await(10, TimeUnit.SECONDS)).isTrue();
        Thread logger = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 10; i++) {
                appender.doAppend(event("line " + i));
            }
        });
        for (int i = 0; i < 1000 && logger.getState() != Thread.State.WAITING; i++) {
            Thread.sleep(10);
        }
        assertThat(logger.getState()).isEqualTo(Thread.State.WAITING); // 4 queued, the fifth waits for room
        assertThat(recorder.messages).isEmpty();
        recorder.hold.countDown();
        logger.join(10_000);
        awaitWritten(11);
    }

    @Test
    void anInterruptedLoggerStillHandsOverItsLineAndKeepsTheInterrupt() throws Exception {
        start(16, 0);
        Thread.currentThread().interrupt();
        appender.doAppend(event("while interrupted"));
        assertThat(Thread.interrupted()).isTrue();
        awaitWritten(1);
    }

    @Test
    void stopWritesOutWhatIsQueuedAndRefusesWhatComesAfter() {
        start(8192, 60_000); // the writer pauses a minute after its first batch: only stop() gets the rest out
        for (int i = 0; i < 500; i++) {
            appender.doAppend(event("line " + i));
        }
        appender.stop();
        appender.doAppend(event("after stop"));
        assertThat(recorder.messages).hasSize(500).doesNotContain("after stop");
        assertThat(recorder.flushedAt).last().isEqualTo(500);
        assertThat(recorder.isStarted()).isFalse();
    }

    @Test
    void anAppenderThatThrowsCostsItsLineNotTheWriter() throws Exception {
        AppenderBase<ILoggingEvent> throwing = new AppenderBase<>() {
            @Override
            public void doAppend(ILoggingEvent e) {
                if (e.getMessage().equals("boom")) {
                    throw new IllegalStateException("boom");
                }
            }

            @Override
            protected void append(ILoggingEvent e) {}
        };
        throwing.setContext(context);
        throwing.start();
        appender.addAppender(throwing);
        start(4, 0);
        Thread.ofVirtual().start(() -> { // more lines than the queue holds: a dead writer would leave it waiting
            for (int i = 0; i < 10; i++) {
                appender.doAppend(event(i == 3 ? "boom" : "line " + i));
            }
        });
        awaitWritten(9);
    }

    @Test
    void refusesToStartWithNothingToWriteTo() {
        BatchingAppender lone = new BatchingAppender();
        lone.setContext(context);
        lone.start();
        assertThat(lone.isStarted()).isFalse();
    }

    @Test
    void theConsoleTargetIsOutOrErr() {
        StdoutAppender out = new StdoutAppender();
        out.setContext(context);
        out.setTarget("System.in");
        out.start();
        assertThat(out.isStarted()).isFalse();
    }
}
