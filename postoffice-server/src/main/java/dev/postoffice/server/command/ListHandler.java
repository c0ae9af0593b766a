package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import dev.postoffice.server.session.Transaction;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.util.Set;

/** LIST [msg] (RFC 1939 section 5): sizes of messages not marked deleted. */
final class ListHandler implements CommandHandler<Command.List> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.List command) throws IOException {
        ResponseWriter out = session.out();
        Transaction t = session.transaction();
        if (command.message().isPresent()) {
            int n = command.message().getAsInt();
            StoredMessage m = Messages.resolve(session, n);
            if (m != null) {
                out.ok(n + " " + m.size());
            }
            return;
        }
        out.ok(t.visibleCount() + " messages (" + t.visibleSize() + " octets)");
        for (int n = 1; n <= t.size(); n++) {
            StoredMessage m = t.visible(n);
            if (m != null) {
                out.line(n + " " + m.size());
            }
        }
        out.end();
    }
}
