package dev.postoffice.protocol.sasl;

/**
 * The server's side of Kerberos for {@code GSSAPI} (RFC 4752): the service principal's credentials, under which
 * the JDK's GSSAPI {@link javax.security.sasl.SaslServer} is created and run, and the log of refusals. The server
 * implements it over a keytab; the exchange never sees keys.
 */
public interface GssapiAcceptor {
    /**
     * Runs one step of an exchange with the service principal's credentials (a JAAS subject).
     *
     * @throws javax.security.sasl.SaslException what the step threw: the client's token was refused
     * @throws Unavailable                      when the service's own credentials cannot be had (keytab unreadable)
     */
    <T> T asService(Step<T> step) throws javax.security.sasl.SaslException, Unavailable;

    /** A refused exchange: {@code reason} (never token bytes) goes to the log; the client sees a fixed text. */
    void refused(String reason);

    /** One step run with the service's credentials. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws javax.security.sasl.SaslException;
    }

    /** The service's credentials cannot be had now; the message is for logs. */
    final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }
}
