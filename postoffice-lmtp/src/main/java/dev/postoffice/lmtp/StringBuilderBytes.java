package dev.postoffice.lmtp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable command line of octets, decoded as UTF-8 (SMTPUTF8 addresses) when complete. */
final class StringBuilderBytes {
    private byte[] bytes = new byte[256];
    private int length;

    void reset() {
        length = 0;
    }

    int length() {
        return length;
    }

    void append(byte b) {
        if (length == bytes.length) {
            bytes = Arrays.copyOf(bytes, bytes.length * 2);
        }
        bytes[length++] = b;
    }

    void dropTrailingCr() {
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
    }

    @Override
    public String toString() {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }
}
