package dev.postoffice.protocol.sasl;

/**
 * The GS2 header that starts SCRAM's (RFC 5802 section 7) and OAUTHBEARER's (RFC 7628 section 3.1, after RFC 5801
 * section 4) first client message: {@code [F,] (n|y|p=cb-name) , [a=saslname] ,}. Channel binding is not
 * offered, so {@code p=} is refused; {@code y} (the client could bind but thinks we cannot) is fine.
 *
 * @param text    the header exactly as sent, final comma included (SCRAM echoes it in {@code c=})
 * @param authzid the decoded authorization identity, not yet prepared; empty when absent
 */
record Gs2Header(String text, String authzid) {
    /**
     * Parses the header at the start of {@code message}.
     *
     * @param allowNonStandardFlag whether RFC 5801's {@code F,} prefix may appear (not in SCRAM's grammar)
     */
    static Gs2Header parse(String message, boolean allowNonStandardFlag)
            throws MalformedMessageException {
        int i = 0;
        if (allowNonStandardFlag && message.startsWith("F,")) {
            i = 2;
        }
        if (message.startsWith("p=", i)) {
            throw new MalformedMessageException("channel binding is not supported");
        }
        if (!(message.startsWith("n,", i) || message.startsWith("y,", i))) {
            throw new MalformedMessageException("the GS2 header must start with n, y or p=");
        }
        i += 2;
        String authzid = "";
        if (message.startsWith("a=", i)) {
            int comma = message.indexOf(',', i + 2);
            if (comma < 0) {
                throw new MalformedMessageException("the GS2 header does not end with a comma");
            }
            authzid = SaslText.decodeSaslName(message.substring(i + 2, comma), "authorization identity");
            i = comma + 1;
        } else if (message.startsWith(",", i)) {
            i++;
        } else {
            throw new MalformedMessageException("the GS2 header has an invalid authzid field");
        }
        return new Gs2Header(message.substring(0, i), authzid);
    }
}
