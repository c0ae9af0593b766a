package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/** APOP name digest (RFC 1939 section 7), against the timestamp of this connection's greeting. */
final class ApopHandler implements CommandHandler<Command.Apop> {
    public Set<Class<? extends SessionState>> validIn() {
        return AUTHORIZATION;
    }

    public Reply handle(CommandContext ctx, Command.Apop command) {
        String timestamp = ctx.apopTimestamp();
        if (timestamp == null || !ctx.login().apopAllowed(ctx.secure())) {
            return Reply.err("APOP is not available on this server");
        }
        String user = ctx.login().canonicalName(command.name());
        ctx.login().beforeCheck();
        return Logins.complete(ctx, user, "APOP", ctx.server().auth().checkApop(user, timestamp, command.digest()));
    }
}
