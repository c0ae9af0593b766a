package dev.postoffice.protocol.sasl;

import java.util.Objects;

/**
 * What SASL mechanisms ask of the account system. The protocol layer knows nothing of where users live;
 * the server supplies an implementation. {@code P} is the server's notion of an authenticated principal.
 *
 * <p>Every string handed to a backend is valid UTF-8 without NUL. PLAIN's and SCRAM's names and passwords, as
 * their RFCs ask, and LOGIN's, so that a password works the same with PLAIN and LOGIN, and OAUTHBEARER's authzid
 * have been prepared with SASLprep (RFC 4013, query strings); CRAM-MD5's and XOAUTH2's user names are as sent.
 * Implementations give the same answer, after the same work, for an unknown user as for a wrong secret, and
 * never log secrets.
 */
public interface SaslBackend<P> {
    /** PLAIN and LOGIN: checks a password; {@code authzid} is empty when the client sent none. */
    Verdict<P> checkPassword(String authzid, String authcid, String password);

    /**
     * CRAM-MD5 (RFC 2195): checks {@code digest} (32 lowercase hex digits of the HMAC-MD5 of {@code challenge},
     * keyed with the user's cleartext secret). Rejected for users whose stored secret is not cleartext.
     */
    Verdict<P> checkCramMd5(String user, String challenge, String digest);

    /**
     * SCRAM (RFC 5802, RFC 7677): the user's stored SCRAM credentials for {@code hash}, or, for an unknown
     * user or one without such credentials, deterministic fake credentials so that the exchange proceeds
     * identically and fails at the proof. {@link ScramLookup.Unavailable} when the directory cannot be read.
     */
    ScramLookup scramCredentials(String user, ScramHash hash);

    /** After a SCRAM proof verified: authorizes {@code authzid} (empty: none) for {@code authcid}. */
    Verdict<P> scramAuthenticated(String authzid, String authcid);

    /**
     * OAUTHBEARER (RFC 7628) and XOAUTH2: validates the bearer token. {@code user} is the user the client
     * asked for (OAUTHBEARER's gs2 authzid, XOAUTH2's {@code user=} field); empty when OAUTHBEARER's client sent
     * none, in which case the token alone names the user.
     */
    Verdict<P> checkBearer(String user, String token);

    /**
     * GSSAPI (RFC 4752): the service's Kerberos credentials; empty (the default) when none are configured, and
     * then GSSAPI fails as unavailable.
     */
    default java.util.Optional<GssapiAcceptor> gssapi() {
        return java.util.Optional.empty();
    }

    /**
     * GSSAPI, after Kerberos authenticated {@code principal} ({@code user@REALM}): maps it to a user and authorizes
     * {@code authzid} (empty: none, or the principal itself) for that user. Rejected by default.
     */
    default Verdict<P> gssapiAuthenticated(String authzid, String principal) {
        return new Verdict.Rejected<>();
    }

    /** Whether a mechanism is usable for anyone at all with this backend (e.g. no JWKS: no OAUTHBEARER). */
    default boolean supports(String mechanism) {
        return true;
    }

    /** The outcome of one check. */
    sealed interface Verdict<P> {
        /**
         * The client is authenticated.
         *
         * @param principal what the server logs in as
         * @param user      the authorized user's name, for logs
         */
        record Success<P>(P principal, String user) implements Verdict<P> {
            public Success {
                Objects.requireNonNull(principal, "principal");
                Objects.requireNonNull(user, "user");
            }
        }

        /** Wrong credentials, unknown user, or an authzid the authcid may not use. */
        record Rejected<P>() implements Verdict<P> {}

        /** The directory cannot be read now; the reason is for logs. */
        record Unavailable<P>(String reason) implements Verdict<P> {}
    }

    /** The outcome of a SCRAM credentials lookup. */
    sealed interface ScramLookup {
        /** Credentials to run the exchange with: the user's own, or fake ones indistinguishable from them. */
        record Found(ScramCredentials credentials) implements ScramLookup {
            public Found {
                Objects.requireNonNull(credentials, "credentials");
            }
        }

        /** The directory cannot be read now; the reason is for logs. */
        record Unavailable(String reason) implements ScramLookup {}
    }

    /** The hash functions SCRAM is offered with. */
    enum ScramHash {
        SHA_1("SCRAM-SHA-1", "SHA-1", "HmacSHA1", 20),
        SHA_256("SCRAM-SHA-256", "SHA-256", "HmacSHA256", 32);

        /** The SASL mechanism name. */
        public final String mechanism;
        /** The JCA {@link java.security.MessageDigest} name of H(). */
        public final String digest;
        /** The JCA {@link javax.crypto.Mac} name of HMAC(). */
        public final String hmac;
        /** The output length of H() and HMAC() in bytes. */
        public final int length;

        ScramHash(String mechanism, String digest, String hmac, int length) {
            this.mechanism = mechanism;
            this.digest = digest;
            this.hmac = hmac;
            this.length = length;
        }
    }

    /**
     * RFC 5802 section 3: what the server stores instead of the password.
     *
     * @param storedKey H(ClientKey), {@link ScramHash#length} bytes
     * @param serverKey HMAC(SaltedPassword, "Server Key"), {@link ScramHash#length} bytes
     */
    record ScramCredentials(byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
        public ScramCredentials {
            Objects.requireNonNull(salt, "salt");
            Objects.requireNonNull(storedKey, "storedKey");
            Objects.requireNonNull(serverKey, "serverKey");
            if (salt.length == 0 || storedKey.length == 0 || serverKey.length == 0 || iterations < 1) {
                throw new IllegalArgumentException("SCRAM credentials need a salt, keys and a positive iteration count");
            }
        }
    }
}
