package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/** NOOP (RFC 1939 section 5). */
final class NoopHandler implements CommandHandler<Command.Noop> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.Noop command) {
        return Reply.ok(null);
    }
}
