package dev.postoffice.auth;

import java.io.IOException;
import java.util.Optional;

/**
 * What a POP3 session and its SASL mechanisms ask of authentication. Implementations take the same time and give
 * the same answer for an unknown user as for a wrong secret, never log secrets or tokens, and are safe for
 * concurrent use. {@link CredentialVerifier} checks against a {@link UserDirectory}; {@link LoginCache} remembers
 * its successful password checks.
 */
public interface AuthService {
    /** USER/PASS (RFC 1939 section 7), and SASL PLAIN and LOGIN. */
    AuthResult checkPassword(String user, String password);

    /**
     * APOP (RFC 1939 section 7): {@code digest} is the lowercase hex MD5 of the greeting's timestamp
     * followed by the user's shared secret.
     */
    AuthResult checkApop(String user, String timestamp, String digest);

    /** CRAM-MD5 (RFC 2195): {@code digest} is the hex HMAC-MD5 of the challenge keyed with the shared secret. */
    AuthResult checkCramMd5(String user, String challenge, String digest);

    /**
     * SCRAM credentials of {@code user} for {@code scheme}, stored or derived from a cleartext secret; empty for
     * an unknown user or one without usable credentials (the caller then goes on with {@link Decoys#scram}), after
     * the same work.
     *
     * @param scheme {@code SCRAM-SHA-1} or {@code SCRAM-SHA-256}, case-insensitive
     * @throws IOException              if the directory cannot be read
     * @throws IllegalArgumentException if {@code scheme} is not a SCRAM scheme
     */
    Optional<ScramSecret> scram(String user, String scheme) throws IOException;

    /**
     * The account of a user who authenticated by other means: a verified SCRAM proof, or an authorization
     * identity a master user asked for.
     *
     * @return {@link AuthResult.Success}, {@link AuthResult.Rejected} for an unknown user, or
     *         {@link AuthResult.Unavailable}
     */
    AuthResult authorize(String user);

    /** Whether {@link #checkBearer} can succeed at all (OAUTHBEARER and XOAUTH2 are offered). */
    default boolean acceptsBearerTokens() {
        return false;
    }

    /**
     * An OAuth 2.0 bearer token (the part after {@code Bearer }): the account of the user it was issued for;
     * {@link AuthResult.Rejected} for an invalid token or unknown user.
     */
    default AuthResult checkBearer(String token) {
        return new AuthResult.Rejected();
    }

    /**
     * Which secret-dependent login methods the users can use now, and the per-user EXPIRE figures; cheap enough to
     * ask on every connection.
     */
    DirectoryCapabilities capabilities();
}
