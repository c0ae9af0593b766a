package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/**
 * USER name (RFC 1939 section 7). Accepted for any name, so that it reveals nothing about who exists;
 * refused outright where cleartext passwords are not allowed (RFC 8314).
 */
final class UserHandler implements CommandHandler<Command.User> {
    static final String PLAINTEXT_REFUSED = "plaintext authentication is not allowed on a connection without"
            + " TLS; use STLS or port 995";

    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.User command) throws IOException {
        if (!session.plaintextAllowed()) {
            session.out().err(ResponseCode.AUTH, PLAINTEXT_REFUSED);
            return;
        }
        if (session.setPendingUser(command.name())) {
            session.out().ok("send PASS");
        }
    }
}
