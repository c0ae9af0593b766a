package dev.postoffice.app.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A console appender that writes to the process's standard output or error through a 64 KB buffer. With
 * {@code immediateFlush} false (as logback.xml sets it, under a {@link BatchingAppender}, which flushes once per
 * batch) a batch leaves in one {@code write}, where logback's {@code ConsoleAppender} goes through
 * {@code System.out} and makes one per line; by itself it flushes every line. Closing it never closes the descriptor.
 */
public final class StdoutAppender extends OutputStreamAppender<ILoggingEvent> implements Flushable {
    private String target = "System.out";

    /** {@code System.out} (the default) or {@code System.err}. */
    public void setTarget(String target) {
        this.target = target;
    }

    @Override
    public void start() {
        FileDescriptor fd;
        switch (target.strip()) {
            case "System.out" -> fd = FileDescriptor.out;
            case "System.err" -> fd = FileDescriptor.err;
            default -> {
                addError("target must be System.out or System.err, not " + target);
                return;
            }
        }
        setOutputStream(new BufferedOutputStream(new Descriptor(fd), 64 * 1024));
        super.start();
    }

    @Override
    public void flush() throws IOException {
        streamWriteLock.lock();
        try {
            OutputStream out = getOutputStream();
            if (out != null) {
                out.flush();
            }
        } finally {
            streamWriteLock.unlock();
        }
    }

    /** The descriptor, written whole-array at a time, and left open by {@link #close}. */
    private static final class Descriptor extends OutputStream {
        private final FileOutputStream out;

        Descriptor(FileDescriptor fd) {
            this.out = new FileOutputStream(fd);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() {
            // standard output and error belong to the process, not to the appender
        }
    }
}
