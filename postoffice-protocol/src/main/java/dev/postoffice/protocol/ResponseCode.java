package dev.postoffice.protocol;

/**
 * Extended response codes (RFC 2449 section 8, RFC 3206). Sent in brackets right after {@code -ERR}
 * once the server advertises RESP-CODES; clients that do not know them simply read the text.
 */
public enum ResponseCode {
    /** RFC 2449 8.1.1: the maildrop is locked by another session. */
    IN_USE("IN-USE"),
    /** RFC 2449 8.1.2: the user logged in too recently. */
    LOGIN_DELAY("LOGIN-DELAY"),
    /** RFC 3206 4: a temporary system failure; trying again later may work. */
    SYS_TEMP("SYS/TEMP"),
    /** RFC 3206 4: a permanent system failure; trying again will not help. */
    SYS_PERM("SYS/PERM"),
    /** RFC 3206 5: the credentials are wrong (as opposed to a system problem). */
    AUTH("AUTH");

    private final String wire;

    ResponseCode(String wire) {
        this.wire = wire;
    }

    /** The code as it appears between the brackets. */
    public String wire() {
        return wire;
    }
}
