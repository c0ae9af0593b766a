package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the Maildir file name parser with arbitrary names (the input decoded as UTF-8, as file names are).
 * Asserted: the base name is the prefix before the first ':' and is stable; the UIDL of any base name is a valid
 * UIDL (1 to 70 printable ASCII characters), the name itself when it is one, and a derived UIDL never equals a
 * base name; the numbers parsed are in range and agree with the digits in the name; escaped host names hold no
 * '/' or ':'; and a name made by {@link MaildirNames#uniqueName} parses back to the parts it was made from.
 */
class MaildirNamesFuzzTest {
    @FuzzTest
    void names(byte[] data) {
        String name = new String(data, StandardCharsets.UTF_8);

        String base = MaildirNames.baseName(name);
        assertThat(name).startsWith(base);
        assertThat(base).doesNotContain(":");
        assertThat(MaildirNames.baseName(base)).isEqualTo(base);
        if (base.length() < name.length()) {
            assertThat(name.charAt(base.length())).isEqualTo(':');
        }

        String uidl = MaildirNames.uidl(base);
        assertThat(MaildirNames.validUidl(uidl)).as("valid UIDL for %s", base).isTrue();
        assertThat(MaildirNames.uidl(base)).isEqualTo(uidl);
        if (MaildirNames.validUidl(base)) {
            assertThat(uidl).isEqualTo(base);
        } else {
            assertThat(uidl).startsWith(MaildirNames.DERIVED_UIDL_PREFIX).isNotEqualTo(base);
        }

        long seconds = MaildirNames.leadingSeconds(name);
        int digits = 0;
        while (digits < name.length() && name.charAt(digits) >= '0' && name.charAt(digits) <= '9') {
            digits++;
        }
        if (digits == 0) {
            assertThat(seconds).isEqualTo(-1);
        } else if (digits <= 18) {
            assertThat(seconds).isEqualTo(Long.parseLong(name.substring(0, digits)));
        } else {
            assertThat(seconds).isEqualTo(Long.MAX_VALUE);
        }

        assertThat(MaildirNames.micros(name)).isBetween(-1L, 999_999_999L);
        for (char type : new char[] {'S', 'W'}) {
            long size = MaildirNames.sizeField(base, type);
            assertThat(size).isBetween(-1L, 999_999_999_999_999_999L);
            if (size >= 0) {
                assertThat(base).contains("," + type + "=");
            }
        }

        // Round trip: a generated name, with this input as the host, parses back to its parts.
        String host = MaildirNames.escapeHostname(name);
        assertThat(host).doesNotContain("/").doesNotContain(":");
        if (name.indexOf('/') < 0 && name.indexOf(':') < 0) {
            assertThat(host).isSameAs(name);
        }
        long epoch = seconds >= 0 && seconds < 100_000_000_000L ? seconds : 1_700_000_000L;
        int micros = data.length > 0 ? (data[0] & 0xff) * 3_000 : 0;
        String unique = MaildirNames.uniqueName(epoch, micros, 4242, data.length, name.hashCode(), host);
        assertThat(MaildirNames.baseName(unique)).isEqualTo(unique);
        assertThat(MaildirNames.leadingSeconds(unique)).isEqualTo(epoch);
        assertThat(MaildirNames.micros(unique)).isEqualTo(micros);
    }
}
