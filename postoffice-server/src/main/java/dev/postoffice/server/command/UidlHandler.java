package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import dev.postoffice.storage.StoredMessage;
import java.util.Set;

/** UIDL [msg] (RFC 1939 section 7): the unique-id listing. */
final class UidlHandler implements CommandHandler<Command.Uidl> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.Uidl command) {
        return Messages.listing(ctx, command.message(), "unique-id listing follows", StoredMessage::uidl);
    }
}
