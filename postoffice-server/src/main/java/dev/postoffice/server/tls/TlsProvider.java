package dev.postoffice.server.tls;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.conscrypt.Conscrypt;

/**
 * Which TLS implementation serves STLS and implicit TLS ({@code tls-provider}): the JDK's own, the JDK's own over
 * the Amazon Corretto Crypto Provider's cryptography (AWS-LC through JNI, Linux x86-64; installed as the JVM's
 * first security provider, so every JCA user in the process gets it), Conscrypt (BoringSSL through JNI; its native
 * library ships inside the jar for Linux, macOS and Windows on x86-64) or Bouncy Castle's JSSE over Bouncy Castle's
 * cryptography (pure Java). The policy (TLS 1.3 and 1.2, the cipher
 * suites) is the same with each; docs/performance.md has the figures.
 */
public enum TlsProvider {
    JDK("jdk"),
    ACCP("accp"),
    CONSCRYPT("conscrypt"),
    BOUNCYCASTLE("bouncycastle");

    private final String configName;

    TlsProvider(String configName) {
        this.configName = configName;
    }

    /** The name in the configuration file. */
    public String configName() {
        return configName;
    }

    /**
     * The provider named {@code name} in the configuration ({@code jdk}, {@code accp}, {@code conscrypt},
     * {@code bouncycastle}).
     *
     * @throws IllegalArgumentException naming the allowed values
     */
    public static TlsProvider parse(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        for (TlsProvider p : values()) {
            if (p.configName.equals(wanted)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown TLS provider '" + name.strip() + "', expected one of " + names());
    }

    /** The names the configuration accepts, in order, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(TlsProvider::configName).collect(Collectors.joining(", "));
    }

    /**
     * A TLS context of this provider.
     *
     * @throws TlsConfigException if the provider cannot run here (a native library does not load)
     */
    SSLContext newContext() throws TlsConfigException {
        try {
            return switch (this) {
                case JDK -> SSLContext.getInstance("TLS");
                case ACCP -> {
                    Holder.installAccp();
                    yield SSLContext.getInstance("TLS");
                }
                case CONSCRYPT -> SSLContext.getInstance("TLS", Holder.conscrypt());
                case BOUNCYCASTLE -> SSLContext.getInstance("TLS", Holder.BOUNCY_CASTLE);
            };
        } catch (java.security.NoSuchAlgorithmException e) {
            throw TlsConfigException.provider("tls-provider = " + configName + " offers no TLS: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Key managers for this provider: Bouncy Castle's own (it chooses TLS 1.3 credentials by signature scheme,
     * which the JDK's SunX509 key manager does not answer), the JDK's otherwise.
     */
    KeyManagerFactory keyManagerFactory() throws java.security.NoSuchAlgorithmException {
        return this == BOUNCYCASTLE ? KeyManagerFactory.getInstance("PKIX", Holder.BOUNCY_CASTLE)
                : KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    }

    /**
     * The socket factory of a context made by {@link #newContext()}. Conscrypt's sockets are set to do their I/O
     * through the wrapped Java socket (its "engine" socket), so a blocked read parks a virtual thread instead of
     * holding its carrier in native code.
     */
    SSLSocketFactory socketFactory(SSLContext context) {
        SSLSocketFactory factory = context.getSocketFactory();
        if (this == CONSCRYPT) {
            Conscrypt.setUseEngineSocket(factory, true);
        }
        return factory;
    }

    /**
     * What a provider needs on each server socket beyond the common policy: Conscrypt issues TLS session tickets
     * (without them a TLS 1.3 client cannot resume) only when asked.
     */
    void configure(SSLSocket socket) {
        if (this == CONSCRYPT) {
            Conscrypt.setUseSessionTickets(socket, true);
        }
    }

    /** The provider instances, made once: their construction registers algorithms and, for Conscrypt, loads JNI. */
    private static final class Holder {
        static final Provider BOUNCY_CASTLE = new BouncyCastleJsseProvider(new BouncyCastleProvider());
        private static volatile Provider conscrypt;

        /** Puts ACCP first among the JVM's providers (once), after checking that AWS-LC loaded and passes its tests. */
        static synchronized void installAccp() throws TlsConfigException {
            AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
            Throwable broken = accp.getLoadingError();
            if (broken == null) {
                try {
                    accp.assertHealthy();
                } catch (RuntimeException e) {
                    broken = e;
                }
            }
            if (broken != null) {
                throw TlsConfigException.provider("tls-provider = accp: its native library (AWS-LC) cannot be used on "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ": "
                        + KeyMaterial.oneLine(broken) + "; use tls-provider = jdk", broken);
            }
            if (java.security.Security.getProviders()[0] != accp) {
                AmazonCorrettoCryptoProvider.install();
            }
        }

        static synchronized Provider conscrypt() throws TlsConfigException {
            if (conscrypt == null) {
                if (!Conscrypt.isAvailable()) {
                    Throwable why = unavailability();
                    throw TlsConfigException.provider("tls-provider = conscrypt: its native library (BoringSSL)"
                            + " cannot be loaded on " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch") + ": " + KeyMaterial.oneLine(why)
                            + "; use tls-provider = jdk", why);
                }
                conscrypt = Conscrypt.newProvider();
            }
            return conscrypt;
        }

        private static Throwable unavailability() {
            try {
                Conscrypt.checkAvailability();
                return new IllegalStateException("unavailable");
            } catch (Throwable t) {
                return t;
            }
        }
    }
}
