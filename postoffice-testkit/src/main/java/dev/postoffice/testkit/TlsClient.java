package dev.postoffice.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The client side of TLS for tests, in two parts that share one trust setup:
 * <ul>
 *   <li>static helpers: {@link #trusting} makes a JSSE context that trusts only the given certificates,
 *       {@link #upgrade} layers TLS over a connected socket (after STLS) — what {@link RawClient#startTls} uses;</li>
 *   <li>a connected line client ({@link #connect}) that can say STLS first, lets the test adjust the socket
 *       before the handshake, sends one line and reads one answer, and shows what was negotiated.</li>
 * </ul>
 */
public final class TlsClient implements AutoCloseable {
    private final SSLSocket socket;

    private TlsClient(SSLSocket socket) {
        this.socket = socket;
    }

    /**
     * An SSL context whose trust anchors are the first certificate of each given PEM file (a file with a
     * whole chain contributes only its leaf).
     */
    public static SSLContext trusting(Path... pemFiles) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (Path pem : pemFiles) {
            trusted.setCertificateEntry("trusted-" + i++, firstCertificate(pem));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static Certificate firstCertificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            Iterator<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .iterator();
            if (!all.hasNext()) {
                throw new AssertionError("no certificate in " + pem);
            }
            return all.next();
        }
    }

    /** Layers TLS over a connected socket (after +OK to STLS) as host {@code localhost}, and shakes hands. */
    public static SSLSocket upgrade(SSLContext context, Socket plain) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
        s.setUseClientMode(true);
        s.startHandshake();
        return s;
    }

    /**
     * Connects to {@code port} on the loopback address, says STLS first if {@code stls} (expecting {@code +OK}
     * to the greeting and to STLS), lets {@code configure} adjust the client socket, and completes the
     * handshake for {@code host}.
     *
     * @param patience the plaintext socket's read timeout, a bound against hangs
     */
    public static TlsClient connect(int port, boolean stls, SSLContext context, String host,
            Consumer<SSLSocket> configure, Duration patience) throws IOException {
        Socket plain = new Socket(InetAddress.getLoopbackAddress(), port);
        try {
            plain.setSoTimeout((int) patience.toMillis());
            if (stls) {
                expectOk(plain.getInputStream());
                plain.getOutputStream().write("STLS\r\n".getBytes(StandardCharsets.US_ASCII));
                expectOk(plain.getInputStream());
            }
            SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
            configure.accept(socket);
            socket.startHandshake();
            return new TlsClient(socket);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static void expectOk(InputStream in) throws IOException {
        String line = readLine(in);
        if (!line.startsWith("+OK")) {
            throw new IOException("expected +OK, got " + line);
        }
    }

    /**
     * One CRLF- or LF-terminated US-ASCII line without its terminator, read byte by byte so nothing after it
     * is consumed (the bytes after STLS's answer belong to the handshake).
     */
    public static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed in the middle of a line");
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** The TLS socket. */
    public SSLSocket socket() {
        return socket;
    }

    /** Sends a line and returns the server's answer. */
    public String send(String line) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readLine(socket.getInputStream());
    }

    /** The certificates the server presented, leaf first. */
    public X509Certificate[] peerChain() throws IOException {
        Certificate[] chain = socket.getSession().getPeerCertificates();
        X509Certificate[] result = new X509Certificate[chain.length];
        for (int i = 0; i < chain.length; i++) {
            result[i] = (X509Certificate) chain[i];
        }
        return result;
    }

    /** The server's own certificate. */
    public X509Certificate peer() throws IOException {
        return peerChain()[0];
    }

    /** The negotiated protocol, e.g. {@code TLSv1.3}. */
    public String protocol() {
        return socket.getSession().getProtocol();
    }

    /** The negotiated cipher suite. */
    public String cipherSuite() {
        return socket.getSession().getCipherSuite();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
