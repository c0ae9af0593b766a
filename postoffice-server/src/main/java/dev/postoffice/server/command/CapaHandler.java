package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * CAPA (RFC 2449 section 5): what is valid in the current state and on this connection, so that it
 * changes after STLS and after login.
 */
final class CapaHandler implements CommandHandler<Command.Capa> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION, SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Capa command) throws IOException {
        ResponseWriter out = session.out();
        boolean auth = session.state() == SessionState.AUTHORIZATION;
        out.ok("Capability list follows");
        out.line("TOP");
        out.line("UIDL");
        if (auth) {
            if (session.plaintextAllowed()) {
                out.line("USER");
            }
            List<String> mechanisms = session.mechanismsNow();
            if (!mechanisms.isEmpty()) {
                out.line("SASL " + String.join(" ", mechanisms));
            }
            if (session.stlsPossible()) {
                out.line("STLS");
            }
        }
        out.line("RESP-CODES");
        out.line("AUTH-RESP-CODE");
        out.line("PIPELINING");
        out.line(auth ? "UTF8 USER" : "UTF8");
        out.line("LANG");
        if (!session.config().loginDelay().isZero()) {
            out.line("LOGIN-DELAY " + session.config().loginDelay().toSeconds());
        }
        out.line("EXPIRE " + session.expireCapability());
        out.line("IMPLEMENTATION Postoffice");
        out.end();
    }
}
