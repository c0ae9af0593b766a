package dev.postoffice.storage.maildir;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MaildirNamesTest {
    @Test
    void baseNameEndsAtTheFirstColon() {
        assertThat(MaildirNames.baseName("1700000000.M1P2Q3.host,S=10:2,RS")).isEqualTo("1700000000.M1P2Q3.host,S=10");
        assertThat(MaildirNames.baseName("1700000000.x.host")).isEqualTo("1700000000.x.host");
        assertThat(MaildirNames.baseName("a:b:c")).isEqualTo("a");
    }

    @Test
    void leadingSecondsParsesTheLeadingDigitsOnly() {
        assertThat(MaildirNames.leadingSeconds("1700000000.M1P2.host")).isEqualTo(1700000000L);
        assertThat(MaildirNames.leadingSeconds("42")).isEqualTo(42L);
        assertThat(MaildirNames.leadingSeconds("msg1")).isEqualTo(-1L);
        assertThat(MaildirNames.leadingSeconds("")).isEqualTo(-1L);
        assertThat(MaildirNames.leadingSeconds("1234567890123456789012.x")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void sizeFieldsAreReadFromTheCommaSeparatedPart() {
        String dovecot = "1700000000.M123P45Q6.mail.example.org,S=1234,W=1260";
        assertThat(MaildirNames.sizeField(dovecot, 'S')).isEqualTo(1234L);
        assertThat(MaildirNames.sizeField(dovecot, 'W')).isEqualTo(1260L);
        assertThat(MaildirNames.sizeField("1700000000.x.host,W=7,S=5", 'W')).isEqualTo(7L);
        assertThat(MaildirNames.sizeField("1700000000.x.host", 'W')).isEqualTo(-1L);
        assertThat(MaildirNames.sizeField("1700000000.x.host,W=12a", 'W')).isEqualTo(-1L);
        assertThat(MaildirNames.sizeField("1700000000.x.host,W=", 'W')).isEqualTo(-1L);
        assertThat(MaildirNames.sizeField("1700000000.x.host,XW=5", 'W')).isEqualTo(-1L);
        assertThat(MaildirNames.sizeField("1700000000.x.host,W=99999999999999999999", 'W')).isEqualTo(-1L);
    }

    @Test
    void uidlIsTheBaseNameWhenItIsAValidUidl() {
        assertThat(MaildirNames.uidl("1700000000.M1P2Q3.host,S=10,W=12")).isEqualTo("1700000000.M1P2Q3.host,S=10,W=12");
        String seventy = "1".repeat(70);
        assertThat(MaildirNames.uidl(seventy)).isEqualTo(seventy);
    }

    @Test
    void uidlIsDerivedForNamesThatAreNotValidUidls() {
        for (String base : new String[] {"1".repeat(71), "1700000000.with space", "1700000000.caf\u00e9", "x\u007f"}) {
            String uidl = MaildirNames.uidl(base);
            assertThat(uidl).startsWith(MaildirNames.DERIVED_UIDL_PREFIX).hasSizeLessThanOrEqualTo(70);
            assertThat(uidl.chars()).allMatch(c -> c >= 0x21 && c <= 0x7E);
            assertThat(uidl).contains(":"); // so it can never equal a base name
            assertThat(MaildirNames.uidl(base)).isEqualTo(uidl);
        }
        assertThat(MaildirNames.uidl("1".repeat(71))).isNotEqualTo(MaildirNames.uidl("1".repeat(72)));
    }

    @Test
    void hostnameEscapesSlashAndColon() {
        assertThat(MaildirNames.escapeHostname("mail.example.org")).isEqualTo("mail.example.org");
        assertThat(MaildirNames.escapeHostname("a/b:c")).isEqualTo("a\\057b\\072c");
    }

    @Test
    void uniqueNameHasTheDovecotShape() {
        assertThat(MaildirNames.uniqueName(1700000000L, 1234, 99, 7, 0x0a0b0c0d, "host"))
                .isEqualTo("1700000000.M1234P99Q7R0a0b0c0d.host");
    }

    @org.junit.jupiter.api.Test
    void microsecondsOrderDeliveriesWithinASecond() {
        org.assertj.core.api.Assertions.assertThat(MaildirNames.micros("1700000000.M99P1Q2R3.host")).isEqualTo(99);
        org.assertj.core.api.Assertions.assertThat(MaildirNames.micros("1700000000.M100000P1.host,S=5")).isEqualTo(100000);
        org.assertj.core.api.Assertions.assertThat(MaildirNames.micros("1700000000.V803I1a2bM123456.host")).isEqualTo(123456);
        org.assertj.core.api.Assertions.assertThat(MaildirNames.micros("1700000000.P1Q2.host")).isEqualTo(-1);
        org.assertj.core.api.Assertions.assertThat(MaildirNames.micros("foreign")).isEqualTo(-1);
    }
}
