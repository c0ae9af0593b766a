package dev.postoffice.server.command;

import dev.postoffice.auth.AuthResult;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.sasl.SaslPrep;
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
        if (!session.plaintextAllowed()) {
            session.out().err(ResponseCode.AUTH, UserHandler.PLAINTEXT_REFUSED);
            return;
        }
        Optional<String> user = session.pendingUser();
        if (user.isEmpty()) {
            session.out().err("send USER first");
            return;
        }
        // The same preparation as SASL PLAIN and LOGIN apply (RFC 4013), so every mechanism agrees.
        Optional<String> password = SaslPrep.password(command.password());
        session.completeLogin(user.get(), "USER", password.isEmpty() ? new AuthResult.Rejected()
                : session.context().auth().checkPassword(user.get(), password.get()));
    }
}
