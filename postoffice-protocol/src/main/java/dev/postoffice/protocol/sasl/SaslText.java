package dev.postoffice.protocol.sasl;

import com.ibm.icu.text.StringPrep;
import com.ibm.icu.text.StringPrepParseException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Decoding, bounds and SASLprep shared by the mechanisms. */
final class SaslText {
    /** Longest user name (authcid, authzid) in UTF-8 bytes. */
    static final int MAX_NAME_BYTES = 1024;
    /** Longest password in UTF-8 bytes. */
    static final int MAX_PASSWORD_BYTES = 1024;

    private static final StringPrep SASLPREP = StringPrep.getInstance(StringPrep.RFC4013_SASLPREP);

    private SaslText() {}

    /** Strict UTF-8 of {@code bytes[from, to)}. */
    static String utf8(byte[] bytes, int from, int to) throws MalformedMessageException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, from, to - from))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedMessageException("the message is not valid UTF-8");
        }
    }

    /** Strict UTF-8 of a whole message that must not contain NUL. */
    static String utf8WithoutNul(byte[] bytes) throws MalformedMessageException {
        if (indexOf(bytes, (byte) 0, 0) >= 0) {
            throw new MalformedMessageException("the message must not contain NUL");
        }
        return utf8(bytes, 0, bytes.length);
    }

    /** The first index of {@code b} at or after {@code from}, or -1. */
    static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * SASLprep (RFC 4013) of a presented string, treated as a query (RFC 3454 section 7: unassigned code points
     * allowed), as RFC 4616 section 2 and RFC 5802 section 5.1 ask of servers.
     *
     * @param what what the string is, for the error text ("user name", "password")
     * @throws MalformedMessageException when the string holds a prohibited character or fails the bidi rule
     */
    static String saslPrep(String s, String what) throws MalformedMessageException {
        try {
            return SASLPREP.prepare(s, StringPrep.ALLOW_UNASSIGNED);
        } catch (StringPrepParseException e) {
            throw new MalformedMessageException("the " + what + " contains characters SASLprep prohibits");
        }
    }

    /** A prepared, non-empty name of at most {@link #MAX_NAME_BYTES}. */
    static String name(String raw, String what) throws MalformedMessageException {
        if (raw.isEmpty()) {
            throw new MalformedMessageException("the " + what + " is empty");
        }
        checkLength(raw, MAX_NAME_BYTES, what);
        String prepared = saslPrep(raw, what);
        if (prepared.isEmpty()) {
            throw new MalformedMessageException("the " + what + " is empty after SASLprep");
        }
        return prepared;
    }

    /** A prepared, non-empty password of at most {@link #MAX_PASSWORD_BYTES}. */
    static String password(String raw) throws MalformedMessageException {
        if (raw.isEmpty()) {
            throw new MalformedMessageException("the password is empty");
        }
        checkLength(raw, MAX_PASSWORD_BYTES, "password");
        String prepared = saslPrep(raw, "password");
        if (prepared.isEmpty()) {
            throw new MalformedMessageException("the password is empty after SASLprep");
        }
        return prepared;
    }

    static void checkLength(String s, int maxBytes, String what) throws MalformedMessageException {
        if (s.length() > maxBytes || s.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            throw new MalformedMessageException("the " + what + " is longer than " + maxBytes + " bytes");
        }
    }

    /**
     * RFC 5802 section 5.1 {@code saslname}: {@code ,} and {@code =} are written {@code =2C} and {@code =3D}; any
     * other {@code =} is an error, and so are NUL and an empty name.
     */
    static String decodeSaslName(String encoded, String what) throws MalformedMessageException {
        if (encoded.isEmpty()) {
            throw new MalformedMessageException("the " + what + " is empty");
        }
        StringBuilder out = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '=') {
                if (encoded.startsWith("=2C", i)) {
                    out.append(',');
                } else if (encoded.startsWith("=3D", i)) {
                    out.append('=');
                } else {
                    throw new MalformedMessageException("the " + what + " has an invalid '=' escape");
                }
                i += 2;
            } else if (c == ',' || c == '\0') {
                throw new MalformedMessageException("the " + what + " contains a character that must be escaped");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
