package dev.postoffice.app.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.io.Flushable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands sessions' log events to one writer thread, which writes them in batches: one {@code write} per batch, and
 * between batches a short pause ({@code linger}, default 5 ms) so that under load events gather without a wake-up
 * per event. Nothing is dropped: when the queue is full, loggers wait. See docs/operations.md, Logs.
 */
public final class BatchingAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
        implements AppenderAttachable<ILoggingEvent> {
    private static final int MAX_BATCH = 1024;

    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private int queueSize = 8192;
    private int lingerMillis = 5;
    private int maxFlushTimeMillis = 5000;
    private BlockingQueue<ILoggingEvent> queue;
    private volatile boolean running;
    private Thread writer;

    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /** How long the writer pauses after a batch, in milliseconds: at most this much later a line is written. */
    public void setLinger(int millis) {
        this.lingerMillis = millis;
    }

    /** How long {@link #stop} waits for the queue to be written out, in milliseconds. */
    public void setMaxFlushTime(int millis) {
        this.maxFlushTimeMillis = millis;
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        if (queueSize < 1 || lingerMillis < 0 || maxFlushTimeMillis < 0) {
            addError("queueSize must be positive, linger and maxFlushTime not negative");
            return;
        }
        if (!appenders.iteratorForAppenders().hasNext()) {
            addError("no appender to write to");
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        running = true;
        writer = new Thread(this::writeLoop, "log-writer-" + getName());
        writer.setDaemon(true);
        super.start();
        writer.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing(); // message, MDC and thread name as they are now
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(event);
                break;
            } catch (InterruptedException e) {
                interrupted = true; // fail2ban reads every auth line: finish the put, keep the interrupt
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLoop() {
        List<ILoggingEvent> batch = new ArrayList<>();
        long linger = TimeUnit.MILLISECONDS.toNanos(lingerMillis);
        while (running) {
            try {
                batch.add(queue.take()); // idle: wait without waking up
            } catch (InterruptedException e) {
                continue; // stop() interrupts; the loop's condition decides
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            write(batch);
            if (running && linger > 0) {
                // While the writer pauses here, loggers find no waiting thread to wake: their put costs a lock.
                LockSupport.parkNanos(linger);
            }
        }
        while (queue.drainTo(batch, MAX_BATCH) > 0) {
            write(batch);
        }
    }

    private void write(List<ILoggingEvent> batch) {
        for (ILoggingEvent event : batch) {
            try {
                appenders.appendLoopOnAppenders(event);
            } catch (RuntimeException e) {
                // A writer that died would leave every logger waiting once the queue fills: lose the line instead.
                addError("cannot write a log event", e);
            }
        }
        batch.clear();
        for (Iterator<Appender<ILoggingEvent>> it = appenders.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof Flushable f) {
                try {
                    f.flush();
                } catch (IOException e) {
                    addError("cannot flush the log", e);
                }
            }
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop(); // events from now on are refused by doAppend
        running = false;
        writer.interrupt();
        try {
            writer.join(maxFlushTimeMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            addWarn("the log writer did not finish within " + maxFlushTimeMillis + " ms; " + queue.size()
                    + " events not written");
        }
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> appender) {
        appenders.addAppender(appender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> appender) {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> appender) {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }
}
