package dev.postoffice.auth;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How bearer tokens (JWTs) for OAUTHBEARER and XOAUTH2 are validated.
 *
 * @param keyFile   the issuer's public keys: a JWKS document ({@code {"keys":[...]}}) or a single JWK, or PEM
 *                  ({@code PUBLIC KEY} or {@code CERTIFICATE} blocks, RSA or EC); re-read when it changes
 * @param issuer    the exact {@code iss} tokens must carry
 * @param audience  a value the token's {@code aud} must contain
 * @param userClaim the claim naming the user (default {@value #DEFAULT_USER_CLAIM})
 * @param clockSkew tolerance for {@code exp} and {@code nbf} (default 60 s)
 * @param requireEmailVerified when the user claim is {@code email}, accept a token only if its
 *                  {@code email_verified} is true (OpenID Connect): an issuer that lets anyone set an unverified
 *                  address would otherwise let them log in as its owner. Default true.
 */
public record OAuthConfig(Path keyFile, String issuer, String audience, String userClaim, Duration clockSkew,
                          boolean requireEmailVerified) {
    public static final String DEFAULT_USER_CLAIM = "email";
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

    /** Null {@code userClaim} and {@code clockSkew} take the defaults. */
    public OAuthConfig {
        Objects.requireNonNull(keyFile, "keyFile");
        if (issuer == null || issuer.isBlank()) {
            throw new IllegalArgumentException("OAuth issuer must be set");
        }
        if (audience == null || audience.isBlank()) {
            throw new IllegalArgumentException("OAuth audience must be set");
        }
        userClaim = userClaim == null ? DEFAULT_USER_CLAIM : userClaim;
        if (userClaim.isBlank()) {
            throw new IllegalArgumentException("OAuth user claim must not be blank");
        }
        clockSkew = clockSkew == null ? DEFAULT_CLOCK_SKEW : clockSkew;
        if (clockSkew.isNegative() || clockSkew.toSeconds() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("OAuth clock skew must be between 0 and 2^31-1 seconds");
        }
    }

    /** Requiring {@code email_verified} for the {@code email} claim. */
    public OAuthConfig(Path keyFile, String issuer, String audience, String userClaim, Duration clockSkew) {
        this(keyFile, issuer, audience, userClaim, clockSkew, true);
    }

    /** Whether a token's {@code email_verified} must be true: the user claim is {@code email} and it is required. */
    public boolean checksEmailVerified() {
        return requireEmailVerified && userClaim.equals("email");
    }

    /** With the default user claim and clock skew. */
    public OAuthConfig(Path keyFile, String issuer, String audience) {
        this(keyFile, issuer, audience, null, null);
    }
}
