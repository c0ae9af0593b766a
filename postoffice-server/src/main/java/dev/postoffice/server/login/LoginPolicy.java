package dev.postoffice.server.login;

import dev.postoffice.auth.DirectoryCapabilities;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.ServerContext;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's login rules in one place: when cleartext secrets may be sent, which SASL mechanisms are offered,
 * the per-user connection slot a USER takes, the failure throttle and the limit of failures, and the auth log line.
 * See docs/security.md.
 */
public final class LoginPolicy {
    private static final Logger log = LoggerFactory.getLogger(LoginPolicy.class);

    private final ServerContext ctx;
    private final ServerConfig config;
    private final InetAddress address;
    private final String peer;
    private final boolean local;
    private String userSlot;
    /** How long this connection waited before its current check ({@link #beforeCheck}). */
    private Duration waited = Duration.ZERO;

    public LoginPolicy(ServerContext ctx, InetAddress address) {
        this.ctx = ctx;
        this.config = ctx.config();
        this.address = address;
        this.peer = address == null ? "?" : address.getHostAddress();
        this.local = address != null && config.localNetworks().stream().anyMatch(c -> c.contains(address));
    }

    /** The client's address as logged. */
    public String peer() {
        return peer;
    }

    /**
     * Whether cleartext passwords may be sent now: under TLS, from a local address, or when the operator allowed
     * it (RFC 8314 section 4.1 asks to refuse them otherwise).
     */
    public boolean plaintextAllowed(boolean secure) {
        return secure || local || config.allowPlaintextAuth();
    }

    /**
     * Whether a mechanism needs a protected connection (TLS or local, see {@link #plaintextAllowed}): those that
     * send the password in clear, and CRAM-MD5, whose digest of the challenge can be cracked offline as APOP's.
     */
    public static boolean needsProtection(String mechanism) {
        return SaslMechanisms.sendsCleartextSecret(mechanism) || mechanism.equalsIgnoreCase("CRAM-MD5");
    }

    /**
     * Whether APOP may be used on this connection: as CRAM-MD5, only under TLS or from a local address, since the
     * MD5 digest it sends lets an eavesdropper guess the password offline (and JVN#19445002 for RFC 1939's APOP).
     */
    public boolean apopAllowed(boolean secure) {
        return plaintextAllowed(secure) && ctx.auth().capabilities().apop();
    }

    /** SASL mechanisms that may be used now, in order of preference (CAPA SASL, bare AUTH). */
    public List<String> mechanisms(boolean secure) {
        List<String> out = new ArrayList<>();
        DirectoryCapabilities users = ctx.auth().capabilities();
        for (String m : SaslMechanisms.ALL) {
            if ((config.saslMechanisms().isEmpty() ? offeredByDefault(m, users) : config.saslMechanisms().contains(m))
                    && ctx.sasl().supports(m)
                    && (plaintextAllowed(secure) || !needsProtection(m))) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Without {@code sasl-mechanisms}, what every user can use: PLAIN and LOGIN, CRAM-MD5 and SCRAM only when every
     * user has a secret they work with (a client such as curl picks the strongest offered, and a user whose secret
     * does not allow it would fail), and the bearer-token mechanisms when the operator configured OAuth.
     */
    private static boolean offeredByDefault(String mechanism, DirectoryCapabilities users) {
        return switch (mechanism) {
            case "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256" -> users.everyoneCan(mechanism);
            default -> true;
        };
    }

    /**
     * A login name as typed: {@code local+domain} and {@code local%domain} (SDPS-era forms) mean
     * {@code local@domain} when the operator enables aliases.
     */
    public String canonicalName(String name) {
        if (!config.loginAliases() || name.indexOf('@') >= 0) {
            return name;
        }
        int sep = Math.max(name.lastIndexOf('+'), name.lastIndexOf('%'));
        return sep > 0 && sep < name.length() - 1 ? name.substring(0, sep) + "@" + name.substring(sep + 1) : name;
    }

    /**
     * Takes the per-user connection slot for a name given with USER (bounded per user and address, whether or not
     * the user exists), giving up the one held for another name. False when over the limit.
     */
    public boolean acquireUserSlot(String name) {
        if (name.equals(userSlot)) {
            return true;
        }
        releaseUserSlot();
        if (!ctx.limits().acquireUser(name, address)) {
            return false;
        }
        userSlot = name;
        return true;
    }

    /** Gives the per-user slot back (at the end of the connection). */
    public void releaseUserSlot() {
        if (userSlot != null) {
            ctx.limits().releaseUser(userSlot, address);
            userSlot = null;
        }
    }

    /**
     * A failed login of a user name (null when the mechanism did not tell it): how long to wait before answering
     * (doubling per address and per user).
     */
    public Duration failed(String user) {
        Duration d = ctx.throttle().failed(address, user).minus(waited);
        waited = Duration.ZERO;
        return d.isNegative() ? Duration.ZERO : d;
    }

    /** A successful login clears what this user failed from this address, not other users' failures. */
    public void succeeded(String user) {
        waited = Duration.ZERO;
        ctx.throttle().succeeded(address, user);
    }

    /**
     * Before an expensive check (a hash, a key derivation, a token validation): an address that is already failing
     * waits its delay now, before the work, so that it cannot keep the hashing pool busy; what it waited here is
     * taken off the delay of a failure that follows.
     */
    public void beforeCheck() {
        Duration d = ctx.throttle().pending(address);
        if (d.isZero()) {
            return;
        }
        waited = waited.plus(d);
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether this many failures on one connection close it. */
    public boolean tooManyFailures(int failures) {
        return failures >= config.maxAuthFailures();
    }

    /** The one log line per authentication attempt (fail2ban reads it). */
    public void logAttempt(String user, String mechanism, boolean secure, String result) {
        ctx.metrics().login(mechanism, result);
        log.info("auth: ip={} user={} mechanism={} secure={} result={}", peer, printable(user), mechanism,
                secure ? "yes" : "no", result);
    }

    /** A user name as given on the wire, made safe for a log line. */
    public static String printable(String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            b.append(c < 0x21 || c == 0x7f || c == '=' ? '?' : c);
        }
        return b.toString();
    }
}
