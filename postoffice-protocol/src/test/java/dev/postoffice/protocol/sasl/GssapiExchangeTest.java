package dev.postoffice.protocol.sasl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import javax.security.sasl.SaslException;
import org.junit.jupiter.api.Test;

/**
 * GSSAPI's failure paths without a keytab: no acceptor, unavailable credentials, and the bound on a token. Refused
 * tokens with a real keytab: the server's GssapiSessionTest; logins with real tickets: it/kerberos_test.py.
 */
class GssapiExchangeTest {
    private final List<String> refused = new ArrayList<>();

    /** Runs steps without any service credentials: the JDK then fails as it does with a missing keytab. */
    private final GssapiAcceptor noKeys = new GssapiAcceptor() {
        @Override
        public <T> T asService(Step<T> step) throws SaslException {
            return step.run();
        }

        @Override
        public void refused(String reason) {
            refused.add(reason);
        }
    };

    private final TestBackend backend = new TestBackend();

    GssapiExchangeTest() {
        backend.gssapi = noKeys;
    }

    @Test
    void withoutAnAcceptorGssapiIsUnavailable() {
        SaslExchange.Step<String> step = SaslMechanisms.start("GSSAPI", new TestBackend(), "h").start(null);
        assertThat(step).isEqualTo(new SaslExchange.Step.Failure<String>(
                SaslExchange.Step.Failure.Kind.UNAVAILABLE, "GSSAPI: no keytab is configured"));
    }

    @Test
    void unavailableCredentialsAreUnavailableNotRejected() {
        GssapiAcceptor broken = new GssapiAcceptor() {
            @Override
            public <T> T asService(Step<T> step) throws Unavailable {
                throw new Unavailable("keytab unreadable");
            }

            @Override
            public void refused(String reason) {
                refused.add(reason);
            }
        };
        TestBackend b = new TestBackend();
        b.gssapi = broken;
        assertThat(SaslMechanisms.start("GSSAPI", b, "h").start(new byte[] {0x60, 1, 2}))
                .isEqualTo(new SaslExchange.Step.Failure<String>(
                        SaslExchange.Step.Failure.Kind.UNAVAILABLE, "GSSAPI: keytab unreadable"));
        assertThat(refused).isEmpty();
    }

    @Test
    void withoutServiceCredentialsTheJdkCannotAcceptAndGssapiIsUnavailable() {
        SaslExchange.Step<String> step = SaslMechanisms.start("GSSAPI", backend, "h").start(new byte[] {0x60, 1, 2});
        assertThat(step).isInstanceOf(SaslExchange.Step.Failure.class)
                .extracting(f -> ((SaslExchange.Step.Failure<String>) f).kind())
                .isEqualTo(SaslExchange.Step.Failure.Kind.UNAVAILABLE);
        assertThat(backend.calls).isEmpty();
    }

    @Test
    void aTokenOverTheBoundIsMalformed() {
        SaslExchange.Step<String> step = SaslMechanisms.start("GSSAPI", backend, "h")
                .start(new byte[SaslMechanisms.MAX_MESSAGE_BYTES + 1]);
        assertThat(step).isEqualTo(new SaslExchange.Step.Failure<String>(SaslExchange.Step.Failure.Kind.MALFORMED,
                "GSSAPI: the message is longer than " + SaslMechanisms.MAX_MESSAGE_BYTES + " bytes"));
    }
}
