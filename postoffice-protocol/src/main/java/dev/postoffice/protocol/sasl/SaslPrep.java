package dev.postoffice.protocol.sasl;

import java.util.Optional;

/**
 * SASLprep (RFC 4013) for names and passwords that do not arrive through a SASL mechanism: USER/PASS
 * (RFC 6856 asks for the same preparation in UTF8 mode) and passwords set with the command line, so that
 * every way in compares the same strings.
 */
public final class SaslPrep {
    private SaslPrep() {}

    /** The prepared user name, or empty if it is empty, too long or holds prohibited characters. */
    public static Optional<String> name(String raw) {
        try {
            return Optional.of(SaslText.name(raw, "user name"));
        } catch (MalformedMessageException e) {
            return Optional.empty();
        }
    }

    /** The prepared password, or empty if it is empty, too long or holds prohibited characters. */
    public static Optional<String> password(String raw) {
        try {
            return Optional.of(SaslText.password(raw));
        } catch (MalformedMessageException e) {
            return Optional.empty();
        }
    }
}
