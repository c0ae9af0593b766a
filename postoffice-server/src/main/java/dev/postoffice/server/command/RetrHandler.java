package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.util.Set;

/** RETR msg (RFC 1939 section 5): the whole message, byte-stuffed. */
final class RetrHandler implements CommandHandler<Command.Retr> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Retr command) throws IOException {
        StoredMessage m = Messages.resolve(session, command.message());
        if (m == null) {
            return;
        }
        long sent = MessageSender.send(session, m, m.size() + " octets", -1);
        if (sent >= 0) {
            session.transaction().countRetrieved(command.message(), sent);
        }
    }
}
