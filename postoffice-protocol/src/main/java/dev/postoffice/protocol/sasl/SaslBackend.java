package dev.postoffice.protocol.sasl;


/**
 * What SASL mechanisms ask of the account system. The protocol layer knows nothing of where users live;
 * the server supplies an implementation. {@code P} is the server's notion of an authenticated principal.
 *
 * <p>Implementations give the same answer, after the same work, for an unknown user as for a wrong
 * secret, and never log secrets.
 */
public interface SaslBackend<P> {
    /** PLAIN and LOGIN: checks a password; {@code authzid} is empty when the client sent none. */
    Verdict<P> checkPassword(String authzid, String authcid, String password);

    /**
     * CRAM-MD5 (RFC 2195): checks {@code digest} (lowercase hex HMAC-MD5 of {@code challenge} keyed with
     * the user's cleartext secret). Rejected for users whose stored secret is not cleartext.
     */
    Verdict<P> checkCramMd5(String user, String challenge, String digest);

    /**
     * SCRAM (RFC 5802, RFC 7677): the user's stored SCRAM credentials for {@code hash}, or, for an unknown
     * user or one without such credentials, deterministic fake credentials so that the exchange proceeds
     * identically and fails at the proof.
     */
    ScramCredentials scramCredentials(String user, ScramHash hash);

    /** After a SCRAM proof verified: authorizes {@code authzid} (empty: none) for {@code authcid}. */
    Verdict<P> scramAuthenticated(String authzid, String authcid);

    /**
     * OAUTHBEARER (RFC 7628) and XOAUTH2: validates the bearer token for {@code user} (for OAUTHBEARER the
     * gs2 authzid, for XOAUTH2 the {@code user=} field).
     */
    Verdict<P> checkBearer(String user, String token);

    /** Whether a mechanism is usable for anyone at all with this backend (e.g. no JWKS: no OAUTHBEARER). */
    default boolean supports(String mechanism) {
        return true;
    }

    /** The outcome of one check. */
    sealed interface Verdict<P> {
        record Success<P>(P principal, String user) implements Verdict<P> {}

        /** Wrong credentials, unknown user, or an authzid the authcid may not use. */
        record Rejected<P>() implements Verdict<P> {}

        /** The directory cannot be read now; the reason is for logs. */
        record Unavailable<P>(String reason) implements Verdict<P> {}
    }

    /** The hash functions SCRAM is offered with. */
    enum ScramHash {
        SHA_1("SCRAM-SHA-1", "SHA-1", "HmacSHA1"),
        SHA_256("SCRAM-SHA-256", "SHA-256", "HmacSHA256");

        public final String mechanism;
        public final String digest;
        public final String hmac;

        ScramHash(String mechanism, String digest, String hmac) {
            this.mechanism = mechanism;
            this.digest = digest;
            this.hmac = hmac;
        }
    }

    /** RFC 5802 section 3: what the server stores instead of the password. */
    record ScramCredentials(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {}

}
