package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.util.Set;

/** UIDL [msg] (RFC 1939 section 7): the unique-id listing of messages not marked deleted. */
final class UidlHandler implements CommandHandler<Command.Uidl> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Uidl command) throws IOException {
        Messages.listing(session, command.message(), "unique-id listing follows", StoredMessage::uidl);
    }
}
