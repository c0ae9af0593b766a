package dev.postoffice.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.postoffice.auth.Account;
import dev.postoffice.protocol.sasl.SaslBackend;
import dev.postoffice.protocol.sasl.SaslExchange;
import dev.postoffice.protocol.sasl.SaslExchange.Step;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.testkit.ScramClient;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Client sides of the mechanisms, driving whole exchanges through {@link SaslMechanisms#start}. */
final class Exchanges {
    static final String HOST = "pop.example.org";

    private Exchanges() {}

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static SaslExchange<Account> start(SaslBackend<Account> backend, String mechanism) {
        return SaslMechanisms.start(mechanism, backend, HOST);
    }

    static Step<Account> plain(SaslBackend<Account> backend, String authzid, String user, String password) {
        return start(backend, "PLAIN").start(utf8(authzid + "\0" + user + "\0" + password));
    }

    static Step<Account> login(SaslBackend<Account> backend, String user, String password) {
        SaslExchange<Account> exchange = start(backend, "LOGIN");
        assertThat(challenge(exchange.start(null))).isEqualTo("Username:");
        assertThat(challenge(exchange.respond(utf8(user)))).isEqualTo("Password:");
        return exchange.respond(utf8(password));
    }

    static Step<Account> cramMd5(SaslBackend<Account> backend, String user, String password) throws Exception {
        SaslExchange<Account> exchange = start(backend, "CRAM-MD5");
        String challenge = challenge(exchange.start(null));
        Mac mac = Mac.getInstance("HmacMD5");
        mac.init(new SecretKeySpec(utf8(password), "HmacMD5"));
        return exchange.respond(utf8(user + " " + HexFormat.of().formatHex(mac.doFinal(utf8(challenge)))));
    }

    /** What a SCRAM exchange showed and how it ended. */
    record ScramRun(String serverFirst, Step<Account> end) {
        String salt() {
            return ScramClient.attribute(serverFirst, "s");
        }

        String iterations() {
            return ScramClient.attribute(serverFirst, "i");
        }
    }

    /** A whole SCRAM exchange; the server signature is checked whenever the server sends one. */
    static ScramRun scram(SaslBackend<Account> backend, String mechanism, String authzid, String user,
            String password) {
        SaslExchange<Account> exchange = start(backend, mechanism);
        String gs2 = authzid.isEmpty() ? "n,," : "n,a=" + authzid + ",";
        ScramClient client = new ScramClient(mechanism, gs2, user, password, "Zm9vYmFyYmF6cXV4");
        Step<Account> first = exchange.start(utf8(client.clientFirst()));
        if (!(first instanceof Step.Challenge<Account>)) {
            return new ScramRun("", first);
        }
        String serverFirst = challenge(first);
        Step<Account> last = exchange.respond(utf8(client.clientFinal(serverFirst)));
        if (last instanceof Step.Challenge<Account>) {
            assertThat(challenge(last)).isEqualTo(client.expectedServerFinal());
            last = exchange.respond(new byte[0]);
        }
        return new ScramRun(serverFirst, last);
    }

    static Step<Account> oauthbearer(SaslBackend<Account> backend, String authzid, String token) {
        SaslExchange<Account> exchange = start(backend, "OAUTHBEARER");
        String a = authzid.isEmpty() ? "" : "a=" + authzid;
        Step<Account> step = exchange.start(utf8("n," + a + ",\u0001host=" + HOST + "\u0001port=110\u0001auth=Bearer "
                + token + "\u0001\u0001"));
        if (step instanceof Step.Challenge<Account>) {
            assertThat(challenge(step)).isEqualTo("{\"status\":\"invalid_token\"}");
            step = exchange.respond(new byte[] {1});
        }
        return step;
    }

    static Step<Account> xoauth2(SaslBackend<Account> backend, String user, String token) {
        SaslExchange<Account> exchange = start(backend, "XOAUTH2");
        Step<Account> step = exchange.start(utf8("user=" + user + "\u0001auth=Bearer " + token + "\u0001\u0001"));
        if (step instanceof Step.Challenge<Account>) {
            assertThat(challenge(step)).isEqualTo("{\"status\":\"401\",\"schemes\":\"bearer\"}");
            step = exchange.respond(new byte[0]);
        }
        return step;
    }

    static String challenge(Step<Account> step) {
        assertThat(step).isInstanceOf(Step.Challenge.class);
        return new String(((Step.Challenge<Account>) step).data(), StandardCharsets.UTF_8);
    }

    /** The account name, failing unless the step is a success. */
    static String success(Step<Account> step) {
        assertThat(step).isInstanceOf(Step.Success.class);
        Step.Success<Account> s = (Step.Success<Account>) step;
        assertThat(s.verdict().user()).isEqualTo(s.verdict().principal().name());
        return s.verdict().principal().name();
    }

    static Step.Failure<Account> failure(Step<Account> step, Step.Failure.Kind kind) {
        assertThat(step).isInstanceOf(Step.Failure.class);
        Step.Failure<Account> f = (Step.Failure<Account>) step;
        assertThat(f.kind()).isEqualTo(kind);
        return f;
    }

    static Step.Failure<Account> rejected(Step<Account> step) {
        return failure(step, Step.Failure.Kind.REJECTED);
    }
}
