package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** USER name (RFC 1939 section 7). Always accepted, so that it reveals nothing about who exists. */
final class UserHandler implements CommandHandler<Command.User> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.User command) throws IOException {
        session.setPendingUser(command.name());
        session.out().ok("send PASS");
    }
}
