package dev.postoffice.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

import org.apache.commons.codec.DecoderException;
import org.apache.commons.codec.binary.Hex;

/**
 * How the data after a raw-byte scheme's {@code {SCHEME}} prefix is written, as chosen by Dovecot's
 * {@code .B64}/{@code .BASE64}/{@code .HEX} scheme suffixes.
 */
enum SecretEncoding {
    /** The data is the raw bytes themselves (UTF-8). */
    NONE,
    /** Standard base64. */
    BASE64,
    /** Hexadecimal, either case. */
    HEX;

    /** Maps a scheme suffix (without the dot) to its encoding; empty for an unknown suffix. */
    static Optional<SecretEncoding> fromSuffix(String suffix) {
        return switch (suffix.toUpperCase(Locale.ROOT)) {
            case "B64", "BASE64" -> Optional.of(BASE64);
            case "HEX" -> Optional.of(HEX);
            default -> Optional.empty();
        };
    }

    /** Decodes {@code data}; empty when it is not valid in this encoding. */
    Optional<byte[]> decode(String data) {
        try {
            return Optional.of(switch (this) {
                case NONE -> data.getBytes(StandardCharsets.UTF_8);
                case BASE64 -> Base64.getDecoder().decode(data);
                case HEX -> Hex.decodeHex(data);
            });
        } catch (IllegalArgumentException | DecoderException e) {
            return Optional.empty();
        }
    }
}
