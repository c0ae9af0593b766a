package dev.postoffice.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The keytab checks that decide whether GSSAPI is offered, and the principal-to-user mapping. */
class KerberosAcceptorTest {
    private static final String SERVICE = "pop/mail.example.org@EXAMPLE.ORG";

    @TempDir
    Path dir;

    private KerberosAcceptor acceptor(Path keytab, Optional<String> realm) {
        return new KerberosAcceptor(new ServerConfig.Gssapi(keytab, SERVICE, realm));
    }

    @Test
    void usableWithAKeytabHoldingTheServiceKey() throws Exception {
        Path keytab = Keytabs.write(dir.resolve("pop.keytab"), SERVICE);
        assertThat(acceptor(keytab, Optional.empty()).usable()).isTrue();
    }

    @Test
    void notUsableWithoutAReadableKeytab() throws Exception {
        assertThat(acceptor(dir.resolve("missing.keytab"), Optional.empty()).usable()).isFalse();
        Path directory = Files.createDirectory(dir.resolve("a-directory"));
        assertThat(acceptor(directory, Optional.empty()).usable()).isFalse();
    }

    @Test
    void notUsableWhenTheKeytabHoldsAnotherPrincipal() throws Exception {
        Path keytab = Keytabs.write(dir.resolve("imap.keytab"), "imap/mail.example.org@EXAMPLE.ORG");
        assertThat(acceptor(keytab, Optional.empty()).usable()).isFalse();
        Path garbage = Files.writeString(dir.resolve("garbage.keytab"), "not a keytab");
        assertThat(acceptor(garbage, Optional.empty()).usable()).isFalse();
    }

    @Test
    void principalsOfTheServiceRealmAreUsers() {
        KerberosAcceptor a = acceptor(dir.resolve("k"), Optional.empty());
        assertThat(a.realm()).isEqualTo("EXAMPLE.ORG");
        assertThat(a.user("alice@EXAMPLE.ORG")).contains("alice");
        assertThat(a.user("alice.smith@EXAMPLE.ORG")).contains("alice.smith");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice@OTHER.ORG", "alice@example.org", "alice/admin@EXAMPLE.ORG", "@EXAMPLE.ORG",
            "alice", "alice@", "DOMAIN\\alice@EXAMPLE.ORG", "alice@EXAMPLE.ORG.evil"})
    void otherPrincipalsAreNoUsers(String principal) {
        assertThat(acceptor(dir.resolve("k"), Optional.empty()).user(principal)).isEmpty();
    }

    @Test
    void gssapiRealmChoosesTheUsersRealm() {
        KerberosAcceptor a = acceptor(dir.resolve("k"), Optional.of("CORP.EXAMPLE.ORG"));
        assertThat(a.user("alice@CORP.EXAMPLE.ORG")).contains("alice");
        assertThat(a.user("alice@EXAMPLE.ORG")).isEmpty();
    }
}
