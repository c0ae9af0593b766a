package dev.postoffice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class PopUrlTest {
    @Test
    void parsesRfc2384Urls() {
        PopUrl u = PopUrl.parse("pop3://alice%40example.org;auth=SCRAM-SHA-256@mail.example.org:1110/");
        assertThat(u).isEqualTo(new PopUrl(false, "alice@example.org", "mail.example.org", 1110, Optional.of("SCRAM-SHA-256")));
        assertThat(PopUrl.parse("pop3s://bob@mail.example.org")).isEqualTo(
                new PopUrl(true, "bob", "mail.example.org", 995, Optional.empty()));
        assertThat(PopUrl.parse("pop://bob;AUTH=*@[::1]:110/").host()).isEqualTo("::1");
        assertThat(PopUrl.parse("pop://bob;auth=+APOP@h/").auth()).contains("+APOP");
        assertThat(PopUrl.parse("pop://bob;auth=%2Bapop@h/").auth()).contains("+APOP");
        assertThat(PopUrl.parse("pop3://b%C3%A9a@h/").user()).isEqualTo("béa");
        assertThat(PopUrl.parse("pop3s://bob@[::1]:995/").account()).isEqualTo("bob@[::1]:995");
    }

    @Test
    void badUrlsSayWhatIsWrong() {
        assertThatThrownBy(() -> PopUrl.parse("imap://a@h/")).hasMessageContaining("unknown scheme");
        assertThatThrownBy(() -> PopUrl.parse("pop3://h/")).hasMessageContaining("no user");
        assertThatThrownBy(() -> PopUrl.parse("pop3://a@h:0/")).hasMessageContaining("bad port");
        assertThatThrownBy(() -> PopUrl.parse("pop3://a@h/INBOX")).hasMessageContaining("no path");
        assertThatThrownBy(() -> PopUrl.parse("pop3://a;x=y@h/")).hasMessageContaining("unknown URL parameter");
        assertThatThrownBy(() -> PopUrl.parse("pop3://a%4@h/")).hasMessageContaining("two hex digits");
        assertThatThrownBy(() -> PopUrl.parse("mail.example.org")).hasMessageContaining("not a POP URL");
    }
}
