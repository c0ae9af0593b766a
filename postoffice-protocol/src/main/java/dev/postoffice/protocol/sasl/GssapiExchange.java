package dev.postoffice.protocol.sasl;

import java.util.Map;
import java.util.Optional;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.AuthorizeCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

/**
 * GSSAPI (RFC 4752): Kerberos 5 through the JDK's GSSAPI {@link SaslServer}, run with the service principal's
 * credentials ({@link GssapiAcceptor}). The client's context tokens come first (with the initial response, or after
 * an empty challenge), then the security-layer negotiation, in which only "no security layer" is offered (QOP
 * {@code auth}): TLS protects the session, not Kerberos. The authenticated principal and the authzid go to
 * {@link SaslBackend#gssapiAuthenticated}, which maps the principal to a user. Every refusal is the same
 * {@code authentication failed} to the client; the reason goes to {@link GssapiAcceptor#refused}.
 */
final class GssapiExchange<P> extends AbstractExchange<P> {
    private final SaslBackend<P> backend;
    private final Optional<GssapiAcceptor> acceptor;
    private SaslServer server;
    private String principal;
    private String authzid;

    GssapiExchange(SaslBackend<P> backend) {
        super("GSSAPI", SaslMechanisms.MAX_MESSAGE_BYTES);
        this.backend = backend;
        this.acceptor = backend.gssapi();
    }

    @Override
    Step<P> onStart(byte[] initialResponse) {
        if (acceptor.isEmpty()) {
            return new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, "GSSAPI: no keytab is configured");
        }
        try {
            server = acceptor.get().asService(() -> Sasl.createSaslServer("GSSAPI", null, null,
                    Map.of(Sasl.QOP, "auth"), this::handle));
        } catch (SaslException e) {
            return new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, "GSSAPI: " + describe(e));
        } catch (GssapiAcceptor.Unavailable e) {
            return new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, "GSSAPI: " + e.getMessage());
        }
        if (server == null) {
            return new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, "GSSAPI: the JDK offers no GSSAPI SaslServer");
        }
        return initialResponse == null ? challenge(new byte[0]) : evaluate(initialResponse);
    }

    @Override
    Step<P> onResponse(byte[] response) {
        return evaluate(response);
    }

    private Step<P> evaluate(byte[] token) {
        byte[] out;
        try {
            out = acceptor.orElseThrow().asService(() -> server.evaluateResponse(token));
        } catch (SaslException | RuntimeException e) {
            dispose();
            acceptor.get().refused(describe(e));
            return rejected();
        } catch (GssapiAcceptor.Unavailable e) {
            dispose();
            return new Step.Failure<>(Step.Failure.Kind.UNAVAILABLE, "GSSAPI: " + e.getMessage());
        }
        if (!server.isComplete()) {
            return challenge(out == null ? new byte[0] : out);
        }
        dispose();
        Step<P> step = outcome(backend.gssapiAuthenticated(authzid, principal));
        if (!(step instanceof Step.Success)) {
            acceptor.get().refused("principal " + principal + " (authzid '" + authzid + "') has no account here");
        }
        return step;
    }

    /**
     * The JDK asks whether the authenticated principal may act as the authzid (the principal itself when the client
     * sent none); the backend decides after the exchange, so this records both and says yes.
     */
    private void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback c : callbacks) {
            if (!(c instanceof AuthorizeCallback ac)) {
                throw new UnsupportedCallbackException(c);
            }
            principal = ac.getAuthenticationID();
            String z = ac.getAuthorizationID();
            authzid = z == null || z.equals(principal) ? "" : z;
            ac.setAuthorized(true);
        }
    }

    private void dispose() {
        try {
            server.dispose();
        } catch (SaslException e) {
            // nothing held that outlives the exchange
        }
    }

    /** An exception and its causes' messages (GSS-API's major and minor status texts; no token bytes). */
    static String describe(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 500; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (b.indexOf(m) < 0) { // the JDK repeats a cause's text in the wrapper's
                b.append(b.isEmpty() ? "" : ": ").append(m);
            }
        }
        return b.toString();
    }
}
