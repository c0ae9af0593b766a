package dev.postoffice.server.command;

import dev.postoffice.auth.AuthResult;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.protocol.sasl.SaslPrep;
import java.util.Optional;
import java.util.Set;

/** PASS string (RFC 1939 section 7): only right after a USER command. */
final class PassHandler implements CommandHandler<Command.Pass> {
    public Set<Class<? extends SessionState>> validIn() {
        return AUTHORIZATION;
    }

    public Reply handle(CommandContext ctx, Command.Pass command) {
        if (!ctx.login().plaintextAllowed(ctx.secure())) {
            return Reply.err(ResponseCode.AUTH, UserHandler.PLAINTEXT_REFUSED);
        }
        String user = ((SessionState.Authorization) ctx.state()).pendingUser();
        if (user == null) {
            return Reply.err("send USER first");
        }
        // The same preparation as SASL PLAIN and LOGIN apply (RFC 4013), so every mechanism agrees.
        Optional<String> password = SaslPrep.password(command.password());
        ctx.login().beforeCheck();
        return Logins.complete(ctx, user, "USER", password.isEmpty() ? new AuthResult.Rejected()
                : ctx.server().auth().checkPassword(user, password.get()));
    }
}
