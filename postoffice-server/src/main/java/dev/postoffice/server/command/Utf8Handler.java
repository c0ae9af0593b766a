package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.Set;

/**
 * UTF8 (RFC 6856 section 2): the client accepts UTF-8 in responses and messages. Postoffice always
 * accepts UTF-8 user names and passwords (normalised with SASLprep) and sends messages as stored.
 */
final class Utf8Handler implements CommandHandler<Command.Utf8> {
    public Set<Class<? extends SessionState>> validIn() {
        return AUTHORIZATION;
    }

    public Reply handle(CommandContext ctx, Command.Utf8 command) {
        ctx.enableUtf8();
        return Reply.ok("UTF8 enabled");
    }
}
