package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/** STAT (RFC 1939 section 5): count and size of the messages not marked deleted. */
final class StatHandler implements CommandHandler<Command.Stat> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.Stat command) {
        Marks marks = Messages.marks(ctx);
        return Reply.ok(marks.visibleCount() + " " + marks.visibleSize());
    }
}
