package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.sasl.SaslPrep;
import dev.postoffice.server.login.LoginPolicy;
import java.util.Set;

/** USER name (RFC 1939 section 7): remembers the name for PASS after taking a per-user connection slot. */
final class UserHandler implements CommandHandler<Command.User> {
    static final String PLAINTEXT_REFUSED = "plaintext authentication is not allowed on a connection without"
            + " TLS; use STLS or port 995";

    public Set<Class<? extends SessionState>> validIn() {
        return AUTHORIZATION;
    }

    public Reply handle(CommandContext ctx, Command.User command) {
        LoginPolicy policy = ctx.login();
        if (!policy.plaintextAllowed(ctx.secure())) {
            return Reply.err(ResponseCode.AUTH, PLAINTEXT_REFUSED);
        }
        String name = policy.canonicalName(SaslPrep.name(command.name()).orElse(command.name()));
        if (!policy.acquireUserSlot(name)) {
            policy.logAttempt(name, "USER", ctx.secure(), "too-many-connections");
            return Reply.err(ResponseCode.IN_USE, "too many connections for this user from your address");
        }
        ctx.enter(((SessionState.Authorization) ctx.state()).withPendingUser(name));
        return Reply.ok("send PASS");
    }
}
