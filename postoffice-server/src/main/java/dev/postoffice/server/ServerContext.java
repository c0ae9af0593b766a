package dev.postoffice.server;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthService;
import dev.postoffice.protocol.sasl.SaslBackend;
import dev.postoffice.server.limits.AuthThrottle;
import dev.postoffice.server.limits.ConnectionLimits;
import dev.postoffice.server.tls.TlsManager;
import dev.postoffice.storage.MaildropStore;
import java.util.Optional;

/**
 * Everything a session needs from the server, shared by all sessions.
 *
 * @param auth every login method, and what the users allow ({@link AuthService#capabilities()}): APOP (the greeting
 *             then carries a timestamp; clients such as curl use APOP whenever it does), per-user EXPIRE
 * @param metrics what the sessions report for monitoring ({@link ServerMetrics#NONE} for nothing)
 */
public record ServerContext(
        ServerConfig config,
        AuthService auth,
        SaslBackend<Account> sasl,
        MaildropStore store,
        Optional<TlsManager> tls,
        ConnectionLimits limits,
        AuthThrottle throttle,
        ServerMetrics metrics) {

    /** A context without metrics. */
    public ServerContext(ServerConfig config, AuthService auth, SaslBackend<Account> sasl, MaildropStore store,
            Optional<TlsManager> tls, ConnectionLimits limits, AuthThrottle throttle) {
        this(config, auth, sasl, store, tls, limits, throttle, ServerMetrics.NONE);
    }
}
