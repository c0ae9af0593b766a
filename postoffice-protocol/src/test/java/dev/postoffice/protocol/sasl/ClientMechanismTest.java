package dev.postoffice.protocol.sasl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the client's token mechanisms send, first and after the server's error report. */
class ClientMechanismTest {
    private static final byte[] ERROR = "{\"status\":\"invalid_token\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void oauthBearerAnswersAnErrorWithTheDummyResponseOfRfc7628() throws Exception {
        ClientMechanism m = ClientMechanism.create("OAUTHBEARER", "alice", "tok", "mail.example.org", 995);
        assertThat(new String(m.initialResponse(), StandardCharsets.UTF_8))
                .isEqualTo("n,a=alice,\u0001host=mail.example.org\u0001port=995\u0001auth=Bearer tok\u0001\u0001");
        assertThat(m.respond(ERROR)).containsExactly(1);
    }

    @Test
    void xoauth2AnswersAnErrorWithAnEmptyResponse() throws Exception {
        ClientMechanism m = ClientMechanism.create("XOAUTH2", "alice", "tok", "mail.example.org", 995);
        assertThat(new String(m.initialResponse(), StandardCharsets.UTF_8)).isEqualTo("user=alice\u0001auth=Bearer tok\u0001\u0001");
        assertThat(m.respond(ERROR)).isEmpty();
    }
}
