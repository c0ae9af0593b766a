package dev.postoffice.app;

import dev.postoffice.server.Pop3Server;
import dev.postoffice.server.ServerConfig;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code postoffice serve}: runs the server in the foreground until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the POP3 server in the foreground (logs to stdout; SIGTERM/SIGINT stop it cleanly).")
final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory: users file and Maildirs (default: ./data).")
    Path data;

    @Option(names = "--pop3", paramLabel = "HOST:PORT", description = "POP3 listener (default: 0.0.0.0:110).")
    String pop3;

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (key = value lines).")
    Path config;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "Autologout after this long without a command (default: 10m; RFC 1939 asks for at least 10m).")
    String idleTimeout;

    @Option(names = "--auth-failure-delay", paramLabel = "DURATION",
            description = "Delay before answering a failed login (default: 2s).")
    String authFailureDelay;

    @Option(names = "--hostname", description = "Host name for the greeting (default: this machine's name).")
    String hostname;

    @Override
    public Integer call() {
        ServerSettings file = ServerSettings.load(config);
        ServerConfig cfg = file.apply(ServerConfig.defaults());
        try {
            if (pop3 != null) {
                cfg = cfg.withPop3Listen(Values.hostPort(pop3));
            }
            if (idleTimeout != null) {
                cfg = cfg.withIdleTimeout(Values.duration(idleTimeout));
            }
            if (authFailureDelay != null) {
                cfg = cfg.withAuthFailureDelay(Values.duration(authFailureDelay));
            }
            if (hostname != null) {
                cfg = cfg.withHostname(hostname);
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2);
        }
        Path dir = data != null ? data : file.get("data") != null ? Path.of(file.get("data")) : Path.of("data");
        DataDir dataDir = new DataDir(dir).create();
        return runUntilSignal(cfg, dataDir);
    }

    static int runUntilSignal(ServerConfig cfg, DataDir dataDir) {
        if (cfg.idleTimeout().compareTo(ServerConfig.RFC_MIN_IDLE_TIMEOUT) < 0) {
            log.warn("idle timeout {} is below the 10 minutes RFC 1939 asks for", cfg.idleTimeout());
        }
        Pop3Server server = start(cfg, dataDir);
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        log.info("serving {} (users file {})", dataDir.path(), dataDir.usersFile());
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("shutting down");
        server.close();
        return 0;
    }

    static Pop3Server start(ServerConfig cfg, DataDir dataDir) {
        try {
            return Pop3Server.start(cfg, dataDir.authenticator(), dataDir.store());
        } catch (BindException e) {
            throw new UserError("cannot listen on " + Values.hostPort(cfg.pop3Listen()) + ": " + e.getMessage()
                    + hint(cfg), 69);
        } catch (IOException e) {
            throw new UserError("cannot listen on " + Values.hostPort(cfg.pop3Listen()) + ": " + e.getMessage(), 69);
        }
    }

    private static String hint(ServerConfig cfg) {
        int port = cfg.pop3Listen().getPort();
        return port < 1024 ? " (ports below 1024 need root; try e.g. --pop3 127.0.0.1:1110)"
                : " (is another server running? try e.g. --pop3 127.0.0.1:" + (port == 1110 ? 1111 : 1110) + ")";
    }

}
