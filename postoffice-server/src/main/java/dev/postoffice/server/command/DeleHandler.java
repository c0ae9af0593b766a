package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/** DELE msg (RFC 1939 section 5): marks the message; it is removed only in UPDATE. */
final class DeleHandler implements CommandHandler<Command.Dele> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.Dele command) {
        Marks marks = Messages.marks(ctx);
        int n = command.message();
        return marks.markDeleted(n) ? Reply.ok("message " + n + " deleted") : Messages.missing(marks, n);
    }
}
