package dev.postoffice.server.command;

import dev.postoffice.auth.Account;
import dev.postoffice.auth.AuthResult;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.sasl.SaslExchange;
import dev.postoffice.protocol.sasl.SaslMechanisms;
import dev.postoffice.server.login.LoginPolicy;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * AUTH (RFC 5034). Without a mechanism it lists the mechanisms usable now, one per line (Outlook asks this way).
 * With one, it starts the SASL exchange: an optional initial response ({@code =} for an empty one), then
 * {@code +} challenges; the session hands each response line back to {@link #respond}; {@code *} cancels (a
 * failed login, logged and throttled, once the backend has looked at the client's data: SCRAM, bearer tokens).
 */
final class AuthHandler implements CommandHandler<Command.Auth> {
    public Set<Class<? extends SessionState>> validIn() {
        return AUTHORIZATION;
    }

    public Reply handle(CommandContext ctx, Command.Auth command) {
        List<String> usable = ctx.login().mechanisms(ctx.secure());
        if (command.mechanism().isEmpty()) {
            return Reply.lines("methods supported:", usable);
        }
        String mechanism = command.mechanism().get();
        if (!usable.contains(mechanism)) {
            if (SaslMechanisms.ALL.contains(mechanism) && !ctx.login().plaintextAllowed(ctx.secure())
                    && LoginPolicy.needsProtection(mechanism)) {
                return Reply.err(ResponseCode.AUTH, UserHandler.PLAINTEXT_REFUSED);
            }
            return Reply.err("unsupported authentication mechanism");
        }
        byte[] initial = null;
        if (command.initialResponse().isPresent()) {
            initial = decode(command.initialResponse().get());
            if (initial == null) {
                return Reply.err("invalid base64 in the initial response");
            }
        }
        SaslExchange<Account> exchange = SaslMechanisms.start(mechanism, ctx.server().sasl(),
                ctx.server().config().hostname());
        SessionState.Sasl sasl = new SessionState.Sasl(mechanism, exchange);
        if (initial != null) {
            ctx.login().beforeCheck();
            sasl = sasl.afterClientData();
        }
        return next(ctx, sasl, exchange.start(initial));
    }

    /**
     * A client's response line during an exchange; {@code line} is null when it was longer than the SASL bound.
     */
    Reply respond(CommandContext ctx, String line) {
        SessionState.Authorization auth = (SessionState.Authorization) ctx.state();
        SessionState.Sasl sasl = auth.sasl();
        ctx.enter(auth.after(false));
        if (line == null) {
            return Reply.err("authentication response too long");
        }
        if (line.equals("*")) {
            if (sasl.consulted()) { // the backend did its work: a guess abandoned at the proof is still a guess
                return Logins.complete(ctx, "-", sasl.mechanism(), new AuthResult.Rejected(),
                        "authentication cancelled");
            }
            return Reply.err("authentication cancelled");
        }
        byte[] response = decode(line);
        if (response == null) {
            return Reply.err("invalid base64 in the authentication exchange");
        }
        ctx.login().beforeCheck();
        return next(ctx, sasl.afterClientData(), sasl.exchange().respond(response));
    }

    private static Reply next(CommandContext ctx, SessionState.Sasl sasl, SaslExchange.Step<Account> step) {
        SessionState.Authorization auth = (SessionState.Authorization) ctx.state();
        return switch (step) {
            case SaslExchange.Step.Challenge<Account> c -> {
                ctx.enter(auth.withSasl(sasl));
                yield new Reply.Challenge(c.data());
            }
            case SaslExchange.Step.Success<Account> s -> Logins.complete(ctx, s.verdict().user(), sasl.mechanism(),
                    new AuthResult.Success(s.verdict().principal()));
            case SaslExchange.Step.Failure<Account> f -> Logins.complete(ctx, "-", sasl.mechanism(),
                    f.kind() == SaslExchange.Step.Failure.Kind.UNAVAILABLE
                            ? new AuthResult.Unavailable(f.reason()) : new AuthResult.Rejected(),
                    f.kind() == SaslExchange.Step.Failure.Kind.MALFORMED ? f.reason() : "authentication failed");
        };
    }

    /** The line of a SASL response as text (base64 is ASCII). */
    static String text(byte[] line, int length) {
        return new String(line, 0, length, StandardCharsets.US_ASCII);
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
