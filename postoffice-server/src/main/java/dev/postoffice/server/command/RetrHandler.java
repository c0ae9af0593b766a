package dev.postoffice.server.command;

import dev.postoffice.message.MessageBody;
import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import dev.postoffice.protocol.ResponseCode;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.util.Set;

/**
 * RETR msg (RFC 1939 section 5): the whole message, byte-stuffed. Counted as retrieved (RFC 2449 EXPIRE, the
 * logout line) once it has been sent.
 */
final class RetrHandler implements CommandHandler<Command.Retr> {
    public Set<Class<? extends SessionState>> validIn() {
        return TRANSACTION;
    }

    public Reply handle(CommandContext ctx, Command.Retr command) {
        SessionState.Transaction t = (SessionState.Transaction) ctx.state();
        int n = command.message();
        StoredMessage m = t.marks().visible(n);
        if (m == null) {
            return Messages.missing(t.marks(), n);
        }
        MessageBody body;
        try {
            body = t.maildrop().body(m);
        } catch (IOException e) {
            return Reply.err(ResponseCode.SYS_TEMP, "message cannot be read right now");
        }
        return new Reply.Message(m.size() + " octets", body, -1, sent -> {
            t.marks().countRetrieved(n, sent);
            ctx.server().metrics().retrieved(sent);
        });
    }
}
