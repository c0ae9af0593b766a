package dev.postoffice.server.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS identity and policy: turns accepted sockets into TLS sockets, for STLS (RFC 2595) and
 * for the implicit-TLS listener (RFC 8314).
 *
 * <p>The certificate files are checked again, at most once every two seconds, when a
 * connection is wrapped; a renewed pair is used from the next connection on, open sessions keep theirs,
 * and a broken replacement is reported once and ignored until the files change again.
 *
 * <p>Only TLS 1.3 and 1.2 are offered; for TLS 1.2 only ECDHE key exchange with AES-GCM or
 * ChaCha20-Poly1305, in the server's order of preference, whichever {@link TlsProvider} implements it.
 * Thread-safe.
 */
public final class TlsManager {
    static final int RECHECK_SECONDS = 2;
    private static final Logger log = LoggerFactory.getLogger(TlsManager.class);
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    private static final Pattern CIPHER_SUITES = Pattern.compile(
            "TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)|TLS_CHACHA20_POLY1305_SHA256"
                    + "|TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)");
    private static final char[] KEYSTORE_PASSWORD = "postoffice".toCharArray();
    /** Runs the handshake deadlines ({@link HandshakeDeadline}). */
    private final ScheduledExecutorService deadlines;
    private final Path certificateFile;
    private final Path keyFile;
    private final TlsProvider provider;
    private final int handshakeTimeoutMillis;
    private final long recheckNanos;
    private final ReentrantLock reloadLock = new ReentrantLock();
    private volatile long nextCheck;
    private volatile Loaded current;
    /** The file state whose loading failed and was reported; guarded by {@code reloadLock}. */
    private Stamps reported;

    private TlsManager(ScheduledExecutorService deadlines, Path certificateFile, Path keyFile, TlsProvider provider,
            Duration handshakeTimeout, Duration recheck, Loaded loaded) {
        this.deadlines = deadlines;
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.provider = provider;
        this.handshakeTimeoutMillis = (int) handshakeTimeout.toMillis();
        this.recheckNanos = recheck.toNanos();
        this.current = loaded;
        this.nextCheck = System.nanoTime() + recheckNanos;
    }

    /**
     * Loads the configured certificate and key, or generates (on the first start) or reuses (later) a
     * self-signed pair in {@link TlsSettings#generatedDir()}. Logs the certificate's SHA-256 fingerprint.
     *
     * @throws TlsConfigException with a one-line message naming the files, for the operator
     */
    public static TlsManager create(TlsSettings settings) throws TlsConfigException {
        return create(settings, HandshakeDeadline.ownScheduler(), Duration.ofSeconds(RECHECK_SECONDS));
    }

    /**
     * As {@link #create(TlsSettings)}, with handshake deadlines on the server's scheduler.
     */
    public static TlsManager create(TlsSettings settings, ScheduledExecutorService deadlines)
            throws TlsConfigException {
        return create(settings, deadlines, Duration.ofSeconds(RECHECK_SECONDS));
    }

    /** As {@link #create(TlsSettings)}, with the files re-checked at most once per {@code recheck}. */
    static TlsManager create(TlsSettings settings, Duration recheck) throws TlsConfigException {
        return create(settings, HandshakeDeadline.ownScheduler(), recheck);
    }

    private static TlsManager create(TlsSettings settings, ScheduledExecutorService deadlines, Duration recheck)
            throws TlsConfigException {
        Objects.requireNonNull(settings, "settings");
        if (settings.certificate().isPresent() != settings.privateKey().isPresent()) {
            throw new TlsConfigException(settings.certificate()
                    .map(c -> "TLS certificate " + c + " is configured without its private key")
                    .orElseGet(() -> "TLS private key " + settings.privateKey().orElseThrow()
                            + " is configured without its certificate"));
        }
        boolean generated = settings.certificate().isEmpty();
        Path certificateFile = settings.certificate().orElse(settings.generatedDir().resolve("cert.pem"));
        Path keyFile = settings.privateKey().orElse(settings.generatedDir().resolve("key.pem"));
        boolean fresh = generated && !Files.exists(certificateFile);
        if (fresh) {
            SelfSignedCertificate.generate(settings.hostname(), certificateFile, keyFile);
        }
        Loaded loaded;
        try {
            loaded = load(certificateFile, keyFile, settings.provider());
        } catch (TlsConfigException e) {
            if (!generated || e.aboutProvider()) {
                throw e;
            }
            throw new TlsConfigException(e.getMessage() + "; delete " + certificateFile + " and " + keyFile
                    + " to generate a new self-signed pair", e);
        }
        X509Certificate leaf = loaded.material().leaf();
        if (fresh) {
            log.info("generated a self-signed TLS certificate for {} in {}, valid until {}; SHA-256 fingerprint {}",
                    names(leaf), certificateFile, leaf.getNotAfter().toInstant(), loaded.fingerprint());
        } else {
            log.info("TLS certificate {} ({}, valid until {}); SHA-256 fingerprint {}", certificateFile,
                    leaf.getSubjectX500Principal().getName(), leaf.getNotAfter().toInstant(), loaded.fingerprint());
        }
        if (generated && !fresh && !SelfSignedCertificate.covers(leaf, settings.hostname())) {
            log.warn("the self-signed certificate {} was made for {}, not {}; delete it and {} to generate a new one",
                    certificateFile, names(leaf), settings.hostname().strip(), keyFile);
        }
        warnAboutValidity(loaded.material(), certificateFile);
        if (settings.provider() != TlsProvider.JDK) {
            log.info("TLS provider {} ({})", settings.provider().configName(), loaded.context().getProvider());
        }
        return new TlsManager(deadlines, certificateFile, keyFile, settings.provider(), settings.handshakeTimeout(),
                recheck, loaded);
    }

    /**
     * Starts TLS on a connection that has just been answered {@code +OK} to STLS. Whatever plaintext the
     * client sent after STLS must already have been discarded. The whole handshake must complete within
     * the handshake timeout, however the client paces its bytes (the connection is closed at that deadline);
     * the socket's own timeout is restored afterwards.
     *
     * @return the TLS socket, handshake done; closing it closes {@code plain}
     * @throws IOException with a one-line reason if the handshake fails (already logged at INFO with the
     *                     peer address); {@code plain} is closed then
     */
    public SSLSocket wrapForStls(Socket plain) throws IOException {
        return wrap(plain, "STLS");
    }

    /**
     * Performs the server side of implicit TLS (POP3S, RFC 8314) on a freshly accepted connection, in the
     * caller's thread; otherwise as {@link #wrapForStls(Socket)}.
     */
    public SSLSocket wrapImplicit(Socket plain) throws IOException {
        return wrap(plain, "implicit");
    }

    /** The SHA-256 fingerprint of the certificate in use, colon-separated upper-case hex as openssl shows it. */
    public String fingerprintSha256() {
        return current.fingerprint();
    }

    /** When the certificate in use expires (after a look at the files, as a new connection would take). */
    public java.time.Instant notAfter() {
        return currentChecked().material().leaf().getNotAfter().toInstant();
    }

    /** The certificate chain file in use: the configured one, or the generated {@code cert.pem}. */
    public Path certificatePath() {
        return certificateFile;
    }

    /** The TLS implementation in use. */
    public TlsProvider provider() {
        return provider;
    }

    private SSLSocket wrap(Socket plain, String mode) throws IOException {
        Objects.requireNonNull(plain, "plain");
        Loaded tls = currentChecked();
        SSLSocket socket = null;
        boolean done = false;
        HandshakeDeadline deadline = null;
        try {
            int previousTimeout = plain.getSoTimeout();
            // the peer's address as its "host": Conscrypt would otherwise look for a name by reflection
            String host = plain.getInetAddress() == null ? null : plain.getInetAddress().getHostAddress();
            socket = (SSLSocket) tls.factory().createSocket(plain, host, plain.getPort(), true);
            socket.setUseClientMode(false);
            socket.setSSLParameters(tls.parameters());
            provider.configure(socket);
            plain.setSoTimeout(handshakeTimeoutMillis);
            deadline = new HandshakeDeadline(deadlines, plain, handshakeTimeoutMillis);
            socket.startHandshake();
            deadline.met();
            plain.setSoTimeout(previousTimeout);
            done = true;
            if (log.isDebugEnabled()) {
                log.debug("tls: peer={} mode={} protocol={} cipher={}", peer(plain), mode,
                        socket.getSession().getProtocol(), socket.getSession().getCipherSuite());
            }
            return socket;
        } catch (IOException e) {
            String reason = deadline != null && deadline.expired() ? timedOut() : reason(e);
            log.info("tls handshake failed: peer={} mode={} reason={}", peer(plain), mode, reason);
            throw new IOException("TLS handshake failed: " + reason, e);
        } finally {
            if (deadline != null) {
                deadline.cancel();
            }
            if (!done) {
                closeQuietly(socket);
                closeQuietly(plain);
            }
        }
    }

    private String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return timedOut();
            }
        }
        return KeyMaterial.oneLine(e);
    }

    private String timedOut() {
        return "no TLS handshake from the client within " + describe(handshakeTimeoutMillis);
    }

    /** The current TLS setup, after reloading the files if they changed since the last look. */
    private Loaded currentChecked() {
        if (System.nanoTime() - nextCheck >= 0 && reloadLock.tryLock()) {
            try {
                long now = System.nanoTime();
                if (now - nextCheck >= 0) {
                    nextCheck = now + recheckNanos;
                    reloadIfChanged();
                }
            } finally {
                reloadLock.unlock();
            }
        }
        return current;
    }

    private void reloadIfChanged() {
        Stamps stamps = Stamps.of(certificateFile, keyFile);
        if (stamps.equals(current.stamps()) || stamps.equals(reported)) {
            return;
        }
        try {
            Loaded loaded = load(certificateFile, keyFile, provider);
            current = loaded;
            reported = null;
            X509Certificate leaf = loaded.material().leaf();
            log.info("reloaded TLS certificate {} ({}, valid until {}); SHA-256 fingerprint {}", certificateFile,
                    leaf.getSubjectX500Principal().getName(), leaf.getNotAfter().toInstant(), loaded.fingerprint());
            warnAboutValidity(loaded.material(), certificateFile);
        } catch (TlsConfigException e) {
            reported = stamps;
            log.warn("TLS certificate files changed but cannot be used, still serving the previous certificate: {}",
                    e.getMessage());
        }
    }

    private static Loaded load(Path certificateFile, Path keyFile, TlsProvider provider) throws TlsConfigException {
        Stamps stamps = Stamps.of(certificateFile, keyFile);
        KeyMaterial material = KeyMaterial.load(certificateFile, keyFile);
        Loaded loaded;
        try {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("server", material.key(), KEYSTORE_PASSWORD,
                    material.chain().toArray(X509Certificate[]::new));
            KeyManagerFactory keyManagers = provider.keyManagerFactory();
            keyManagers.init(keyStore, KEYSTORE_PASSWORD);
            SSLContext context = provider.newContext();
            context.init(keyManagers.getKeyManagers(), null, null);
            String fingerprint = HexFormat.ofDelimiter(":").withUpperCase()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(material.leaf().getEncoded()));
            loaded = Loaded.of(context, provider.socketFactory(context), material, fingerprint, stamps);
        } catch (TlsConfigException e) {
            throw e;
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsConfigException("cannot use the TLS certificate " + certificateFile + " with key " + keyFile
                    + ": " + KeyMaterial.oneLine(e), e);
        }
        if (loaded.protocols().isEmpty() || loaded.cipherSuites().isEmpty()) {
            throw new TlsConfigException("this Java runtime offers none of the TLS 1.2/1.3 protocols and cipher"
                    + " suites Postoffice allows");
        }
        return loaded;
    }

    private static void warnAboutValidity(KeyMaterial material, Path certificateFile) {
        X509Certificate leaf = material.leaf();
        Date now = new Date();
        if (now.after(leaf.getNotAfter())) {
            log.warn("TLS certificate {} expired on {}", certificateFile, leaf.getNotAfter().toInstant());
        } else if (now.before(leaf.getNotBefore())) {
            log.warn("TLS certificate {} is not valid before {}", certificateFile, leaf.getNotBefore().toInstant());
        }
        if (material.chain().size() == 1 && !leaf.getIssuerX500Principal().equals(leaf.getSubjectX500Principal())) {
            log.warn("TLS certificate file {} holds no intermediate certificate; clients may not trust it"
                    + " (with certbot, use fullchain.pem rather than cert.pem)", certificateFile);
        }
    }

    /** The DNS names and IP addresses in a certificate's subject alternative names. */
    private static Set<String> names(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return Set.of();
            }
            return names.stream()
                    .filter(n -> n.size() == 2 && n.get(1) instanceof String)
                    .map(n -> (String) n.get(1))
                    .collect(Collectors.toCollection(LinkedHashSet::new));
        } catch (CertificateParsingException e) {
            return Set.of();
        }
    }

    /** A duration as the configuration writes it: {@code 500ms}, {@code 30s}, {@code 2m}. */
    private static String describe(int millis) {
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static String peer(Socket socket) {
        if (socket.getRemoteSocketAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
            return a.getAddress().getHostAddress() + ":" + a.getPort();
        }
        return "?";
    }

    static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // the connection is being abandoned anyway
            }
        }
    }

    /** One loaded certificate and key, ready to serve, with the protocols and suites allowed by the policy. */
    private record Loaded(SSLContext context, SSLSocketFactory factory, KeyMaterial material, String fingerprint,
                          Stamps stamps, List<String> protocols, List<String> cipherSuites) {
        static Loaded of(SSLContext context, SSLSocketFactory factory, KeyMaterial material, String fingerprint,
                Stamps stamps) {
            Set<String> supported = Set.of(context.getSupportedSSLParameters().getProtocols());
            return new Loaded(context, factory, material, fingerprint, stamps,
                    PROTOCOLS.stream().filter(supported::contains).toList(),
                    Arrays.stream(context.getDefaultSSLParameters().getCipherSuites())
                            .filter(s -> CIPHER_SUITES.matcher(s).matches())
                            .toList());
        }

        /** Fresh parameters for one socket: the allowed protocols and cipher suites, in the server's order. */
        SSLParameters parameters() {
            SSLParameters parameters = new SSLParameters(cipherSuites.toArray(String[]::new),
                    protocols.toArray(String[]::new));
            parameters.setUseCipherSuitesOrder(true);
            parameters.setNeedClientAuth(false);
            return parameters;
        }
    }

    /** What the certificate and key files look like on disk, following symbolic links (certbot's live/). */
    private record Stamps(Stamp certificate, Stamp key) {
        static Stamps of(Path certificateFile, Path keyFile) {
            return new Stamps(Stamp.of(certificateFile), Stamp.of(keyFile));
        }
    }

    private record Stamp(FileTime modified, long size, Object fileKey) {
        static final Stamp MISSING = new Stamp(null, -1, null);

        static Stamp of(Path file) {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
            } catch (IOException e) {
                return MISSING;
            }
        }
    }
}
