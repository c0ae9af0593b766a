package dev.postoffice.server.auth;

import dev.postoffice.auth.AuthService;
import dev.postoffice.auth.BearerTokenValidator;
import dev.postoffice.auth.CredentialVerifier;
import dev.postoffice.auth.HashExecutor;
import dev.postoffice.auth.LoginCache;
import dev.postoffice.auth.OAuthConfig;
import dev.postoffice.auth.UserDirectory;
import dev.postoffice.server.ServerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/** Builds the {@link AuthService} a server configuration asks for: a verifier with its login cache in front. */
public final class ServerAuth {
    private ServerAuth() {}

    /**
     * Checks against {@code users}, hashing on {@code hashing}, remembering successful password checks for
     * {@code cacheTtl}, and validating bearer tokens when the configuration sets OAuth up (user claim defaulting to
     * {@value OAuthConfig#DEFAULT_USER_CLAIM}, clock skew 60 s).
     *
     * @throws IOException if the OAuth key file cannot be read or holds no usable key
     */
    public static AuthService create(UserDirectory users, ServerConfig config, HashExecutor hashing,
                                     Duration cacheTtl) throws IOException {
        Optional<BearerTokenValidator> tokens = Optional.empty();
        if (config.oauth().isPresent()) {
            ServerConfig.OAuth o = config.oauth().get();
            tokens = Optional.of(new BearerTokenValidator(
                    new OAuthConfig(o.keyFile(), o.issuer(), o.audience(), o.userClaim(), null,
                            o.requireEmailVerified())));
        }
        return new LoginCache(new CredentialVerifier(users, hashing, tokens), cacheTtl);
    }
}
