package dev.postoffice.auth;

import java.util.Map;
import java.util.Objects;

/** What the user directory says about one user beyond the login: the RFC 2449 EXPIRE policy. */
public record UserPolicy(Expire expire) {
    /** The server's policies throughout. */
    public static final UserPolicy SERVER_DEFAULT = new UserPolicy(new Expire.ServerDefault());

    public UserPolicy {
        Objects.requireNonNull(expire, "expire");
    }

    /** The policy of Dovecot extra fields ({@code expire=DAYS} or {@code expire=never}). */
    public static UserPolicy ofExtraFields(Map<String, String> extra) {
        return new UserPolicy(Expire.parse(extra.get("expire")));
    }
}
