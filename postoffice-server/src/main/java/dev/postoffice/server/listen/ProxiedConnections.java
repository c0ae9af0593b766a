package dev.postoffice.server.listen;

import dev.postoffice.protocol.proxy.ProxyHeader;
import dev.postoffice.protocol.proxy.ProxyHeaderException;
import dev.postoffice.protocol.proxy.ProxyHeaderReader;
import dev.postoffice.server.Cidr;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.limits.RefusalLog;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * Connections from the balancers named in {@code proxy-protocol-from}: each starts with a PROXY header (v1 or v2,
 * before any TLS) naming the real client, which is then admitted as that client (docs/deployment.md).
 */
final class ProxiedConnections {
    /** Admits an accepted connection as {@code client}. */
    @FunctionalInterface
    interface Admission {
        void admit(Socket socket, InetAddress client, boolean implicitTls);
    }

    private final ServerConfig config;
    private final RefusalLog refusals;
    private final Admission admission;

    ProxiedConnections(ServerConfig config, RefusalLog refusals, Admission admission) {
        this.config = config;
        this.refusals = refusals;
        this.admission = admission;
    }

    /** Whether connections from {@code peer} must start with a PROXY header. */
    boolean trusts(InetAddress peer) {
        for (Cidr network : config.proxyProtocolFrom()) {
            if (network.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads the connection's PROXY header within the handshake timeout and admits it as the client the header
     * names; a LOCAL header (a health check) keeps the balancer's own address. Without a valid header the
     * connection is closed unanswered. Runs on a thread of its own.
     */
    void admit(Socket socket, boolean implicitTls) {
        InetAddress client;
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, config.handshakeTimeout().toMillis()));
            ProxyHeader header = ProxyHeaderReader.read(socket.getInputStream());
            socket.setSoTimeout(0);
            client = header.local() ? socket.getInetAddress() : header.source().getAddress();
        } catch (IOException e) {
            String why = e instanceof ProxyHeaderException ? e.getMessage()
                    : e instanceof SocketTimeoutException ? "no PROXY header within the handshake timeout"
                    : "connection failed before its PROXY header";
            refusals.refused(socket.getInetAddress().getHostAddress(), why);
            closeDraining(socket);
            return;
        }
        admission.admit(socket, client, implicitTls);
    }

    /**
     * Closes with a FIN rather than a reset: octets the peer sent that were never read would make {@code close}
     * send an RST, so they are read (for 200 ms at most, up to 64 KB) after our side is shut.
     */
    private static void closeDraining(Socket socket) {
        try {
            socket.shutdownOutput();
            socket.setSoTimeout(200);
            InputStream in = socket.getInputStream();
            byte[] scratch = new byte[4096];
            int total = 0;
            for (int n; total < 64 * 1024 && (n = in.read(scratch)) > 0; ) {
                total += n;
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
