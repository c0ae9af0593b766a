package dev.postoffice.server.command;

import dev.postoffice.message.MessageBody;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.util.Set;

/** TOP msg n (RFC 1939 section 7): the header and the first n body lines. Not a retrieval for EXPIRE. */
final class TopHandler implements CommandHandler<Command.Top> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.Top command) {
        SessionState.Transaction t = (SessionState.Transaction) ctx.state();
        StoredMessage m = t.marks().visible(command.message());
        if (m == null) {
            return Messages.missing(t.marks(), command.message());
        }
        MessageBody body;
        try {
            body = t.maildrop().body(m);
        } catch (IOException e) {
            return Reply.err(ResponseCode.SYS_TEMP, "message cannot be read right now");
        }
        return new Reply.Message("top of message follows", body, command.lines(), sent -> { });
    }
}
