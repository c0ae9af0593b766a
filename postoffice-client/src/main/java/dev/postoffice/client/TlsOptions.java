package dev.postoffice.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * How the server's certificate is checked. By default against the JDK's trusted authorities, with the host name
 * verified (RFC 6125, as HTTPS does); {@code caFile} replaces the authorities with the PEM certificates in a file;
 * {@code fingerprint} (SHA-256 of the server certificate, hex with or without colons) pins one certificate and
 * then trusts nothing else, whatever the names in it.
 */
public record TlsOptions(Optional<Path> caFile, Optional<String> fingerprint) {
    public static final TlsOptions DEFAULT = new TlsOptions(Optional.empty(), Optional.empty());

    public TlsOptions {
        fingerprint = fingerprint.map(TlsOptions::normalize);
    }

    /** Starts TLS over a connected socket and completes the handshake, verifying the server. */
    SSLSocket wrap(Socket plain, String host, int port) throws IOException, FetchException {
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager()}, null);
        } catch (GeneralSecurityException e) {
            throw new FetchException(false, "TLS setup failed: " + e.getMessage(), e);
        }
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
        s.setUseClientMode(true);
        SSLParameters params = s.getSSLParameters();
        if (fingerprint.isEmpty()) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        s.setSSLParameters(params);
        try {
            s.startHandshake();
        } catch (javax.net.ssl.SSLHandshakeException e) {
            throw new FetchException(false, "TLS with " + host + " failed: " + rootMessage(e)
                    + (fingerprint.isEmpty() ? " (--tls-ca FILE or --tls-fingerprint SHA256 for a private certificate)" : ""), e);
        }
        return s;
    }

    private X509TrustManager trustManager() throws GeneralSecurityException, FetchException {
        if (fingerprint.isPresent()) {
            return new Pinned(fingerprint.get());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caFile.isPresent()) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            try {
                ks.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException(e);
            }
            int i = 0;
            try (InputStream in = Files.newInputStream(caFile.get())) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("ca" + i++, c);
                }
            } catch (IOException | CertificateException e) {
                throw new FetchException(false, "cannot read the CA file " + caFile.get() + ": " + e.getMessage(), e);
            }
            if (i == 0) {
                throw new FetchException(false, "the CA file " + caFile.get() + " holds no certificate");
            }
            tmf.init(ks);
        } else {
            tmf.init((KeyStore) null);
        }
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509TrustManager");
    }

    /** The SHA-256 fingerprint of a certificate, lowercase hex without colons. */
    public static String fingerprintOf(X509Certificate c) throws CertificateException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new CertificateException(e);
        }
    }

    private static String normalize(String fp) {
        String hex = fp.replace(":", "").toLowerCase(Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a SHA-256 fingerprint is 64 hex digits (colons allowed): " + fp);
        }
        return hex;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** Trusts exactly the certificate with the pinned fingerprint. */
    private record Pinned(String expected) implements X509TrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            String got = fingerprintOf(chain[0]);
            if (!MessageDigest.isEqual(got.getBytes(), expected.getBytes())) {
                throw new CertificateException("the server certificate's SHA-256 fingerprint is " + got
                        + ", not the pinned " + expected);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
