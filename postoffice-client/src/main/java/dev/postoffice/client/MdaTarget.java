package dev.postoffice.client;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/**
 * Delivery through a mail delivery agent ({@code procmail}, {@code maildrop}, {@code postoffice deliver}): the
 * command runs with {@code sh -c} once per message, reads the message on standard input, and its exit status 0
 * means delivered. The message's key is in {@code POSTOFFICE_FETCH_KEY} for agents that want to drop duplicates;
 * without that, a crash between the agent's success and the journal write delivers that message again on the next
 * run (an agent cannot be asked whether it already holds a message).
 */
public final class MdaTarget implements Target {
    private final String command;
    private final boolean lineFeeds;

    public MdaTarget(String command, boolean lineFeeds) {
        this.command = command;
        this.lineFeeds = lineFeeds;
    }

    @Override
    public boolean lineFeeds() {
        return lineFeeds;
    }

    @Override
    public boolean holds(String key) {
        return false;
    }

    @Override
    public Delivery begin(String key) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("POSTOFFICE_FETCH_KEY", key);
        Process p = pb.start();
        OutputStream stream = new BufferedOutputStream(p.getOutputStream(), 64 * 1024);
        return new Delivery() {
            @Override
            public OutputStream stream() {
                return stream;
            }

            @Override
            public void commit() throws IOException {
                stream.close();
                try {
                    if (!p.waitFor(10, TimeUnit.MINUTES)) {
                        p.destroyForcibly();
                        throw new IOException("the MDA did not finish within 10 minutes");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                    throw new IOException("interrupted while waiting for the MDA");
                }
                if (p.exitValue() != 0) {
                    throw new IOException("the MDA exited with status " + p.exitValue() + " (message left on the server)");
                }
            }

            @Override
            public void abort() {
                p.destroyForcibly();
            }
        };
    }

    @Override
    public void sync() {
        // the agent's exit status is its promise of durability
    }

    @Override
    public void close() {
        // nothing held
    }
}
