package dev.postoffice.protocol;

import dev.postoffice.message.MessageBody;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * A POP3 response as a value: what a command handler returns and {@link ResponseWriter#send} puts on the wire,
 * with byte-stuffing and the choice of the zero-copy path kept there.
 */
public sealed interface Reply {
    /** {@code +OK} with optional text (null or empty: none). */
    record Ok(String text) implements Reply {}

    /** {@code -ERR [CODE] text}; {@code code} is null for none (RFC 2449 section 8). */
    record Err(ResponseCode code, String text) implements Reply {
        public Err {
            Objects.requireNonNull(text, "text");
        }
    }

    /** {@code +OK header}, then each line byte-stuffed, then the terminating {@code .} (RFC 1939 section 3). */
    record Lines(String header, List<String> lines) implements Reply {
        public Lines {
            lines = List.copyOf(lines);
        }
    }

    /**
     * A stored message as a multi-line response: RETR ({@code bodyLines < 0}: all of it) or TOP ({@code bodyLines}
     * lines of the body after the header). If the body cannot be opened the client gets {@code -ERR [SYS/TEMP]}
     * instead; {@code sent} is told the octets sent (before byte-stuffing) once the message is out.
     */
    record Message(String header, MessageBody body, long bodyLines, LongConsumer sent) implements Reply {
        public Message {
            Objects.requireNonNull(body, "body");
            Objects.requireNonNull(sent, "sent");
        }
    }

    /** A SASL challenge (RFC 5034 section 4): {@code +} SP the base64 of {@code data}. */
    record Challenge(byte[] data) implements Reply {}

    static Reply ok(String text) {
        return new Ok(text);
    }

    static Reply err(String text) {
        return new Err(null, text);
    }

    static Reply err(ResponseCode code, String text) {
        return new Err(code, text);
    }

    static Reply lines(String header, List<String> lines) {
        return new Lines(header, lines);
    }
}
