package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** CAPA (RFC 2449 section 5): what this connection offers now. */
final class CapaHandler implements CommandHandler<Command.Capa> {
    public Set<Class<? extends SessionState>> validIn() {
        return BOTH;
    }

    public Reply handle(CommandContext ctx, Command.Capa command) {
        boolean auth = ctx.state() instanceof SessionState.Authorization;
        List<String> lines = new ArrayList<>();
        lines.add("TOP");
        lines.add("UIDL");
        if (auth) {
            if (ctx.login().plaintextAllowed(ctx.secure())) {
                lines.add("USER");
            }
            List<String> mechanisms = ctx.login().mechanisms(ctx.secure());
            if (!mechanisms.isEmpty()) {
                lines.add("SASL " + String.join(" ", mechanisms));
            }
            if (StlsHandler.possible(ctx)) {
                lines.add("STLS");
            }
        }
        lines.add("RESP-CODES");
        lines.add("AUTH-RESP-CODE");
        lines.add("PIPELINING");
        lines.add(auth ? "UTF8 USER" : "UTF8");
        lines.add("LANG");
        if (!ctx.server().config().loginDelay().isZero()) {
            lines.add("LOGIN-DELAY " + ctx.server().config().loginDelay().toSeconds());
        }
        lines.add("EXPIRE " + Expiry.capability(ctx));
        lines.add("IMPLEMENTATION Postoffice");
        return Reply.lines("Capability list follows", lines);
    }
}
