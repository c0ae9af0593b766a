package dev.postoffice.auth;

/** The outcome of one authentication attempt. */
public sealed interface AuthResult {
    /** The credentials are right. */
    record Success(Account account) implements AuthResult {}

    /** Unknown user or wrong credentials; deliberately indistinguishable. */
    record Rejected() implements AuthResult {}

    /** The directory could not be read (a temporary condition); the reason is for logs, not the wire. */
    record Unavailable(String reason) implements AuthResult {}
}
