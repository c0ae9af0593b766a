package dev.postoffice.server;

import dev.postoffice.server.tls.TlsProvider;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Settings of a running server. {@link #defaults()} gives what a demanding operator would choose; every
 * value can be overridden from the command line or the configuration file through {@link #toBuilder()}.
 *
 * @param pop3Listen             the cleartext POP3 listener (default 0.0.0.0:110), empty for none
 * @param pop3sListen            the implicit-TLS listener (RFC 8314; default 0.0.0.0:995), empty for none
 * @param tlsCertificate         PEM certificate chain (certbot's fullchain.pem); empty: a generated one
 * @param tlsPrivateKey          PEM private key (certbot's privkey.pem)
 * @param tlsDirectory           where a generated self-signed pair is kept
 * @param hostname               the name in the greeting's APOP timestamp and in logs
 * @param idleTimeout            autologout after login (RFC 1939 section 3: at least 10 minutes); also the
 *                               longest a write may stay blocked on a peer that does not read
 * @param preAuthTimeout         how long a connection may stay in AUTHORIZATION without a command
 * @param preAuthLifetime        how long a connection may stay in AUTHORIZATION at all, whatever it sends
 * @param handshakeTimeout       how long a TLS handshake may take
 * @param authFailureDelay       the first failed authentication's delay from an address, doubling with
 *                               each further failure up to {@code authFailureDelayMax}
 * @param authFailureDelayMax    the cap of that delay
 * @param maxAuthFailures        failed authentications after which a connection is closed
 * @param maxBadCommands         consecutive invalid commands after which the connection is closed
 * @param maxConnections         connections in total
 * @param maxConnectionsPerAddress connections from one address
 * @param maxConnectionsPerUser  sessions authenticating as or logged in as one user from one address
 * @param allowPlaintextAuth     allow USER/PASS, PLAIN and LOGIN on cleartext connections from
 *                               non-local addresses (Dovecot's disable_plaintext_auth = no)
 * @param localNetworks          addresses that count as local: plaintext authentication is allowed there
 * @param saslMechanisms         mechanisms to offer; empty: those every user of the directory can use
 * @param masterUsers            users who may authorize as anyone with SASL PLAIN's authzid
 * @param loginAliases           accept {@code local+domain} and {@code local%domain} for {@code local@domain}
 * @param loginDelay             RFC 2449 LOGIN-DELAY: minimum time between a user's logins (zero: none)
 * @param expireDays             RFC 2449 EXPIRE: days after first retrieval a message is deleted; empty
 *                               for NEVER (a user's {@code expire=} extra field overrides it)
 * @param shutdownGrace          how long shutdown waits for sessions in the UPDATE state
 * @param oauth                  JWT validation for OAUTHBEARER and XOAUTH2; empty: not offered
 * @param proxyProtocolFrom      proxies (HAProxy) whose connections start with a PROXY protocol header naming
 *                               the real client; empty: none
 * @param gssapi                 Kerberos service credentials for SASL GSSAPI; empty: not offered
 * @param tlsProvider            the TLS implementation for STLS and implicit TLS ({@code tls-provider})
 */
public record ServerConfig(
        Optional<InetSocketAddress> pop3Listen,
        Optional<InetSocketAddress> pop3sListen,
        Optional<Path> tlsCertificate,
        Optional<Path> tlsPrivateKey,
        Optional<Path> tlsDirectory,
        String hostname,
        Duration idleTimeout,
        Duration preAuthTimeout,
        Duration preAuthLifetime,
        Duration handshakeTimeout,
        Duration authFailureDelay,
        Duration authFailureDelayMax,
        int maxAuthFailures,
        int maxBadCommands,
        int maxConnections,
        int maxConnectionsPerAddress,
        int maxConnectionsPerUser,
        boolean allowPlaintextAuth,
        List<Cidr> localNetworks,
        List<String> saslMechanisms,
        Set<String> masterUsers,
        boolean loginAliases,
        Duration loginDelay,
        Optional<Integer> expireDays,
        Duration shutdownGrace,
        Optional<OAuth> oauth,
        List<Cidr> proxyProtocolFrom,
        Optional<Gssapi> gssapi,
        TlsProvider tlsProvider) {

    /** RFC 1939 section 3: an autologout timer must be at least 10 minutes. */
    public static final Duration RFC_MIN_IDLE_TIMEOUT = Duration.ofMinutes(10);

    /** RFC 2449 section 4: a command line is at most 255 octets including the CRLF. */
    public static final int MAX_COMMAND_LINE = 255;

    /** RFC 5034 section 4: the 255-octet limit does not apply to SASL responses; ours is this. */
    public static final int MAX_SASL_LINE = 28 * 1024;

    /** Octets of one overlong line after which the connection is closed. */
    public static final int HARD_LINE_LIMIT = 64 * 1024;

    /**
     * JWT validation settings for OAUTHBEARER (RFC 7628) and XOAUTH2; {@code requireEmailVerified}: for the
     * {@code email} user claim, tokens must say {@code email_verified: true}.
     */
    public record OAuth(Path keyFile, String issuer, String audience, String userClaim, boolean requireEmailVerified) {
        public OAuth(Path keyFile, String issuer, String audience, String userClaim) {
            this(keyFile, issuer, audience, userClaim, true);
        }
    }

    /**
     * SASL GSSAPI (RFC 4752): the service principal ({@code pop/host@REALM}) whose keys are in {@code keytab}, and
     * the realm whose principals ({@code user@REALM}) log in as {@code user}: {@code realm}, or the principal's.
     */
    public record Gssapi(Path keytab, String principal, Optional<String> realm) {
        public Gssapi {
            Objects.requireNonNull(keytab, "keytab");
            Objects.requireNonNull(principal, "principal");
            Objects.requireNonNull(realm, "realm");
            int at = principal.lastIndexOf('@');
            if (at < 1 || at == principal.length() - 1 || principal.indexOf('/') < 1) {
                throw new IllegalArgumentException("the GSSAPI principal must be service/host@REALM, got '"
                        + principal + "'");
            }
        }
    }

    public ServerConfig {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(tlsProvider, "tlsProvider");
        positive(idleTimeout, "idle timeout");
        positive(preAuthTimeout, "pre-authentication timeout");
        positive(preAuthLifetime, "pre-authentication lifetime");
        positive(handshakeTimeout, "TLS handshake timeout");
        if (authFailureDelay.isNegative() || authFailureDelayMax.isNegative()) {
            throw new IllegalArgumentException("auth failure delays must not be negative");
        }
        atLeastOne(maxAuthFailures, "max auth failures");
        atLeastOne(maxBadCommands, "max bad commands");
        atLeastOne(maxConnections, "max connections");
        atLeastOne(maxConnectionsPerAddress, "max connections per address");
        atLeastOne(maxConnectionsPerUser, "max connections per user");
        if (loginDelay.isNegative()) {
            throw new IllegalArgumentException("login delay must not be negative");
        }
        if (expireDays.isPresent() && expireDays.get() < 0) {
            throw new IllegalArgumentException("expire days must not be negative");
        }
        if (tlsCertificate.isPresent() != tlsPrivateKey.isPresent()) {
            throw new IllegalArgumentException("a TLS certificate and its private key go together");
        }
        localNetworks = List.copyOf(localNetworks);
        saslMechanisms = List.copyOf(saslMechanisms);
        masterUsers = Set.copyOf(masterUsers);
        proxyProtocolFrom = List.copyOf(proxyProtocolFrom);
    }

    private static void positive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive");
        }
    }

    private static void atLeastOne(int n, String what) {
        if (n < 1) {
            throw new IllegalArgumentException(what + " must be at least 1");
        }
    }

    public static ServerConfig defaults() {
        return new Builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }


    /** Builds a {@link ServerConfig}; starts from the defaults. */
    public static final class Builder {
        private Optional<InetSocketAddress> pop3Listen = Optional.of(new InetSocketAddress("0.0.0.0", 110));
        private Optional<InetSocketAddress> pop3sListen = Optional.of(new InetSocketAddress("0.0.0.0", 995));
        private Optional<Path> tlsCertificate = Optional.empty();
        private Optional<Path> tlsPrivateKey = Optional.empty();
        private Optional<Path> tlsDirectory = Optional.empty();
        private String hostname = localHostName();
        private Duration idleTimeout = RFC_MIN_IDLE_TIMEOUT;
        private Duration preAuthTimeout = Duration.ofSeconds(60);
        private Duration preAuthLifetime = Duration.ofMinutes(3);
        private Duration handshakeTimeout = Duration.ofSeconds(30);
        private Duration authFailureDelay = Duration.ofSeconds(2);
        private Duration authFailureDelayMax = Duration.ofSeconds(15);
        private int maxAuthFailures = 3;
        private int maxBadCommands = 10;
        private int maxConnections = 20_000;
        private int maxConnectionsPerAddress = 100;
        private int maxConnectionsPerUser = 10;
        private boolean allowPlaintextAuth;
        private List<Cidr> localNetworks = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
        private List<String> saslMechanisms = List.of();
        private Set<String> masterUsers = Set.of();
        private boolean loginAliases;
        private Duration loginDelay = Duration.ZERO;
        private Optional<Integer> expireDays = Optional.empty();
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private Optional<OAuth> oauth = Optional.empty();
        private List<Cidr> proxyProtocolFrom = List.of();
        private Optional<Gssapi> gssapi = Optional.empty();
        private TlsProvider tlsProvider = TlsProvider.JDK;

        private Builder() {}

        private Builder(ServerConfig c) {
            pop3Listen = c.pop3Listen;
            pop3sListen = c.pop3sListen;
            tlsCertificate = c.tlsCertificate;
            tlsPrivateKey = c.tlsPrivateKey;
            tlsDirectory = c.tlsDirectory;
            hostname = c.hostname;
            idleTimeout = c.idleTimeout;
            preAuthTimeout = c.preAuthTimeout;
            preAuthLifetime = c.preAuthLifetime;
            handshakeTimeout = c.handshakeTimeout;
            authFailureDelay = c.authFailureDelay;
            authFailureDelayMax = c.authFailureDelayMax;
            maxAuthFailures = c.maxAuthFailures;
            maxBadCommands = c.maxBadCommands;
            maxConnections = c.maxConnections;
            maxConnectionsPerAddress = c.maxConnectionsPerAddress;
            maxConnectionsPerUser = c.maxConnectionsPerUser;
            allowPlaintextAuth = c.allowPlaintextAuth;
            localNetworks = c.localNetworks;
            saslMechanisms = c.saslMechanisms;
            masterUsers = c.masterUsers;
            loginAliases = c.loginAliases;
            loginDelay = c.loginDelay;
            expireDays = c.expireDays;
            shutdownGrace = c.shutdownGrace;
            oauth = c.oauth;
            proxyProtocolFrom = c.proxyProtocolFrom;
            gssapi = c.gssapi;
            tlsProvider = c.tlsProvider;
        }

        public Builder pop3Listen(InetSocketAddress a) { pop3Listen = Optional.ofNullable(a); return this; }
        public Builder pop3sListen(InetSocketAddress a) { pop3sListen = Optional.ofNullable(a); return this; }
        public Builder tls(Path certificate, Path privateKey) {
            tlsCertificate = Optional.ofNullable(certificate);
            tlsPrivateKey = Optional.ofNullable(privateKey);
            return this;
        }
        public Builder tlsDirectory(Path d) { tlsDirectory = Optional.ofNullable(d); return this; }
        public Builder hostname(String h) { hostname = h; return this; }
        public Builder idleTimeout(Duration d) { idleTimeout = d; return this; }
        public Builder preAuthTimeout(Duration d) { preAuthTimeout = d; return this; }
        public Builder preAuthLifetime(Duration d) { preAuthLifetime = d; return this; }
        public Builder handshakeTimeout(Duration d) { handshakeTimeout = d; return this; }
        public Builder authFailureDelay(Duration d) { authFailureDelay = d; return this; }
        public Builder authFailureDelayMax(Duration d) { authFailureDelayMax = d; return this; }
        public Builder maxAuthFailures(int n) { maxAuthFailures = n; return this; }
        public Builder maxBadCommands(int n) { maxBadCommands = n; return this; }
        public Builder maxConnections(int n) { maxConnections = n; return this; }
        public Builder maxConnectionsPerAddress(int n) { maxConnectionsPerAddress = n; return this; }
        public Builder maxConnectionsPerUser(int n) { maxConnectionsPerUser = n; return this; }
        public Builder allowPlaintextAuth(boolean b) { allowPlaintextAuth = b; return this; }
        public Builder localNetworks(List<Cidr> n) { localNetworks = n; return this; }
        public Builder saslMechanisms(List<String> m) { saslMechanisms = m; return this; }
        public Builder masterUsers(Set<String> u) { masterUsers = u; return this; }
        public Builder loginAliases(boolean b) { loginAliases = b; return this; }
        public Builder loginDelay(Duration d) { loginDelay = d; return this; }
        public Builder expireDays(Integer days) { expireDays = Optional.ofNullable(days); return this; }
        public Builder shutdownGrace(Duration d) { shutdownGrace = d; return this; }
        public Builder oauth(OAuth o) { oauth = Optional.ofNullable(o); return this; }
        public Builder proxyProtocolFrom(List<Cidr> n) { proxyProtocolFrom = n; return this; }
        public Builder gssapi(Gssapi g) { gssapi = Optional.ofNullable(g); return this; }
        public Builder tlsProvider(TlsProvider p) { tlsProvider = p; return this; }

        public ServerConfig build() {
            return new ServerConfig(pop3Listen, pop3sListen, tlsCertificate, tlsPrivateKey, tlsDirectory, hostname,
                    idleTimeout, preAuthTimeout, preAuthLifetime, handshakeTimeout, authFailureDelay, authFailureDelayMax,
                    maxAuthFailures, maxBadCommands, maxConnections, maxConnectionsPerAddress, maxConnectionsPerUser,
                    allowPlaintextAuth, localNetworks, saslMechanisms, masterUsers, loginAliases, loginDelay,
                    expireDays, shutdownGrace, oauth, proxyProtocolFrom, gssapi, tlsProvider);
        }
    }

    private static String localHostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
