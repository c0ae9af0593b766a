package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/**
 * STLS (RFC 2595 section 4): after {@code +OK} the session negotiates TLS, throws away whatever the client
 * pipelined in cleartext, and forgets a pending USER.
 */
final class StlsHandler implements CommandHandler<Command.Stls> {
    public Set<Class<? extends SessionState>> validIn() {
        return AUTHORIZATION;
    }

    public Reply handle(CommandContext ctx, Command.Stls command) {
        if (ctx.secure()) {
            return Reply.err("already using TLS");
        }
        if (!possible(ctx)) {
            return Reply.err("TLS is not available on this server");
        }
        ctx.enter(((SessionState.Authorization) ctx.state()).withPendingUser(null));
        ctx.startTlsAfterReply();
        return Reply.ok("Begin TLS negotiation");
    }

    /** Whether STLS can be used now: before login, in cleartext, with TLS configured. */
    static boolean possible(CommandContext ctx) {
        return ctx.state() instanceof SessionState.Authorization && !ctx.secure() && ctx.server().tls().isPresent();
    }
}
