package dev.postoffice.app;

import dev.postoffice.auth.HashExecutor;
import dev.postoffice.lmtp.LmtpServer;
import dev.postoffice.server.ServerMetrics;
import dev.postoffice.server.listen.Pop3Server;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A running server and what it owns: the POP3 listeners, the LMTP listener (null when off), the store, the one
 * scheduler they share and the hashing pool. Closing it stops them in that order. {@code metrics} is what the server
 * reports to (a registry, see {@link dev.postoffice.app.admin.Metrics}), or {@link ServerMetrics#NONE}.
 */
record Service(Pop3Server server, LmtpServer lmtp, AppStore store, ScheduledExecutorService scheduler,
        HashExecutor hashing, ServerMetrics metrics) implements AutoCloseable {
    int port() {
        return server.port();
    }

    int tlsPort() {
        return server.tlsPort();
    }

    @Override
    public void close() {
        if (lmtp != null) {
            lmtp.close();
        }
        server.close();
        store.close();
        scheduler.shutdownNow();
        hashing.close();
    }
}
