package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Dovecot's pop3_uidl_format as Dovecot 2.3's var_expand applies it, for UID 26, UIDVALIDITY 1700000000, the base
 * name {@code 1700000000.M1P2.host,S=10} and, unless noted, no GUID extension.
 */
class UidlFormatTest {
    private static final String BASE = "1700000000.M1P2.host,S=10";

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        // the default, and the formats operators use
        "%08Xu%08Xv     | 0000001a6553f100",
        "%u             | 26",
        "%v.%u          | 1700000000.26",
        "%v-%u          | 1700000000-26",
        "%Xv%Xu         | 6553f1001a",
        "%f             | 1700000000.M1P2.host,S=10",
        "%g             | 1700000000.M1P2.host,S=10",
        "%{uid}         | 26",
        "%{uidvalidity} | 1700000000",
        "%{filename}    | 1700000000.M1P2.host,S=10",
        "%{guid}        | 1700000000.M1P2.host,S=10",
        "%08{uid}       | 00000026",
        // zero padding pads and never truncates; a plain width truncates
        "%04u           | 0026",
        "%01u           | 26",
        "%8v            | 17000000",
        "%1u            | 2",
        "%3f            | 170",
        "%-3f           | 170",
        // offsets: positive from the start, negative from the end
        "%5.f           | 00000.M1P2.host,S=10",
        "%11.4f         | M1P2",
        "%-4.f          | S=10",
        "%-4.2f         | S=",
        "%0.3f          | 170",
        "%2.03u         | 000",
        // modifiers, applied in order
        "%Uf            | 1700000000.M1P2.HOST,S=10",
        "%LUf           | 1700000000.M1P2.HOST,S=10",
        "%ULf           | 1700000000.m1p2.host,s=10",
        "%Ru            | 62",
        "%RXu           | 3e",
        "%XRu           | a1",
        "%Xf            | 0",
        "%Mu            | 4e732ced3463d06de0ca9a15b6153677",
        "%Df            | 1700000000,dc=M1P2,dc=host,S=10",
        "%Tu            | 26",
        "%Ef            | 1700000000.M1P2.host,S=10",
        "%%%u           | %26",
        "x%ux           | x26x",
    })
    void expandsAsDovecot(String format, String expected) {
        assertThat(UidlFormat.parse(format.strip()).expand(26, 1_700_000_000L, BASE, null)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"%g | 8f1c0a39b2e4", "%08g | 8f1c0a39b2e4", "%-4.g | b2e4"})
    void guidComesFromTheExtension(String format, String expected) {
        assertThat(UidlFormat.parse(format.strip()).expand(1, 1, BASE, "8f1c0a39b2e4")).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "%08Xu | ffffffff | 4294967295",
        "%Xu   | 1            | 1",
    })
    void hexIsLowerCaseLikeDovecots(String format, String expected, long uid) {
        assertThat(UidlFormat.parse(format.strip()).expand(uid, 1, BASE, null)).isEqualTo(expected.strip());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "%m             | mbox only",
        "%{md5}         | mbox only",
        "%08Xm          | mbox only",
        "%x             | not a pop3_uidl_format variable",
        "%08xu          | not a pop3_uidl_format variable",
        "%n             | not a pop3_uidl_format variable",
        "%{hostname}    | not a pop3_uidl_format variable",
        "%{env:HOME}    | not a pop3_uidl_format variable",
        "%{uid          | without a closing",
        "%Hu            | hash modifier",
        "%Nu            | hash modifier",
        "%u%            | ends in the middle",
        "%08X           | ends in the middle",
        "%X%            | takes no modifiers",
        "abc            | no variable",
        "%%             | no variable",
        "%1234567u      | too large",
    })
    void refusesWhatItCannotServeAsDovecotDid(String format, String message) {
        assertThatThrownBy(() -> UidlFormat.parse(format.strip()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message.strip());
    }

    @org.junit.jupiter.api.Test
    void refusesCharactersAUidlCannotHold() {
        assertThatThrownBy(() -> UidlFormat.parse("%u %v")).hasMessageContaining("a space");
        assertThatThrownBy(() -> UidlFormat.parse("%u\u00e9")).hasMessageContaining("U+00E9");
        assertThatThrownBy(() -> UidlFormat.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> UidlFormat.parse(null)).hasMessageContaining("empty");
    }
}
