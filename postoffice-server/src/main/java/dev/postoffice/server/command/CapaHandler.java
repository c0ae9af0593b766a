package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** CAPA (RFC 2449 section 5): the capabilities valid in the current state. */
final class CapaHandler implements CommandHandler<Command.Capa> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION, SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Capa command) throws IOException {
        ResponseWriter out = session.out();
        out.ok("Capability list follows");
        out.line("TOP");
        out.line("UIDL");
        if (session.state() == SessionState.AUTHORIZATION) {
            out.line("USER");
        }
        out.line("RESP-CODES");
        out.line("AUTH-RESP-CODE");
        out.line("PIPELINING");
        out.line("IMPLEMENTATION Postoffice");
        out.end();
    }
}
