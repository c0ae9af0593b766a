package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/**
 * UTF8 (RFC 6856 section 2): the client accepts UTF-8 in responses and messages. Postoffice always
 * accepts UTF-8 user names and passwords (normalised with SASLprep) and sends messages as stored.
 */
final class Utf8Handler implements CommandHandler<Command.Utf8> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.Utf8 command) throws IOException {
        session.enableUtf8();
        session.out().ok("UTF8 enabled");
    }
}
