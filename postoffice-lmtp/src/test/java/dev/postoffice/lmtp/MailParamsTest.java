package dev.postoffice.lmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MailParamsTest {
    @Test
    void sizeAndTheParametersHonoured() {
        assertThat(MailParams.size("")).isEqualTo(-1);
        assertThat(MailParams.size("SIZE=123 BODY=8BITMIME SMTPUTF8")).isEqualTo(123);
        assertThatThrownBy(() -> MailParams.size("SIZE=x")).hasMessage("501 5.5.4 Bad SIZE parameter");
        assertThatThrownBy(() -> MailParams.size("RET=HDRS")).hasMessage("555 5.5.4 Unsupported parameter RET");
    }

    @Test
    void anUnsupportedParameterIsEchoedOnlyWhenPrintable() {
        // The command line ends at CR LF; a bare CR inside it must not reach the reply line.
        assertThatThrownBy(() -> MailParams.size("X\r250 2.0.0 forged=1"))
                .hasMessage("555 5.5.4 Unsupported parameter");
        assertThatThrownBy(() -> MailParams.size("A".repeat(200))).hasMessage("555 5.5.4 Unsupported parameter");
    }
}
