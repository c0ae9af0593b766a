package dev.postoffice.server.command;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthResult;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.LineReader;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.sasl.SaslExchange;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.server.ServerConfig;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * AUTH (RFC 5034). Without a mechanism it lists the mechanisms usable now, one per line (Outlook asks
 * this way). With one, it runs the SASL exchange: an optional initial response ({@code =} for an empty
 * one), {@code +} challenges answered by base64 lines, {@code *} to cancel.
 */
final class AuthHandler implements CommandHandler<Command.Auth> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.Auth command) throws IOException {
        List<String> usable = session.mechanismsNow();
        if (command.mechanism().isEmpty()) {
            session.out().ok("methods supported:");
            for (String m : usable) {
                session.out().line(m);
            }
            session.out().end();
            return;
        }
        String mechanism = command.mechanism().get();
        if (!usable.contains(mechanism)) {
            if (SaslMechanisms.ALL.contains(mechanism) && !session.plaintextAllowed()
                    && SaslMechanisms.sendsCleartextSecret(mechanism)) {
                session.out().err(ResponseCode.AUTH, UserHandler.PLAINTEXT_REFUSED);
            } else {
                session.out().err("unsupported authentication mechanism");
            }
            return;
        }
        byte[] initial = null;
        if (command.initialResponse().isPresent()) {
            initial = decode(command.initialResponse().get());
            if (initial == null) {
                session.out().err("invalid base64 in the initial response");
                return;
            }
        }
        SaslExchange<Account> exchange = SaslMechanisms.start(mechanism, session.context().sasl(),
                session.config().hostname());
        SaslExchange.Step<Account> step = exchange.start(initial);
        while (step instanceof SaslExchange.Step.Challenge<Account> challenge) {
            session.out().continuation(Base64.getEncoder().encodeToString(challenge.data()));
            LineReader.Result r = session.in().read(ServerConfig.MAX_SASL_LINE);
            if (r == LineReader.Result.EOF) {
                throw new java.io.EOFException("connection closed during authentication");
            }
            if (r != LineReader.Result.LINE) {
                session.out().err("authentication response too long");
                return;
            }
            String line = new String(session.in().line(), 0, session.in().lineLength(),
                    java.nio.charset.StandardCharsets.US_ASCII);
            if (line.equals("*")) {
                session.out().err("authentication cancelled");
                return;
            }
            byte[] response = decode(line);
            if (response == null) {
                session.out().err("invalid base64 in the authentication exchange");
                return;
            }
            step = exchange.respond(response);
        }
        switch (step) {
            case SaslExchange.Step.Success<Account> s ->
                    session.completeLogin(s.verdict().user(), mechanism, new AuthResult.Success(s.verdict().principal()));
            case SaslExchange.Step.Failure<Account> f -> session.completeLogin("-", mechanism,
                    f.kind() == SaslExchange.Step.Failure.Kind.UNAVAILABLE
                            ? new AuthResult.Unavailable(f.reason()) : new AuthResult.Rejected(),
                    f.kind() == SaslExchange.Step.Failure.Kind.MALFORMED ? f.reason() : "authentication failed");
            case SaslExchange.Step.Challenge<Account> c -> throw new IllegalStateException("unreachable");
        }
    }

    /** Strict base64 (RFC 4648); "=" alone is the empty response (RFC 5034). Null if invalid. */
    private static byte[] decode(String s) {
        if (s.equals("=")) {
            return new byte[0];
        }
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
