package dev.postoffice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The client reproduces the RFC example exchanges to the letter. */
class ScramClientTest {
    @Test
    void rfc5802Sha1Example() {
        ScramClient client = new ScramClient("SCRAM-SHA-1", "n,,", "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
        assertThat(client.clientFirst()).isEqualTo("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
        assertThat(client.clientFinal("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"))
                .isEqualTo("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
        assertThat(client.expectedServerFinal()).isEqualTo("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    }

    @Test
    void rfc7677Sha256Example() {
        ScramClient client = new ScramClient("SCRAM-SHA-256", "n,,", "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
        assertThat(client.clientFirst()).isEqualTo("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        assertThat(client.clientFinal(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
                .isEqualTo("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assertThat(client.expectedServerFinal()).isEqualTo("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    @Test
    void attributes() {
        assertThat(ScramClient.attribute("r=abc,s=c2FsdA==,i=4096", "s")).isEqualTo("c2FsdA==");
        assertThatThrownBy(() -> ScramClient.attribute("r=abc", "i")).isInstanceOf(AssertionError.class);
    }

    @Test
    void unknownMechanism() {
        assertThatThrownBy(() -> new ScramClient("SCRAM-SHA-512", "n,,", "u", "p", "n"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
