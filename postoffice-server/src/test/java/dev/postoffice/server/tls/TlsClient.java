package dev.postoffice.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** A JSSE client for {@link EchoServer} that trusts only the certificates it is given. */
final class TlsClient implements AutoCloseable {
    final SSLSocket socket;

    private TlsClient(SSLSocket socket) {
        this.socket = socket;
    }

    /** An SSL context whose trust anchors are the (first) certificates of the given PEM files. */
    static SSLContext trusting(Path... pemFiles) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (Path pem : pemFiles) {
            trusted.setCertificateEntry("trusted-" + i++, OpenSsl.certificates(pem).get(0));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    static TlsClient connect(EchoServer server, SSLContext context) throws IOException {
        return connect(server, context, "localhost", s -> { });
    }

    /**
     * Connects to the server (saying STLS first in STLS mode), lets {@code configure} adjust the client
     * socket, and completes the handshake.
     */
    static TlsClient connect(EchoServer server, SSLContext context, String host, Consumer<SSLSocket> configure)
            throws IOException {
        Socket plain = new Socket(InetAddress.getLoopbackAddress(), server.port());
        try {
            plain.setSoTimeout((int) TimeUnit.SECONDS.toMillis(EchoServer.PATIENCE_SECONDS));
            if (server.mode == EchoServer.Mode.STLS) {
                expectOk(plain.getInputStream());
                plain.getOutputStream().write("STLS\r\n".getBytes(StandardCharsets.US_ASCII));
                expectOk(plain.getInputStream());
            }
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, server.port(), true);
            configure.accept(socket);
            socket.startHandshake();
            return new TlsClient(socket);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static void expectOk(InputStream in) throws IOException {
        String line = EchoServer.readLine(in);
        if (!line.startsWith("+OK")) {
            throw new IOException("expected +OK, got " + line);
        }
    }

    /** Sends a line and returns the server's answer. */
    String send(String line) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return EchoServer.readLine(socket.getInputStream());
    }

    X509Certificate[] peerChain() throws IOException {
        Certificate[] chain = socket.getSession().getPeerCertificates();
        X509Certificate[] result = new X509Certificate[chain.length];
        for (int i = 0; i < chain.length; i++) {
            result[i] = (X509Certificate) chain[i];
        }
        return result;
    }

    X509Certificate peer() throws IOException {
        return peerChain()[0];
    }

    String protocol() {
        return socket.getSession().getProtocol();
    }

    String cipherSuite() {
        return socket.getSession().getCipherSuite();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
