package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/** RSET (RFC 1939 section 5): unmarks every message marked deleted. */
final class RsetHandler implements CommandHandler<Command.Rset> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.Rset command) {
        Marks marks = Messages.marks(ctx);
        marks.unmarkAll();
        return Reply.ok("maildrop has " + marks.visibleCount() + " messages (" + marks.visibleSize() + " octets)");
    }
}
