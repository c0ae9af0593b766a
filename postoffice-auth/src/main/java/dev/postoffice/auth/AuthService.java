package dev.postoffice.auth;

/**
 * What a POP3 session asks of authentication. Implementations take the same time and give the same
 * answer for an unknown user as for a wrong password, and never log secrets.
 */
public interface AuthService {
    /** USER/PASS (RFC 1939 section 7). */
    AuthResult checkPassword(String user, String password);

    /**
     * APOP (RFC 1939 section 7): {@code digest} is the lowercase hex MD5 of the greeting's timestamp
     * followed by the user's shared secret.
     */
    AuthResult checkApop(String user, String timestamp, String digest);
}
