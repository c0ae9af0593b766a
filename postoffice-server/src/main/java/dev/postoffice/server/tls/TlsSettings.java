package dev.postoffice.server.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the server's TLS certificate and key come from.
 *
 * <p>Either both {@code certificate} and {@code privateKey} are given (checked by
 * {@link TlsManager#create(TlsSettings)}), or neither, and a self-signed pair for {@code hostname} is
 * generated once in {@code generatedDir} and reused on later starts.
 *
 * @param certificate      PEM certificate chain, server certificate first (certbot's {@code fullchain.pem})
 * @param privateKey       PEM private key of the first certificate (certbot's {@code privkey.pem})
 * @param generatedDir     where the generated {@code cert.pem} and {@code key.pem} live when no pair is
 *                         configured
 * @param hostname         subject CN and DNS name of a generated certificate
 * @param handshakeTimeout how long the server waits for each read during a TLS handshake; {@code null}
 *                         means {@link #DEFAULT_HANDSHAKE_TIMEOUT}
 * @param provider         the TLS implementation; {@code null} means {@link TlsProvider#JDK}
 */
public record TlsSettings(
        Optional<Path> certificate,
        Optional<Path> privateKey,
        Path generatedDir,
        String hostname,
        Duration handshakeTimeout,
        TlsProvider provider) {

    /** 30 seconds. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    public TlsSettings {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(generatedDir, "generatedDir");
        Objects.requireNonNull(hostname, "hostname");
        if (handshakeTimeout == null) {
            handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        }
        if (handshakeTimeout.toMillis() < 1
                || handshakeTimeout.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("handshake timeout must be between 1ms and 24 days: " + handshakeTimeout);
        }
        if (provider == null) {
            provider = TlsProvider.JDK;
        }
    }

    /** With the JDK's TLS. */
    public TlsSettings(Optional<Path> certificate, Optional<Path> privateKey, Path generatedDir, String hostname,
            Duration handshakeTimeout) {
        this(certificate, privateKey, generatedDir, hostname, handshakeTimeout, TlsProvider.JDK);
    }

    /** A self-signed certificate for {@code hostname}, generated in (or reused from) {@code generatedDir}. */
    public static TlsSettings selfSigned(Path generatedDir, String hostname) {
        return new TlsSettings(Optional.empty(), Optional.empty(), generatedDir, hostname, DEFAULT_HANDSHAKE_TIMEOUT);
    }

    /** A configured certificate chain and private key. */
    public static TlsSettings files(Path certificate, Path privateKey, Path generatedDir, String hostname) {
        return new TlsSettings(Optional.of(certificate), Optional.of(privateKey), generatedDir, hostname,
                DEFAULT_HANDSHAKE_TIMEOUT);
    }

    public TlsSettings withHandshakeTimeout(Duration timeout) {
        return new TlsSettings(certificate, privateKey, generatedDir, hostname, timeout, provider);
    }

    public TlsSettings withProvider(TlsProvider tlsProvider) {
        return new TlsSettings(certificate, privateKey, generatedDir, hostname, handshakeTimeout, tlsProvider);
    }
}
