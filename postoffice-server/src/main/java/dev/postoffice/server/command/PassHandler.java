package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/** PASS string (RFC 1939 section 7): only right after a USER command. */
final class PassHandler implements CommandHandler<Command.Pass> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.Pass command) throws IOException {
        Optional<String> user = session.pendingUser();
        if (user.isEmpty()) {
            session.out().err("send USER first");
            return;
        }
        session.completeLogin(user.get(), "USER",
                session.auth().checkPassword(user.get(), command.password()));
    }
}
