package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.util.Set;

/**
 * TOP msg n (RFC 1939 section 7): the header, the blank line and the first n lines of the body. Reads
 * no more of the stored message than it sends.
 */
final class TopHandler implements CommandHandler<Command.Top> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Top command) throws IOException {
        StoredMessage m = Messages.resolve(session, command.message());
        if (m != null) {
            MessageSender.send(session, m, "top of message follows", command.lines());
        }
    }
}
