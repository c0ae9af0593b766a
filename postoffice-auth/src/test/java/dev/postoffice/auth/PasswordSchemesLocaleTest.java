package dev.postoffice.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** Changes the JVM's default locale, so it runs alone. */
@Isolated
class PasswordSchemesLocaleTest {
    private static final String P1 = DovecotVectors.P1;

    @Test
    void schemeLookupDoesNotDependOnTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR")); // "i".toUpperCase() is "İ" here
            assertThat(PasswordSchemes.verify(P1,
                    "{argon2i}$argon2i$v=19$m=32768,t=4,p=1$2slCpb9wYfh73uc3u0TBxw$h29oPX2Uvhar9/reWpU6gwZgfXGDss047oGHh1uWsjU"))
                    .isTrue();
            assertThat(PasswordSchemes.encode("blf-crypt", P1)).startsWith("{BLF-CRYPT}");
        } finally {
            Locale.setDefault(saved);
        }
    }
}
