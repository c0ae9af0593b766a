package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.protocol.Reply;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** LANG [tag] (RFC 6856 section 3). Responses are in English, the only language offered. */
final class LangHandler implements CommandHandler<Command.Lang> {
    public Set<Class<? extends SessionState>> validIn() {
        return BOTH;
    }

    public Reply handle(CommandContext ctx, Command.Lang command) {
        if (command.tag().isEmpty()) {
            return Reply.lines("language listing follows", List.of("en English"));
        }
        String tag = command.tag().get().toLowerCase(Locale.ROOT);
        if (tag.equals("*") || tag.equals("en") || tag.startsWith("en-") || tag.equals("i-default")) {
            return Reply.ok("en language is English");
        }
        return Reply.err("unsupported language " + (tag.length() <= 20 && tag.matches("[a-z0-9-]+") ? tag : ""));
    }
}
