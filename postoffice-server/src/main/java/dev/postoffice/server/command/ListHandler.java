package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/** LIST [msg] (RFC 1939 section 5): sizes, as RETR will send them before byte-stuffing. */
final class ListHandler implements CommandHandler<Command.List> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.List command) {
        Marks marks = Messages.marks(ctx);
        return Messages.listing(ctx, command.message(),
                marks.visibleCount() + " messages (" + marks.visibleSize() + " octets)", m -> String.valueOf(m.size()));
    }
}
